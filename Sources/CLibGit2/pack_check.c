/* Checking a pack against its index before the packs it replaces are deleted
   (tack_pack_check, shim.h): what `git verify-pack` checks short of inflating every entry. */

#include "packfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

typedef struct {
  const unsigned char *bytes;
  size_t length;
} mapped_file;

static int map_file(const char *path, mapped_file *out) {
  out->bytes = NULL;
  out->length = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tack_os_error("could not open", path);
  struct stat info;
  if (fstat(fd, &info) < 0) {
    tack_os_error("could not read", path);
    close(fd);
    return -1;
  }
  out->length = (size_t)info.st_size;
  if (out->length > 0) {
    void *bytes = mmap(NULL, out->length, PROT_READ, MAP_PRIVATE, fd, 0);
    if (bytes == MAP_FAILED) {
      tack_os_error("could not map", path);
      close(fd);
      return -1;
    }
    out->bytes = bytes;
  }
  close(fd); /* read-only: the mapping stays valid */
  return 0;
}

static void unmap_file(mapped_file *file) {
  if (file->bytes != NULL) munmap((void *)file->bytes, file->length);
}

typedef struct {
  uint64_t offset;
  uint32_t crc;
} checked_entry;

static int by_offset(const void *left, const void *right) {
  uint64_t a = ((const checked_entry *)left)->offset, b = ((const checked_entry *)right)->offset;
  return a < b ? -1 : a > b;
}

static int failed(const char *name, const char *why) {
  char message[300];
  snprintf(message, sizeof message,
           "%s fails its check (%s); the packs it was to replace are kept", name, why);
  git_error_set_str(GIT_ERROR_ODB, message);
  return -1;
}

static int sha1_is(const unsigned char *bytes, size_t length, const unsigned char *expected) {
  unsigned char sum[20];
  return tack_sha1_digest(bytes, length, sum) == 0 && memcmp(sum, expected, 20) == 0;
}

int tack_pack_check(const char *pack_folder, const char *name) {
  char path[4096];
  mapped_file index = {0}, pack = {0};
  checked_entry *entries = NULL;
  int error = -1;
  snprintf(path, sizeof path, "%s/%s.idx", pack_folder, name);
  if (map_file(path, &index) < 0) return -1;
  snprintf(path, sizeof path, "%s/%s.pack", pack_folder, name);
  if (map_file(path, &pack) < 0) goto done;

  const unsigned char *idx = index.bytes;
  if (index.length < 8 + 1024 + 40 || tack_read32(idx) != 0xff744f63 || tack_read32(idx + 4) != 2) {
    failed(name, "not a version 2 index");
    goto done;
  }
  size_t count = tack_read32(idx + 8 + 255 * 4);
  if (index.length < 8 + 1024 + (uint64_t)count * 28 + 40) {
    failed(name, "its index is cut short");
    goto done;
  }
  const unsigned char *ids = idx + 8 + 1024, *crcs = ids + 20 * count, *offsets = crcs + 4 * count;
  const unsigned char *large = offsets + 4 * count;
  size_t large_count = (index.length - 40 - (size_t)(large - idx)) / 8;
  /* The fan-out counts what the sorted ids say; ids strictly ascending. */
  for (size_t n = 0, byte = 0; byte < 256; byte++) {
    while (n < count && ids[20 * n] <= byte) n++;
    if (tack_read32(idx + 8 + 4 * byte) != n) {
      failed(name, "its index's fan-out does not match its ids");
      goto done;
    }
  }
  for (size_t n = 1; n < count; n++)
    if (memcmp(ids + 20 * (n - 1), ids + 20 * n, 20) >= 0) {
      failed(name, "its index's ids are not sorted");
      goto done;
    }
  if (!sha1_is(idx, index.length - 20, idx + index.length - 20)) {
    failed(name, "its index's checksum is wrong");
    goto done;
  }
  if (pack.length < 32 || memcmp(pack.bytes, "PACK", 4) != 0 || tack_read32(pack.bytes + 4) != 2
      || tack_read32(pack.bytes + 8) != count) {
    failed(name, "its pack header does not match its index");
    goto done;
  }
  const unsigned char *trailer = pack.bytes + pack.length - 20;
  char hex[41];
  for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", trailer[i]);
  if (memcmp(idx + index.length - 40, trailer, 20) != 0 || strcmp(name + 5, hex) != 0
      || !sha1_is(pack.bytes, pack.length - 20, trailer)) {
    failed(name, "its pack's checksum is wrong or does not match its name and index");
    goto done;
  }

  /* Each entry runs to the next one (the last to the checksum); its CRC-32 as indexed. */
  entries = malloc((count ? count : 1) * sizeof *entries);
  if (entries == NULL) {
    tack_out_of_memory();
    goto done;
  }
  for (size_t n = 0; n < count; n++) {
    uint64_t offset = tack_read32(offsets + 4 * n);
    if (offset & 0x80000000u) {
      size_t slot = offset & 0x7fffffffu;
      if (slot >= large_count) {
        failed(name, "an offset points past its index's large-offset table");
        goto done;
      }
      offset = (uint64_t)tack_read32(large + 8 * slot) << 32 | tack_read32(large + 8 * slot + 4);
    }
    entries[n].offset = offset;
    entries[n].crc = tack_read32(crcs + 4 * n);
  }
  qsort(entries, count, sizeof *entries, by_offset);
  for (size_t n = 0; n < count; n++) {
    uint64_t start = entries[n].offset;
    uint64_t end = n + 1 < count ? entries[n + 1].offset : pack.length - 20;
    if ((n == 0 && start != 12) || start >= end || end > pack.length - 20) {
      failed(name, "its entries do not tile the pack");
      goto done;
    }
    if ((uint32_t)crc32_z(0, pack.bytes + start, (z_size_t)(end - start)) != entries[n].crc) {
      failed(name, "an entry does not match the CRC-32 its index holds");
      goto done;
    }
  }
  if (count == 0 && pack.length != 32) {
    failed(name, "an empty pack with entries");
    goto done;
  }
  error = 0;
done:
  free(entries);
  unmap_file(&index);
  unmap_file(&pack);
  return error;
}
