/* Writing packs: SHA-1, a growable buffer, and a pack with its version 2 index written to
   the pack folder (see packfile.h). */

#include "packfile.h"

#include <errno.h>
#include <fcntl.h>
#include <git2/sys/odb_backend.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* ---- SHA-1, through OpenSSL's EVP (libcrypto, which libgit2 links too): its assembly uses
   the x86 SHA extensions and the ARMv8 SHA instructions where the processor has them. ---- */

/* SHA-1 fetched once (an init by EVP_sha1() looks the algorithm up again each time), and one
   spare context per thread: an object hashed after another reuses it instead of allocating
   one each time (a fold hashes every object it writes). A thread's spare goes when it ends. */
static EVP_MD *sha1_algorithm;
static pthread_key_t spare_key;
static int spare_key_made;
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;

static void free_spare(void *context) { EVP_MD_CTX_free(context); }

static void fetch_sha1(void) {
  sha1_algorithm = EVP_MD_fetch(NULL, "SHA1", NULL);
  spare_key_made = pthread_key_create(&spare_key, free_spare) == 0;
}

void tack_sha1_start(tack_sha1 *sha) {
  pthread_once(&sha1_once, fetch_sha1);
  sha->failed = 0;
  sha->context = NULL;
  if (spare_key_made) {
    sha->context = pthread_getspecific(spare_key);
    if (sha->context != NULL) pthread_setspecific(spare_key, NULL);
  }
  if (sha->context == NULL) sha->context = EVP_MD_CTX_new();
  if (sha->context == NULL || sha1_algorithm == NULL
      || EVP_DigestInit_ex2(sha->context, sha1_algorithm, NULL) != 1)
    sha->failed = 1;
}

void tack_sha1_add(tack_sha1 *sha, const unsigned char *bytes, size_t count) {
  if (!sha->failed && count > 0 && EVP_DigestUpdate(sha->context, bytes, count) != 1)
    sha->failed = 1;
}

void tack_sha1_finish(tack_sha1 *sha, unsigned char digest[20]) {
  unsigned int length = 0;
  if (sha->failed || EVP_DigestFinal_ex(sha->context, digest, &length) != 1 || length != 20) {
    sha->failed = 1;
    memset(digest, 0, 20);
  }
  if (sha->context != NULL && spare_key_made && pthread_getspecific(spare_key) == NULL
      && EVP_MD_CTX_reset(sha->context) == 1 && pthread_setspecific(spare_key, sha->context) == 0)
    sha->context = NULL;
  EVP_MD_CTX_free(sha->context);
  sha->context = NULL;
}

int tack_sha1_digest(const void *bytes, size_t count, unsigned char digest[20]) {
  tack_sha1 sha;
  tack_sha1_start(&sha);
  tack_sha1_add(&sha, bytes, count);
  tack_sha1_finish(&sha, digest);
  return sha.failed ? -1 : 0;
}

/* ---- A growable byte buffer. ---- */

int tack_buffer_reserve(tack_buffer *b, size_t extra) {
  if (b->length + extra <= b->capacity) return 0;
  size_t capacity = b->capacity ? b->capacity : 4096;
  while (capacity < b->length + extra) capacity *= 2;
  unsigned char *grown = realloc(b->bytes, capacity);
  if (grown == NULL) return -1;
  b->bytes = grown;
  b->capacity = capacity;
  return 0;
}

int tack_buffer_add(tack_buffer *b, const void *bytes, size_t count) {
  if (tack_buffer_reserve(b, count) < 0) return -1;
  memcpy(b->bytes + b->length, bytes, count);
  b->length += count;
  return 0;
}

int tack_buffer_add32(tack_buffer *b, uint32_t value) {
  unsigned char bytes[4] = {(unsigned char)(value >> 24), (unsigned char)(value >> 16),
                            (unsigned char)(value >> 8), (unsigned char)value};
  return tack_buffer_add(b, bytes, 4);
}

static int fsync_enabled;

int tack_git_enable_fsync(int enabled) {
  int result = git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
  if (result == 0) fsync_enabled = enabled;
  return result;
}

int tack_fsync_enabled(void) { return fsync_enabled; }

