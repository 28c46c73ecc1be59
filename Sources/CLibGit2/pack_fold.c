/* Folding packs without deltas by copying their entries (tack_pack_fold_plain, shim.h). */

#include "packfile.h"

#include <errno.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* A whole file in memory. */
static int read_whole(const char *path, tack_buffer *out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tack_os_error("could not open", path);
  struct stat info;
  if (fstat(fd, &info) < 0 || tack_buffer_reserve(out, (size_t)info.st_size) < 0) {
    close(fd);
    return tack_os_error("could not read", path);
  }
  size_t done = 0;
  while (done < (size_t)info.st_size) {
    ssize_t got = read(fd, out->bytes + done, (size_t)info.st_size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      close(fd);
      return tack_os_error("could not read", path);
    }
    done += (size_t)got;
  }
  out->length = done;
  if (close(fd) < 0) return tack_os_error("could not read", path);
  return 0;
}

/* One entry of an input pack, to copy. */
typedef struct {
  tack_pack_record record; /* offset: where it starts in its own pack */
  size_t pack, length;
} source_entry;

static int by_source_id(const void *left, const void *right) {
  return git_oid_cmp(
      &((const source_entry *)left)->record.id, &((const source_entry *)right)->record.id);
}

static int by_source_place(const void *left, const void *right) {
  const source_entry *a = left, *b = right;
  if (a->pack != b->pack) return a->pack < b->pack ? -1 : 1;
  return a->record.offset < b->record.offset ? -1 : a->record.offset > b->record.offset;
}

/* Reads the version 2 index and the pack `folder/name` into `entries` (appended), with each
   entry's length; 1 when the pack holds a delta (it is then left out), 0 when added, -1 on
   error. */
static int read_plain_pack(
    const char *folder, const char *name, size_t pack_number, tack_buffer *pack,
    source_entry **entries, size_t *count, size_t *capacity) {
  char path[4096];
  tack_buffer index = {0};
  int result = -1;
  snprintf(path, sizeof path, "%s/%s.idx", folder, name);
  if (read_whole(path, &index) < 0) goto done;
  snprintf(path, sizeof path, "%s/%s.pack", folder, name);
  if (read_whole(path, pack) < 0) goto done;
  if (index.length < 8 + 1024 + 40 || tack_read32(index.bytes) != 0xff744f63
      || tack_read32(index.bytes + 4) != 2 || pack->length < 32
      || memcmp(pack->bytes, "PACK", 4) != 0) {
    git_error_set_str(GIT_ERROR_ODB, "a pack to fold is not a version 2 pack and index");
    goto done;
  }
  size_t objects = tack_read32(index.bytes + 8 + 255 * 4);
  const unsigned char *ids = index.bytes + 8 + 1024;
  const unsigned char *crcs = ids + 20 * objects;
  const unsigned char *offsets = crcs + 4 * objects;
  if (index.length < 8 + 1024 + objects * 28 + 40 || tack_read32(pack->bytes + 8) != objects) {
    git_error_set_str(GIT_ERROR_ODB, "a pack to fold does not match its index");
    goto done;
  }
  size_t start = *count;
  if (*count + objects > *capacity) {
    size_t grown = *capacity ? *capacity : 256;
    while (grown < *count + objects) grown *= 2;
    source_entry *more = realloc(*entries, grown * sizeof *more);
    if (more == NULL) {
      tack_out_of_memory();
      goto done;
    }
    *entries = more;
    *capacity = grown;
  }
  for (size_t n = 0; n < objects; n++) {
    uint32_t offset = tack_read32(offsets + 4 * n);
    /* Packs this small never need the large-offset table; one that does is not folded here. */
    if ((offset & 0x80000000u) || offset < 12 || offset >= pack->length - 20) {
      result = 1;
      goto done;
    }
    unsigned type = (pack->bytes[offset] >> 4) & 7;
    if (type == GIT_OBJECT_OFS_DELTA || type == GIT_OBJECT_REF_DELTA) {
      result = 1;
      goto done;
    }
    source_entry *entry = &(*entries)[*count + n];
    memcpy(entry->record.id.id, ids + 20 * n, 20);
    entry->record.crc = tack_read32(crcs + 4 * n);
    entry->record.offset = offset;
    entry->pack = pack_number;
  }
  /* Each entry runs to the next one, the last to the trailing checksum. */
  qsort(*entries + start, objects, sizeof **entries, by_source_place);
  for (size_t n = 0; n < objects; n++) {
    size_t end = n + 1 < objects ? (*entries)[start + n + 1].record.offset : pack->length - 20;
    (*entries)[start + n].length = end - (*entries)[start + n].record.offset;
  }
  *count += objects;
  result = 0;
done:
  free(index.bytes);
  return result;
}

