/* Each Tack write's new objects as one small pack.

   libgit2 writes every new object as its own loose file: a temporary file, a link and an
   unlink, eight times per Tack write (a blob and the six trees above it, and the commit).
   File creation is the costliest part of a write on this kind of disk, and it gets much
   costlier for minutes after a pack removes thousands of loose files. Here an object database
   backend, placed before libgit2's own, holds the objects of one write attempt in memory
   while it is made (serving reads of them too); just before the branch moves, they go to disk
   as one pack and its index: two files, fsynced once each when fsync is on. An attempt that
   fails before its pack is written leaves nothing behind. Outside a write (`capturing` off) the
   backend passes writes on to the loose store, as libgit2 does by default.

   The objects of the writes that landed stay readable from memory (up to `KEPT_LIMIT`): the
   next commands read the tip they just made without looking for the new pack. Those of an
   attempt that lost its compare-and-swap are dropped: nothing reaches them, so `tack gc` may
   remove their pack, and a later write must not take them for present. Writes pile up
   small packs; Tack folds them into bigger ones (Repository+Pack.swift). */

#include "shim.h"

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

/* ---- SHA-1 (FIPS 180-4), for the pack's and the index's trailing checksums. ---- */

typedef struct {
  uint32_t state[5];
  uint64_t length;
  unsigned char block[64];
  size_t used;
} sha1_context;

static uint32_t rotate_left(uint32_t value, int bits) {
  return (value << bits) | (value >> (32 - bits));
}

static void sha1_block(sha1_context *context, const unsigned char *block) {
  uint32_t words[80];
  for (int i = 0; i < 16; i++)
    words[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16
               | (uint32_t)block[4 * i + 2] << 8 | (uint32_t)block[4 * i + 3];
  for (int i = 16; i < 80; i++)
    words[i] = rotate_left(words[i - 3] ^ words[i - 8] ^ words[i - 14] ^ words[i - 16], 1);
  uint32_t a = context->state[0], b = context->state[1], c = context->state[2];
  uint32_t d = context->state[3], e = context->state[4];
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    uint32_t next = rotate_left(a, 5) + f + e + k + words[i];
    e = d;
    d = c;
    c = rotate_left(b, 30);
    b = a;
    a = next;
  }
  context->state[0] += a;
  context->state[1] += b;
  context->state[2] += c;
  context->state[3] += d;
  context->state[4] += e;
}

static void sha1_start(sha1_context *context) {
  static const uint32_t initial[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                                      0xC3D2E1F0};
  memcpy(context->state, initial, sizeof initial);
  context->length = 0;
  context->used = 0;
}

static void sha1_add(sha1_context *context, const unsigned char *bytes, size_t count) {
  context->length += count;
  while (count > 0) {
    size_t take = 64 - context->used < count ? 64 - context->used : count;
    memcpy(context->block + context->used, bytes, take);
    context->used += take;
    bytes += take;
    count -= take;
    if (context->used == 64) {
      sha1_block(context, context->block);
      context->used = 0;
    }
  }
}

