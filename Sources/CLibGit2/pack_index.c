/* Indexing a pack made in memory (git_packbuilder_write_buf): tack_pack_write_indexed, shim.h.

   libgit2's indexer writes a new pack object by object, mapping and unmapping the growing
   file around each one to hash it: for a fold of thousands of objects, thousands of mmap
   and munmap calls. The pack is already in memory here: each entry is inflated once, deltas
   applied to their bases (which come earlier in the pack), every object hashed, and the
   pack and its index written as a write's pack is. */

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
  if (data == NULL) return tack_out_of_memory();
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
  if (result == NULL) return tack_out_of_memory();
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

static int hash_object(git_object_t type, const unsigned char *data, size_t size, git_oid *id) {
  char header[64];
  int length = snprintf(header, sizeof header, "%s %zu", type_name(type), size) + 1;
  tack_sha1 sha;
  tack_sha1_start(&sha);
  tack_sha1_add(&sha, (const unsigned char *)header, (size_t)length);
  tack_sha1_add(&sha, data, size);
  tack_sha1_finish(&sha, id->id);
  if (!sha.failed) return 0;
  git_error_set_str(GIT_ERROR_SSL, "OpenSSL could not compute an object's SHA-1");
  return -1;
}

int tack_pack_write_indexed(
    const char *pack_folder, const unsigned char *bytes, size_t length, char name[41]) {
  name[0] = 0;
  if (length < 32 || memcmp(bytes, "PACK", 4) != 0 || tack_read32(bytes + 4) != 2)
    return bad_pack("no version 2 header");
  size_t count = tack_read32(bytes + 8), body = length - 20;
  int error = -1;
  indexed_entry *entries = calloc(count ? count : 1, sizeof *entries);
  tack_pack_record *records = malloc((count ? count : 1) * sizeof *records);
  size_t slot_count = 16;
  while (slot_count < count * 2) slot_count *= 2;
  size_t *slots = calloc(slot_count, sizeof *slots);
  tack_buffer pack = {0};
  z_stream zlib;
  memset(&zlib, 0, sizeof zlib);
  int zlib_ready = inflateInit(&zlib) == Z_OK;
  if (entries == NULL || records == NULL || slots == NULL || !zlib_ready) {
    tack_out_of_memory();
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
      for (size_t slot = tack_oid_slot(&id, slot_count); slots[slot] != 0;
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
    if (hash_object(entry->type, entry->data, entry->size, &entry->id) < 0) goto done;
    size_t slot = tack_oid_slot(&entry->id, slot_count);
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
  if (tack_buffer_add(&pack, bytes, body) < 0) {
    tack_out_of_memory();
    goto done;
  }
  error = tack_write_pack_and_index(pack_folder, &pack, records, count, NULL, name);
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