int tack_pack_fold_plain(
    const char *pack_folder, const char *const *names, size_t count, int *folded,
    char name[41]) {
  name[0] = 0;
  int error = -1;
  tack_buffer *packs = calloc(count ? count : 1, sizeof *packs);
  source_entry *entries = NULL;
  size_t entry_count = 0, capacity = 0, chosen = 0;
  tack_buffer out = {0};
  tack_pack_record *records = NULL;
  if (packs == NULL) return tack_out_of_memory();
  for (size_t n = 0; n < count; n++) {
    int result = read_plain_pack(
        pack_folder, names[n], n, &packs[n], &entries, &entry_count, &capacity);
    if (result < 0) goto done;
    folded[n] = result == 0;
    chosen += result == 0;
  }
  if (chosen < 2) {
    for (size_t n = 0; n < count; n++) folded[n] = 0;
    error = 0;
    goto done;
  }
  /* One copy of each object: the first in pack order. */
  qsort(entries, entry_count, sizeof *entries, by_source_id);
  size_t unique = 0;
  for (size_t n = 0; n < entry_count; n++) {
    if (unique > 0 && git_oid_equal(&entries[unique - 1].record.id, &entries[n].record.id)) {
      if (by_source_place(&entries[n], &entries[unique - 1]) < 0) entries[unique - 1] = entries[n];
      continue;
    }
    entries[unique++] = entries[n];
  }
  qsort(entries, unique, sizeof *entries, by_source_place);
  records = malloc((unique ? unique : 1) * sizeof *records);
  if (records == NULL || tack_add_pack_header(&out, unique) < 0) {
    tack_out_of_memory();
    goto done;
  }
  for (size_t n = 0; n < unique; n++) {
    records[n] = entries[n].record;
    records[n].offset = out.length;
    const unsigned char *bytes = packs[entries[n].pack].bytes + entries[n].record.offset;
    /* A damaged entry must not be copied into the pack that replaces its own. */
    if ((uint32_t)crc32(0, bytes, (uInt)entries[n].length) != entries[n].record.crc) {
      char message[200], hex[GIT_OID_HEXSZ + 1];
      git_oid_tostr(hex, sizeof hex, &entries[n].record.id);
      snprintf(message, sizeof message,
               "%s: the entry of %s does not match the CRC its index holds; nothing was folded "
               "(run 'git fsck' to see what is damaged)",
               names[entries[n].pack], hex);
      git_error_set_str(GIT_ERROR_ODB, message);
      goto done;
    }
    if (tack_buffer_add(&out, bytes, entries[n].length) < 0) {
      tack_out_of_memory();
      goto done;
    }
  }
  error = tack_write_pack_and_index(pack_folder, &out, records, unique, NULL, name);
done:
  if (error < 0)
    for (size_t n = 0; n < count; n++) folded[n] = 0;
  for (size_t n = 0; n < count; n++) free(packs[n].bytes);
  free(packs);
  free(entries);
  free(out.bytes);
  free(records);
  return error;
}