size_t tack_oid_slot(const git_oid *id, size_t slot_count) {
  size_t hash;
  memcpy(&hash, id->id, sizeof hash);
  return hash & (slot_count - 1);
}

int tack_out_of_memory(void) {
  git_error_set_str(GIT_ERROR_NOMEMORY, "out of memory writing a pack");
  return -1;
}

/* The variable-length object header of a pack entry: type and inflated size. */
int tack_add_entry_header(tack_buffer *pack, git_object_t type, size_t length) {
  unsigned char header[16];
  size_t used = 0;
  unsigned char byte = (unsigned char)((type << 4) | (length & 15));
  length >>= 4;
  while (length != 0) {
    header[used++] = byte | 0x80;
    byte = length & 0x7f;
    length >>= 7;
  }
  header[used++] = byte;
  return tack_buffer_add(pack, header, used);
}

int tack_os_error(const char *what, const char *path) {
  char message[512];
  snprintf(message, sizeof message, "%s %s: %s", what, path, strerror(errno));
  git_error_set_str(GIT_ERROR_OS, message);
  return -1;
}

/* Writes `bytes` to `folder/name` through a temporary file renamed into place, read-only as
   git leaves packs. The temporary is not named `tmp_*`: `git prune` (and `git gc
   --prune=now`) removes those from the pack folder however young, and the rename would then
   fail. Tack removes its own a killed process left (Repository+Pack.swift). */
static int write_file(const char *folder, const char *name, const tack_buffer *bytes) {
  char temporary[4096], final[4096];
  if (snprintf(temporary, sizeof temporary, "%s/tack-tmp-XXXXXX", folder) >= (int)sizeof temporary
      || snprintf(final, sizeof final, "%s/%s", folder, name) >= (int)sizeof final) {
    git_error_set_str(GIT_ERROR_OS, "pack folder path too long");
    return -1;
  }
  int fd = mkstemp(temporary);
  if (fd < 0 && errno == ENOENT && mkdir(folder, 0755) == 0) {
    snprintf(temporary, sizeof temporary, "%s/tack-tmp-XXXXXX", folder);
    fd = mkstemp(temporary);
  }
  if (fd < 0) return tack_os_error("could not create a file in", folder);
  size_t done = 0;
  while (done < bytes->length) {
    ssize_t wrote = write(fd, bytes->bytes + done, bytes->length - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      tack_os_error("could not write", temporary);
      close(fd);
      unlink(temporary);
      return -1;
    }
    done += (size_t)wrote;
  }
  if ((fsync_enabled && fsync(fd) < 0) || fchmod(fd, 0444) < 0) {
    tack_os_error("could not sync", temporary);
    close(fd);
    unlink(temporary);
    return -1;
  }
  if (close(fd) < 0 || rename(temporary, final) < 0) {
    tack_os_error("could not write", final);
    unlink(temporary);
    return -1;
  }
  return 0;
}

/* Syncs the folder `folder`, so that the names just renamed into it survive a crash. */
static int sync_folder(const char *folder) {
  int directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory < 0) return tack_os_error("could not open", folder);
  if (fsync(directory) < 0) {
    tack_os_error("could not sync", folder);
    close(directory);
    return -1;
  }
  if (close(directory) < 0) return tack_os_error("could not close", folder);
  return 0;
}

/* Writes `folder/name`, a `.keep` holding `message` and a newline, as git's index-pack writes
   one (`--keep=<message>`); fsynced when fsync is on. Through a temporary file renamed into
   place, as the pack and index are: a writer killed at any moment leaves no `.keep` or a whole
   one, whose message names it (see Repository.removeWriteKeeps). */
static int write_keep(const char *folder, const char *name, const char *message) {
  tack_buffer line = {0};
  int error = tack_buffer_add(&line, message, strlen(message)) < 0
                  || tack_buffer_add(&line, "\n", 1) < 0
                ? -1
                : write_file(folder, name, &line);
  free(line.bytes);
  return error;
}

static int by_record_id(const void *left, const void *right) {
  return git_oid_cmp(&((const tack_pack_record *)left)->id, &((const tack_pack_record *)right)->id);
}

/* Finishes `pack` (its header and entries, as `records` describe them) with its SHA-1, builds
   its version 2 index, and writes both to `folder`: the pack first, its index last, since git
   and libgit2 find packs by their index. `name` gets the pack's 40-hex id. Sorts `records`. */