static void sha1_finish(sha1_context *context, unsigned char digest[20]) {
  uint64_t bits = context->length * 8;
  unsigned char pad = 0x80;
  sha1_add(context, &pad, 1);
  unsigned char zero = 0;
  while (context->used != 56) sha1_add(context, &zero, 1);
  unsigned char tail[8];
  for (int i = 0; i < 8; i++) tail[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha1_add(context, tail, 8);
  for (int i = 0; i < 5; i++) {
    digest[4 * i] = (unsigned char)(context->state[i] >> 24);
    digest[4 * i + 1] = (unsigned char)(context->state[i] >> 16);
    digest[4 * i + 2] = (unsigned char)(context->state[i] >> 8);
    digest[4 * i + 3] = (unsigned char)context->state[i];
  }
}

/* ---- A growable byte buffer. ---- */

typedef struct {
  unsigned char *bytes;
  size_t length, capacity;
} buffer;

static int buffer_reserve(buffer *b, size_t extra) {
  if (b->length + extra <= b->capacity) return 0;
  size_t capacity = b->capacity ? b->capacity : 4096;
  while (capacity < b->length + extra) capacity *= 2;
  unsigned char *grown = realloc(b->bytes, capacity);
  if (grown == NULL) return -1;
  b->bytes = grown;
  b->capacity = capacity;
  return 0;
}

static int buffer_add(buffer *b, const void *bytes, size_t count) {
  if (buffer_reserve(b, count) < 0) return -1;
  memcpy(b->bytes + b->length, bytes, count);
  b->length += count;
  return 0;
}

static int buffer_add32(buffer *b, uint32_t value) {
  unsigned char bytes[4] = {(unsigned char)(value >> 24), (unsigned char)(value >> 16),
                            (unsigned char)(value >> 8), (unsigned char)value};
  return buffer_add(b, bytes, 4);
}

/* ---- The backend. ---- */

typedef struct {
  git_oid id;
  git_object_t type;
  size_t length;
  unsigned char *data;
} held_object;

/* Objects of packs already written, kept for reads; past this many they are dropped. */
#define KEPT_LIMIT 4096

struct tack_pending {
  git_odb_backend parent;
  int capturing;
  held_object *objects; /* the kept ones first, then this attempt's */
  size_t count, capacity, kept;
  size_t *slots; /* open addressing: index + 1 into objects, 0 = empty */
  size_t slot_count;
};

static int fsync_enabled;

int tack_git_enable_fsync(int enabled) {
  int result = git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
  if (result == 0) fsync_enabled = enabled;
  return result;
}

static size_t slot_of(const git_oid *id, size_t slot_count) {
  size_t hash;
  memcpy(&hash, id->id, sizeof hash);
  return hash & (slot_count - 1);
}

static held_object *find(struct tack_pending *p, const git_oid *id) {
  if (p->slot_count == 0) return NULL;
  for (size_t slot = slot_of(id, p->slot_count);; slot = (slot + 1) & (p->slot_count - 1)) {
    size_t entry = p->slots[slot];
    if (entry == 0) return NULL;
    if (git_oid_equal(&p->objects[entry - 1].id, id)) return &p->objects[entry - 1];
  }
}

static int rebuild_slots(struct tack_pending *p, size_t slot_count) {
  size_t *slots = calloc(slot_count, sizeof *slots);
  if (slots == NULL) return -1;
  free(p->slots);
  p->slots = slots;
  p->slot_count = slot_count;
  for (size_t index = 0; index < p->count; index++) {
    size_t slot = slot_of(&p->objects[index].id, slot_count);
    while (slots[slot] != 0) slot = (slot + 1) & (slot_count - 1);
    slots[slot] = index + 1;
  }
  return 0;
}

/* Drops objects from index `from` on. */
static void drop_from(struct tack_pending *p, size_t from) {
  if (from >= p->count) return;
  for (size_t index = from; index < p->count; index++) free(p->objects[index].data);
  p->count = from;
  if (p->kept > from) p->kept = from;
  rebuild_slots(p, p->slot_count ? p->slot_count : 16);
}

static int out_of_memory(void) {
  git_error_set_str(GIT_ERROR_NOMEMORY, "out of memory holding a write's objects");
  return -1;
}

static int backend_write(
    git_odb_backend *backend, const git_oid *id, const void *data, size_t length,
    git_object_t type) {
  struct tack_pending *p = (struct tack_pending *)backend;
  if (!p->capturing) return GIT_PASSTHROUGH;
  if (find(p, id) != NULL) return 0;
  if (p->count == p->capacity) {
    size_t capacity = p->capacity ? p->capacity * 2 : 16;
    held_object *grown = realloc(p->objects, capacity * sizeof *grown);
    if (grown == NULL) return out_of_memory();
    p->objects = grown;
    p->capacity = capacity;
  }
  unsigned char *copy = malloc(length ? length : 1);
  if (copy == NULL) return out_of_memory();
  memcpy(copy, data, length);
  p->objects[p->count++] = (held_object){*id, type, length, copy};
  if (p->count * 2 > p->slot_count) {
    if (rebuild_slots(p, p->slot_count ? p->slot_count * 2 : 16) < 0) {
      free(copy);
      p->count--;
      return out_of_memory();
    }
  } else {
    size_t slot = slot_of(id, p->slot_count);
    while (p->slots[slot] != 0) slot = (slot + 1) & (p->slot_count - 1);
    p->slots[slot] = p->count;
  }
  return 0;
}

int tack_pending_take(
    git_odb *odb, const git_oid *id, const void *data, size_t length, git_object_t type) {
  git_odb_backend *first = NULL;
  if (git_odb_num_backends(odb) == 0 || git_odb_get_backend(&first, odb, 0) < 0
      || first->write != backend_write || !((struct tack_pending *)first)->capturing)
    return 0;
  return backend_write(first, id, data, length, type) == 0 ? 1 : -1;
}

static int backend_read(
    void **out, size_t *length, git_object_t *type, git_odb_backend *backend,
    const git_oid *id) {
  held_object *object = find((struct tack_pending *)backend, id);
  if (object == NULL) return GIT_ENOTFOUND;
  void *copy = git_odb_backend_data_alloc(backend, object->length ? object->length : 1);
  if (copy == NULL) return out_of_memory();
  memcpy(copy, object->data, object->length);
  *out = copy;
  *length = object->length;
  *type = object->type;
  return 0;
}

static int backend_read_header(
    size_t *length, git_object_t *type, git_odb_backend *backend, const git_oid *id) {
  held_object *object = find((struct tack_pending *)backend, id);
  if (object == NULL) return GIT_ENOTFOUND;
  *length = object->length;
  *type = object->type;
  return 0;
}

static int backend_exists(git_odb_backend *backend, const git_oid *id) {
  return find((struct tack_pending *)backend, id) != NULL;
}

static int backend_foreach(git_odb_backend *backend, git_odb_foreach_cb callback, void *payload) {
  struct tack_pending *p = (struct tack_pending *)backend;
  for (size_t index = 0; index < p->count; index++) {
    int error = callback(&p->objects[index].id, payload);
    if (error != 0) return error;
  }
  return 0;
}

/* Blobs come through a write stream (git_blob_create_from_buffer): gathered, then held. */
typedef struct {
  git_odb_stream parent;
  git_object_t type;
  buffer data;
} held_stream;

static int stream_write(git_odb_stream *stream, const char *bytes, size_t length) {
  return buffer_add(&((held_stream *)stream)->data, bytes, length) < 0 ? out_of_memory() : 0;
}

static int stream_finalize(git_odb_stream *stream, const git_oid *id) {
  held_stream *held = (held_stream *)stream;
  return backend_write(stream->backend, id, held->data.bytes, held->data.length, held->type);
}

static void stream_free(git_odb_stream *stream) {
  free(((held_stream *)stream)->data.bytes);
  free(stream);
}

static int backend_writestream(
    git_odb_stream **out, git_odb_backend *backend, git_object_size_t length,
    git_object_t type) {
  if (!((struct tack_pending *)backend)->capturing) return GIT_PASSTHROUGH;
  held_stream *stream = calloc(1, sizeof *stream);
  if (stream == NULL || buffer_reserve(&stream->data, (size_t)length + 1) < 0) {
    free(stream);
    return out_of_memory();
  }
  stream->parent.backend = backend;
  stream->parent.mode = GIT_STREAM_WRONLY;
  stream->parent.write = stream_write;
  stream->parent.finalize_write = stream_finalize;
  stream->parent.free = stream_free;
  stream->type = type;
  *out = &stream->parent;
  return 0;
}

static void backend_free(git_odb_backend *backend) {
  struct tack_pending *p = (struct tack_pending *)backend;
  drop_from(p, 0);
  free(p->objects);
  free(p->slots);
  free(p);
}

int tack_pending_attach(git_repository *repository, tack_pending **out) {
  git_odb *odb = NULL;
  int error = git_repository_odb(&odb, repository);
  if (error < 0) return error;
  struct tack_pending *p = calloc(1, sizeof *p);
  if (p == NULL) {
    git_odb_free(odb);
    return out_of_memory();
  }
  git_odb_init_backend(&p->parent, GIT_ODB_BACKEND_VERSION);
  p->parent.read = backend_read;
  p->parent.read_header = backend_read_header;
  p->parent.write = backend_write;
  p->parent.writestream = backend_writestream;
  p->parent.exists = backend_exists;
  p->parent.foreach = backend_foreach;
  p->parent.free = backend_free;
  /* Above libgit2's loose (1) and packed (2) stores: writes come here first. */
  error = git_odb_add_backend(odb, &p->parent, 1000);
  git_odb_free(odb);
  if (error < 0) {
    free(p);
    return error;
  }
  *out = p;
  return 0;
}

void tack_pending_begin(tack_pending *p) {
  drop_from(p, p->kept > KEPT_LIMIT ? 0 : p->kept);
  p->capturing = 1;
}

void tack_pending_end(tack_pending *p) {
  drop_from(p, p->kept);
  p->capturing = 0;
}

void tack_pending_landed(tack_pending *p) { p->kept = p->count; }

size_t tack_pending_count(const tack_pending *p) { return p->count - p->kept; }

/* The variable-length object header of a pack entry: type and inflated size. */
static int add_entry_header(buffer *pack, git_object_t type, size_t length) {
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
  return buffer_add(pack, header, used);
}

static int os_error(const char *what, const char *path) {
  char message[512];
  snprintf(message, sizeof message, "%s %s: %s", what, path, strerror(errno));
  git_error_set_str(GIT_ERROR_OS, message);
  return -1;
}

/* Writes `bytes` to `folder/name` through a temporary file renamed into place, read-only as
   git leaves packs. */
static int write_file(const char *folder, const char *name, const buffer *bytes) {
  char temporary[4096], final[4096];
  if (snprintf(temporary, sizeof temporary, "%s/tmp_tack_XXXXXX", folder) >= (int)sizeof temporary
      || snprintf(final, sizeof final, "%s/%s", folder, name) >= (int)sizeof final) {
    git_error_set_str(GIT_ERROR_OS, "pack folder path too long");
    return -1;
  }
  int fd = mkstemp(temporary);
  if (fd < 0 && errno == ENOENT && mkdir(folder, 0755) == 0) {
    snprintf(temporary, sizeof temporary, "%s/tmp_tack_XXXXXX", folder);
    fd = mkstemp(temporary);
  }
  if (fd < 0) return os_error("could not create a file in", folder);
  size_t done = 0;
  while (done < bytes->length) {
    ssize_t wrote = write(fd, bytes->bytes + done, bytes->length - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      os_error("could not write", temporary);
      close(fd);
      unlink(temporary);
      return -1;
    }
    done += (size_t)wrote;
  }
  if ((fsync_enabled && fsync(fd) < 0) || fchmod(fd, 0444) < 0) {
    os_error("could not sync", temporary);
    close(fd);
    unlink(temporary);
    return -1;
  }
  if (close(fd) < 0 || rename(temporary, final) < 0) {
    os_error("could not write", final);
    unlink(temporary);
    return -1;
  }
  return 0;
}

/* One object of a pack being written: its id, the CRC-32 of its entry, and where it starts. */
typedef struct {
  git_oid id;
  uint32_t crc;
  uint64_t offset;
} pack_record;

static int by_record_id(const void *left, const void *right) {
  return git_oid_cmp(&((const pack_record *)left)->id, &((const pack_record *)right)->id);
}

/* Finishes `pack` (its header and entries, as `records` describe them) with its SHA-1, builds
   its version 2 index, and writes both to `folder`: the pack first, its index last, since git
   and libgit2 find packs by their index. `name` gets the pack's 40-hex id. Sorts `records`. */
static int write_pack_and_index(
    const char *folder, buffer *pack, pack_record *records, size_t count, char name[41]) {
  int error = -1;
  buffer index = {0};
  unsigned char pack_sum[20], index_sum[20];
  sha1_context sha;
  sha1_start(&sha);
  sha1_add(&sha, pack->bytes, pack->length);
  sha1_finish(&sha, pack_sum);
  if (buffer_add(pack, pack_sum, 20) < 0) goto no_memory;

  /* Fan-out by first byte, ids sorted, their CRCs and offsets (past 2 GiB through the
     large-offset table), the pack's SHA-1, then the index's own. */
  qsort(records, count, sizeof *records, by_record_id);
  static const unsigned char index_magic[8] = {0xff, 't', 'O', 'c', 0, 0, 0, 2};
  if (buffer_add(&index, index_magic, 8) < 0) goto no_memory;
  size_t cursor = 0;
  for (int byte = 0; byte < 256; byte++) {
    while (cursor < count && records[cursor].id.id[0] <= byte) cursor++;
    if (buffer_add32(&index, (uint32_t)cursor) < 0) goto no_memory;
  }
  for (size_t n = 0; n < count; n++)
    if (buffer_add(&index, records[n].id.id, GIT_OID_RAWSZ) < 0) goto no_memory;
  for (size_t n = 0; n < count; n++)
    if (buffer_add32(&index, records[n].crc) < 0) goto no_memory;
  uint32_t large = 0;
  for (size_t n = 0; n < count; n++) {
    uint64_t offset = records[n].offset;
    uint32_t value = offset < 0x80000000u ? (uint32_t)offset : (0x80000000u | large++);
    if (buffer_add32(&index, value) < 0) goto no_memory;
  }
  for (size_t n = 0; n < count; n++) {
    uint64_t offset = records[n].offset;
    if (offset < 0x80000000u) continue;
    if (buffer_add32(&index, (uint32_t)(offset >> 32)) < 0
        || buffer_add32(&index, (uint32_t)offset) < 0)
      goto no_memory;
  }
  if (buffer_add(&index, pack_sum, 20) < 0) goto no_memory;
  sha1_start(&sha);
  sha1_add(&sha, index.bytes, index.length);
  sha1_finish(&sha, index_sum);
  if (buffer_add(&index, index_sum, 20) < 0) goto no_memory;

  char hex[41], file[64];
  for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", pack_sum[i]);
  snprintf(file, sizeof file, "pack-%s.pack", hex);
  if (write_file(folder, file, pack) < 0) goto done;
  snprintf(file, sizeof file, "pack-%s.idx", hex);
  if (write_file(folder, file, &index) < 0) goto done;
  if (fsync_enabled) {
    int directory = open(folder, O_RDONLY | O_DIRECTORY);
    if (directory < 0 || fsync(directory) < 0) {
      os_error("could not sync", folder);
      if (directory >= 0) close(directory);
      goto done;
    }
    close(directory);
  }
  memcpy(name, hex, 41);
  error = 0;
  goto done;
no_memory:
  out_of_memory();
done:
  free(index.bytes);
  return error;
}

static int add_pack_header(buffer *pack, size_t count) {
  return buffer_add(pack, "PACK", 4) < 0 || buffer_add32(pack, 2) < 0
                 || buffer_add32(pack, (uint32_t)count) < 0
             ? -1
             : 0;
}

int tack_pending_flush(tack_pending *p, const char *pack_folder, char name[41]) {
  name[0] = 0;
  size_t first = p->kept, count = p->count - p->kept;
  if (count == 0) return 0;
  int error = -1;
  buffer pack = {0};
  pack_record *records = malloc(count * sizeof *records);
  z_stream zlib;
  memset(&zlib, 0, sizeof zlib);
  int zlib_ready = deflateInit(&zlib, Z_BEST_SPEED) == Z_OK;
  if (records == NULL || !zlib_ready || add_pack_header(&pack, count) < 0) {
    out_of_memory();
    goto done;
  }
  /* Each object deflated behind its type and size: no deltas (folds make those). */
  for (size_t n = 0; n < count; n++) {
    const held_object *object = &p->objects[first + n];
    size_t start = pack.length;
    if (add_entry_header(&pack, object->type, object->length) < 0) {
      out_of_memory();
      goto done;
    }
    deflateReset(&zlib);
    uLong bound = deflateBound(&zlib, (uLong)object->length);
    if (buffer_reserve(&pack, bound) < 0) {
      out_of_memory();
      goto done;
    }
    zlib.next_in = object->length ? object->data : (unsigned char *)"";
    zlib.avail_in = (uInt)object->length;
    zlib.next_out = pack.bytes + pack.length;
    zlib.avail_out = (uInt)bound;
    if (deflate(&zlib, Z_FINISH) != Z_STREAM_END) {
      git_error_set_str(GIT_ERROR_ZLIB, "could not deflate an object for the write's pack");
      goto done;
    }
    pack.length += bound - zlib.avail_out;
    records[n].id = object->id;
    records[n].offset = start;
    records[n].crc = (uint32_t)crc32(0, pack.bytes + start, (uInt)(pack.length - start));
  }
  error = write_pack_and_index(pack_folder, &pack, records, count, name);
done:
  if (zlib_ready) deflateEnd(&zlib);
  free(pack.bytes);
  free(records);
  return error;
}

/* ---- Folding packs without deltas by copying their entries. ---- */

/* A whole file in memory. */
static int read_whole(const char *path, buffer *out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("could not open", path);
  struct stat info;
  if (fstat(fd, &info) < 0 || buffer_reserve(out, (size_t)info.st_size) < 0) {
    close(fd);
    return os_error("could not read", path);
  }
  size_t done = 0;
  while (done < (size_t)info.st_size) {
    ssize_t got = read(fd, out->bytes + done, (size_t)info.st_size - done);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      close(fd);
      return os_error("could not read", path);
    }
    done += (size_t)got;
  }
  out->length = done;
  close(fd);
  return 0;
}

