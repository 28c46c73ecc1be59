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

   From the moment git can see a write's pack until the branch points at it, a `.keep` beside
   it keeps `git repack -a -d`, `git gc` and Tack's own folds away from it, as git's fetch
   guards the pack it receives until its refs move: without it, a repack that started before
   the branch moved deletes the pack, and with it the new commit's trees. The `.keep` goes once
   the branch moved (`tack_pending_landed`); those of attempts that lost the compare-and-swap
   go at the end of the update (`tack_pending_end`): until then a later attempt may leave out
   an object because one of them holds it (libgit2 writes no object it finds stored). A
   process killed in between leaves its `.keep` behind; `tack gc` and folds remove those an
   hour old (Repository+Pack.swift), which git would not.

   The objects of the writes that landed stay readable from memory (up to `KEPT_LIMIT`): the
   next commands read the tip they just made without looking for the new pack. Those of an
   attempt that lost its compare-and-swap are dropped: nothing reaches them, so `tack gc` may
   remove their pack, and a later write must not take them for present. Writes pile up
   small packs; Tack folds them into bigger ones (Repository+Pack.swift). */

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

/* ---- The backend. ---- */

typedef struct {
  git_oid id;
  git_object_t type;
  size_t length;
  unsigned char *data;
} held_object;

/* Objects of packs already written, kept for reads; past this many they are dropped. */
#define KEPT_LIMIT 4096

/* The `.keep` of a pack a Tack write holds until its branch moves: "tack write <pid>". */
#define KEEP_PREFIX "tack write"

struct tack_pending {
  git_odb_backend parent;
  int capturing;
  /* The `.keep` of this attempt's pack ("" when none), and those of earlier attempts of this
     update that lost the compare-and-swap, newline-separated. */
  char keep[4096];
  tack_buffer lost;
  held_object *objects; /* the kept ones first, then this attempt's */
  size_t count, capacity, kept;
  size_t *slots; /* open addressing: index + 1 into objects, 0 = empty */
  size_t slot_count;
};

static held_object *find(struct tack_pending *p, const git_oid *id) {
  if (p->slot_count == 0) return NULL;
  for (size_t slot = tack_oid_slot(id, p->slot_count);; slot = (slot + 1) & (p->slot_count - 1)) {
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
    size_t slot = tack_oid_slot(&p->objects[index].id, slot_count);
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

static int backend_write(
    git_odb_backend *backend, const git_oid *id, const void *data, size_t length,
    git_object_t type) {
  struct tack_pending *p = (struct tack_pending *)backend;
  if (!p->capturing) return GIT_PASSTHROUGH;
  if (find(p, id) != NULL) return 0;
  if (p->count == p->capacity) {
    size_t capacity = p->capacity ? p->capacity * 2 : 16;
    held_object *grown = realloc(p->objects, capacity * sizeof *grown);
    if (grown == NULL) return tack_out_of_memory();
    p->objects = grown;
    p->capacity = capacity;
  }
  unsigned char *copy = malloc(length ? length : 1);
  if (copy == NULL) return tack_out_of_memory();
  memcpy(copy, data, length);
  p->objects[p->count++] = (held_object){*id, type, length, copy};
  if (p->count * 2 > p->slot_count) {
    if (rebuild_slots(p, p->slot_count ? p->slot_count * 2 : 16) < 0) {
      free(copy);
      p->count--;
      return tack_out_of_memory();
    }
  } else {
    size_t slot = tack_oid_slot(id, p->slot_count);
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
  if (copy == NULL) return tack_out_of_memory();
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
  tack_buffer data;
} held_stream;

static int stream_write(git_odb_stream *stream, const char *bytes, size_t length) {
  return tack_buffer_add(&((held_stream *)stream)->data, bytes, length) < 0 ? tack_out_of_memory() : 0;
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
  if (stream == NULL || tack_buffer_reserve(&stream->data, (size_t)length + 1) < 0) {
    free(stream);
    return tack_out_of_memory();
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

/* The `.keep` of this attempt's pack goes to the list of those removed at the end. */
static void keep_for_later(struct tack_pending *p) {
  if (p->keep[0] == 0) return;
  size_t length = strlen(p->keep);
  /* Out of memory: removed now instead. */
  if (tack_buffer_add(&p->lost, p->keep, length) < 0 || tack_buffer_add(&p->lost, "\n", 1) < 0)
    unlink(p->keep);
  p->keep[0] = 0;
}

/* Removes the `.keep` files named in `p->lost`. */
static void remove_lost_keeps(struct tack_pending *p) {
  size_t start = 0;
  for (size_t at = 0; at < p->lost.length; at++) {
    if (p->lost.bytes[at] != '\n') continue;
    p->lost.bytes[at] = 0;
    unlink((const char *)p->lost.bytes + start);
    start = at + 1;
  }
  p->lost.length = 0;
}

static void backend_free(git_odb_backend *backend) {
  struct tack_pending *p = (struct tack_pending *)backend;
  keep_for_later(p);
  remove_lost_keeps(p);
  free(p->lost.bytes);
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
    return tack_out_of_memory();
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
  keep_for_later(p);
  drop_from(p, p->kept > KEPT_LIMIT ? 0 : p->kept);
  p->capturing = 1;
}

void tack_pending_end(tack_pending *p) {
  keep_for_later(p);
  remove_lost_keeps(p);
  drop_from(p, p->kept);
  p->capturing = 0;
}

void tack_pending_landed(tack_pending *p) {
  p->kept = p->count;
  if (p->keep[0] != 0) unlink(p->keep);
  p->keep[0] = 0;
}

int tack_pending_flush(tack_pending *p, const char *pack_folder, char name[41]) {
  name[0] = 0;
  size_t first = p->kept, count = p->count - p->kept;
  if (count == 0) return 0;
  int error = -1;
  tack_buffer pack = {0};
  tack_pack_record *records = malloc(count * sizeof *records);
  z_stream zlib;
  memset(&zlib, 0, sizeof zlib);
  int zlib_ready = deflateInit(&zlib, Z_BEST_SPEED) == Z_OK;
  if (records == NULL || !zlib_ready || tack_add_pack_header(&pack, count) < 0) {
    tack_out_of_memory();
    goto done;
  }
  /* Each object deflated behind its type and size: no deltas (folds make those). */
  for (size_t n = 0; n < count; n++) {
    const held_object *object = &p->objects[first + n];
    size_t start = pack.length;
    if (tack_add_entry_header(&pack, object->type, object->length) < 0) {
      tack_out_of_memory();
      goto done;
    }
    deflateReset(&zlib);
    uLong bound = deflateBound(&zlib, (uLong)object->length);
    if (tack_buffer_reserve(&pack, bound) < 0) {
      tack_out_of_memory();
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
  char keep[64];
  snprintf(keep, sizeof keep, KEEP_PREFIX " %ld", (long)getpid());
  error = tack_write_pack_and_index(pack_folder, &pack, records, count, keep, name);
  if (error == 0
      && snprintf(p->keep, sizeof p->keep, "%s/pack-%s.keep", pack_folder, name)
             >= (int)sizeof p->keep) {
    p->keep[0] = 0;
    git_error_set_str(GIT_ERROR_OS, "pack folder path too long");
    error = -1;
  }
done:
  if (zlib_ready) deflateEnd(&zlib);
  free(pack.bytes);
  free(records);
  return error;
}