int tack_write_pack_and_index(
    const char *folder, tack_buffer *pack, tack_pack_record *records, size_t count,
    const char *keep, char name[41]) {
  int error = -1;
  tack_buffer index = {0};
  unsigned char pack_sum[20], index_sum[20];
  tack_sha1 sha;
  tack_sha1_start(&sha);
  tack_sha1_add(&sha, pack->bytes, pack->length);
  tack_sha1_finish(&sha, pack_sum);
  if (sha.failed) goto no_digest;
  if (tack_buffer_add(pack, pack_sum, 20) < 0) goto no_memory;

  /* Fan-out by first byte, ids sorted, their CRCs and offsets (past 2 GiB through the
     large-offset table), the pack's SHA-1, then the index's own. */
  qsort(records, count, sizeof *records, by_record_id);
  static const unsigned char index_magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
  if (tack_buffer_add(&index, index_magic, 8) < 0) goto no_memory;
  size_t cursor = 0;
  for (int byte = 0; byte < 256; byte++) {
    while (cursor < count && records[cursor].id.id[0] <= byte) cursor++;
    if (tack_buffer_add32(&index, (uint32_t)cursor) < 0) goto no_memory;
  }
  for (size_t n = 0; n < count; n++)
    if (tack_buffer_add(&index, records[n].id.id, GIT_OID_RAWSZ) < 0) goto no_memory;
  for (size_t n = 0; n < count; n++)
    if (tack_buffer_add32(&index, records[n].crc) < 0) goto no_memory;
  uint32_t large = 0;
  for (size_t n = 0; n < count; n++) {
    uint64_t offset = records[n].offset;
    uint32_t value = offset < 0x80000000u ? (uint32_t)offset : (0x80000000u | large++);
    if (tack_buffer_add32(&index, value) < 0) goto no_memory;
  }
  for (size_t n = 0; n < count; n++) {
    uint64_t offset = records[n].offset;
    if (offset < 0x80000000u) continue;
    if (tack_buffer_add32(&index, (uint32_t)(offset >> 32)) < 0
        || tack_buffer_add32(&index, (uint32_t)offset) < 0)
      goto no_memory;
  }
  if (tack_buffer_add(&index, pack_sum, 20) < 0) goto no_memory;
  tack_sha1_start(&sha);
  tack_sha1_add(&sha, index.bytes, index.length);
  tack_sha1_finish(&sha, index_sum);
  if (sha.failed) goto no_digest;
  if (tack_buffer_add(&index, index_sum, 20) < 0) goto no_memory;

  char hex[41], file[64];
  for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", pack_sum[i]);
  if (keep != NULL) {
    snprintf(file, sizeof file, "pack-%s.keep", hex);
    if (write_keep(folder, file, keep) < 0) goto done;
  }
  snprintf(file, sizeof file, "pack-%s.pack", hex);
  if (write_file(folder, file, pack) < 0) goto unkeep;
  snprintf(file, sizeof file, "pack-%s.idx", hex);
  if (write_file(folder, file, &index) < 0) goto unkeep;
  if (fsync_enabled && sync_folder(folder) < 0) goto done;
  memcpy(name, hex, 41);
  error = 0;
  goto done;
no_digest:
  git_error_set_str(GIT_ERROR_SSL, "OpenSSL could not compute a SHA-1 for a pack");
  goto done;
no_memory:
  tack_out_of_memory();
  goto done;
unkeep:
  /* No index was renamed in: nothing refers to the pack, and no reader sees it. */
  if (keep != NULL) {
    char path[4096];
    snprintf(path, sizeof path, "%s/pack-%s.keep", folder, hex);
    unlink(path);
  }
done:
  free(index.bytes);
  return error;
}

int tack_add_pack_header(tack_buffer *pack, size_t count) {
  return tack_buffer_add(pack, "PACK", 4) < 0 || tack_buffer_add32(pack, 2) < 0
                 || tack_buffer_add32(pack, (uint32_t)count) < 0
             ? -1
             : 0;
}

uint32_t tack_read32(const unsigned char *bytes) {
  return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8
         | bytes[3];
}