static uint32_t read32(const unsigned char *bytes) {
  return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8
         | bytes[3];
}

/* One entry of an input pack, to copy. */
typedef struct {
  pack_record record; /* offset: where it starts in its own pack */
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
    const char *folder, const char *name, size_t pack_number, buffer *pack,
    source_entry **entries, size_t *count, size_t *capacity) {
  char path[4096];
  buffer index = {0};
  int result = -1;
  snprintf(path, sizeof path, "%s/%s.idx", folder, name);
  if (read_whole(path, &index) < 0) goto done;
  snprintf(path, sizeof path, "%s/%s.pack", folder, name);
  if (read_whole(path, pack) < 0) goto done;
  if (index.length < 8 + 1024 + 40 || read32(index.bytes) != 0xff744f63
      || read32(index.bytes + 4) != 2 || pack->length < 32
      || memcmp(pack->bytes, "PACK", 4) != 0) {
    git_error_set_str(GIT_ERROR_ODB, "a pack to fold is not a version 2 pack and index");
    goto done;
  }
  size_t objects = read32(index.bytes + 8 + 255 * 4);
  const unsigned char *ids = index.bytes + 8 + 1024;
  const unsigned char *crcs = ids + 20 * objects;
  const unsigned char *offsets = crcs + 4 * objects;
  if (index.length < 8 + 1024 + objects * 28 + 40 || read32(pack->bytes + 8) != objects) {
    git_error_set_str(GIT_ERROR_ODB, "a pack to fold does not match its index");
    goto done;
  }
  size_t start = *count;
  if (*count + objects > *capacity) {
    size_t grown = *capacity ? *capacity : 256;
    while (grown < *count + objects) grown *= 2;
    source_entry *more = realloc(*entries, grown * sizeof *more);
    if (more == NULL) {
      out_of_memory();
      goto done;
    }
    *entries = more;
    *capacity = grown;
  }
  for (size_t n = 0; n < objects; n++) {
    uint32_t offset = read32(offsets + 4 * n);
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
    entry->record.crc = read32(crcs + 4 * n);
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
  buffer *packs = calloc(count ? count : 1, sizeof *packs);
  source_entry *entries = NULL;
  size_t entry_count = 0, capacity = 0, chosen = 0;
  buffer out = {0};
  pack_record *records = NULL;
  if (packs == NULL) return out_of_memory();
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
  if (records == NULL || add_pack_header(&out, unique) < 0) {
    out_of_memory();
    goto done;
  }
  for (size_t n = 0; n < unique; n++) {
    records[n] = entries[n].record;
    records[n].offset = out.length;
    if (buffer_add(&out, packs[entries[n].pack].bytes + entries[n].record.offset,
                   entries[n].length) < 0) {
      out_of_memory();
      goto done;
    }
  }
  error = write_pack_and_index(pack_folder, &out, records, unique, name);
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

/* ---- Indexing a pack made in memory (git_packbuilder_write_buf). ----

   libgit2's indexer writes a new pack object by object, mapping and unmapping the growing
   file around each one to hash it: for a fold of thousands of objects, thousands of mmap
   and munmap calls. The pack is already in memory here: each entry is inflated once, deltas
   applied to their bases (which come earlier in the pack), every object hashed, and the
   pack and its index written as a write's pack is. */

typedef struct {
  uint64_t offset, end;
  git_object_t type;
  unsigned char *data; /* the whole object, once resolved */
  size_t size;
  git_oid id;
} indexed_entry;

static const char *type_name(git_object_t type) {
  switch (type) {
  case GIT_OBJECT_COMMIT: return "commit";
  case GIT_OBJECT_TREE: return "tree";
  case GIT_OBJECT_BLOB: return "blob";
  case GIT_OBJECT_TAG: return "tag";
  default: return NULL;
  }
}

static int bad_pack(const char *why) {
  char message[160];
  snprintf(message, sizeof message, "the pack made for a fold is malformed: %s", why);
  git_error_set_str(GIT_ERROR_ODB, message);
  return -1;
}

static int inflate_exactly(
    z_stream *zlib, const unsigned char *in, size_t available, size_t size,
    unsigned char **out, size_t *consumed) {
  unsigned char *data = malloc(size ? size : 1);
  if (data == NULL) return out_of_memory();
  inflateReset(zlib);
  zlib->next_in = (unsigned char *)in;
  zlib->avail_in = available > 0xffffffffu ? 0xffffffffu : (uInt)available;
  zlib->next_out = data;
  zlib->avail_out = (uInt)size;
  int status = inflate(zlib, Z_FINISH);
  if (status != Z_STREAM_END || zlib->total_out != size) {
    free(data);
    return bad_pack("an entry does not inflate to its size");
  }
  *out = data;
  *consumed = zlib->total_in;
  return 0;
}

static size_t delta_size(const unsigned char **cursor, const unsigned char *end) {
  size_t size = 0;
  int shift = 0;
  unsigned char byte;
  do {
    if (*cursor >= end || shift > 56) return (size_t)-1;
    byte = *(*cursor)++;
    size |= (size_t)(byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return size;
}

/* Rebuilds an object from its base and a git delta. */
static int apply_delta(
    const unsigned char *base, size_t base_size, const unsigned char *delta, size_t length,
    unsigned char **out, size_t *out_size) {
  const unsigned char *cursor = delta, *end = delta + length;
  size_t source = delta_size(&cursor, end), target = delta_size(&cursor, end);
  if (source != base_size || target == (size_t)-1) return bad_pack("a delta does not fit its base");
  unsigned char *result = malloc(target ? target : 1);
  if (result == NULL) return out_of_memory();
  size_t at = 0;
  while (cursor < end) {
    unsigned char op = *cursor++;
    if (op & 0x80) {
      size_t offset = 0, size = 0;
      for (int i = 0; i < 4; i++)
        if (op & (1 << i)) {
          if (cursor >= end) goto malformed;
          offset |= (size_t)*cursor++ << (8 * i);
        }
      for (int i = 0; i < 3; i++)
        if (op & (0x10 << i)) {
          if (cursor >= end) goto malformed;
          size |= (size_t)*cursor++ << (8 * i);
        }
      if (size == 0) size = 0x10000;
      if (offset + size > base_size || at + size > target) goto malformed;
      memcpy(result + at, base + offset, size);
      at += size;
    } else if (op != 0) {
      if ((size_t)(end - cursor) < op || at + op > target) goto malformed;
      memcpy(result + at, cursor, op);
      cursor += op;
      at += op;
    } else {
      goto malformed;
    }
  }
  if (at != target) goto malformed;
  *out = result;
  *out_size = target;
  return 0;
malformed:
  free(result);
  return bad_pack("a delta is malformed");
}

static void hash_object(git_object_t type, const unsigned char *data, size_t size, git_oid *id) {
  char header[64];
  int length = snprintf(header, sizeof header, "%s %zu", type_name(type), size) + 1;
  sha1_context sha;
  sha1_start(&sha);
  sha1_add(&sha, (const unsigned char *)header, (size_t)length);
  sha1_add(&sha, data, size);
  sha1_finish(&sha, id->id);
}

int tack_pack_write_indexed(
    const char *pack_folder, const unsigned char *bytes, size_t length, char name[41]) {
  name[0] = 0;
  if (length < 32 || memcmp(bytes, "PACK", 4) != 0 || read32(bytes + 4) != 2)
    return bad_pack("no version 2 header");
  size_t count = read32(bytes + 8), body = length - 20;
  int error = -1;
  indexed_entry *entries = calloc(count ? count : 1, sizeof *entries);
  pack_record *records = malloc((count ? count : 1) * sizeof *records);
  size_t slot_count = 16;
  while (slot_count < count * 2) slot_count *= 2;
  size_t *slots = calloc(slot_count, sizeof *slots);
  buffer pack = {0};
  z_stream zlib;
  memset(&zlib, 0, sizeof zlib);
  int zlib_ready = inflateInit(&zlib) == Z_OK;
  if (entries == NULL || records == NULL || slots == NULL || !zlib_ready) {
    out_of_memory();
    goto done;
  }
  size_t at = 12;
  for (size_t n = 0; n < count; n++) {
    indexed_entry *entry = &entries[n];
    entry->offset = at;
    if (at >= body) {
      bad_pack("fewer entries than its header says");
      goto done;
    }
    unsigned char byte = bytes[at++];
    unsigned type = (byte >> 4) & 7;
    size_t size = byte & 15;
    int shift = 4;
    while (byte & 0x80) {
      if (at >= body || shift > 56) {
        bad_pack("an entry header runs past the end");
        goto done;
      }
      byte = bytes[at++];
      size |= (size_t)(byte & 0x7f) << shift;
      shift += 7;
    }
    const indexed_entry *base = NULL;
    if (type == GIT_OBJECT_OFS_DELTA) {
      if (at >= body) {
        bad_pack("a delta's base runs past the end");
        goto done;
      }
      byte = bytes[at++];
      uint64_t back = byte & 0x7f;
      while (byte & 0x80) {
        if (at >= body) {
          bad_pack("a delta's base runs past the end");
          goto done;
        }
        byte = bytes[at++];
        back = ((back + 1) << 7) | (byte & 0x7f);
      }
      /* Entries are in offset order: a binary search among the earlier ones. */
      size_t low = 0, high = n;
      while (low < high) {
        size_t middle = (low + high) / 2;
        if (entries[middle].offset < entry->offset - back) low = middle + 1;
        else high = middle;
      }
      if (back == 0 || back > entry->offset || low >= n
          || entries[low].offset != entry->offset - back) {
        bad_pack("a delta's base is not an entry");
        goto done;
      }
      base = &entries[low];
    } else if (type == GIT_OBJECT_REF_DELTA) {
      if (body - at < GIT_OID_RAWSZ) {
        bad_pack("a delta's base runs past the end");
        goto done;
      }
      git_oid id;
      memcpy(id.id, bytes + at, GIT_OID_RAWSZ);
      at += GIT_OID_RAWSZ;
      for (size_t slot = slot_of(&id, slot_count); slots[slot] != 0;
           slot = (slot + 1) & (slot_count - 1))
        if (git_oid_equal(&entries[slots[slot] - 1].id, &id)) {
          base = &entries[slots[slot] - 1];
          break;
        }
      if (base == NULL) {
        bad_pack("a delta's base comes after it, or is not in the pack");
        goto done;
      }
    } else if (type_name((git_object_t)type) == NULL) {
      bad_pack("an entry of unknown type");
      goto done;
    }
    unsigned char *data;
    size_t consumed;
    if (inflate_exactly(&zlib, bytes + at, body - at, size, &data, &consumed) < 0) goto done;
    at += consumed;
    entry->end = at;
    if (base != NULL) {
      unsigned char *whole;
      size_t whole_size;
      int applied = apply_delta(base->data, base->size, data, size, &whole, &whole_size);
      free(data);
      if (applied < 0) goto done;
      entry->type = base->type;
      entry->data = whole;
      entry->size = whole_size;
    } else {
      entry->type = (git_object_t)type;
      entry->data = data;
      entry->size = size;
    }
    hash_object(entry->type, entry->data, entry->size, &entry->id);
    size_t slot = slot_of(&entry->id, slot_count);
    while (slots[slot] != 0) slot = (slot + 1) & (slot_count - 1);
    slots[slot] = n + 1;
    records[n].id = entry->id;
    records[n].offset = entry->offset;
    records[n].crc = (uint32_t)crc32(0, bytes + entry->offset, (uInt)(entry->end - entry->offset));
  }
  if (at != body) {
    bad_pack("bytes left after the last entry");
    goto done;
  }
  if (buffer_add(&pack, bytes, body) < 0) {
    out_of_memory();
    goto done;
  }
  error = write_pack_and_index(pack_folder, &pack, records, count, name);
done:
  if (zlib_ready) inflateEnd(&zlib);
  if (entries != NULL)
    for (size_t n = 0; n < count; n++) free(entries[n].data);
  free(entries);
  free(records);
  free(slots);
  free(pack.bytes);
  return error;
}
