/* What Tack's pack writers share (pending.c, pack_fold.c, pack_index.c): SHA-1, a growable
   buffer, and writing a pack with its version 2 index. Private to CLibGit2. */
#ifndef TACK_PACKFILE_H
#define TACK_PACKFILE_H

#include "shim.h"

#include <stdint.h>

/* SHA-1 through OpenSSL's EVP, for packs' and indexes' checksums and object ids (packfile.c).
   A context that could not be set up, or failed on the way, sets `failed`, and its digest is
   all zeros: writers check `failed` after `tack_sha1_finish`. */
typedef struct {
  struct evp_md_ctx_st *context;
  int failed;
} tack_sha1;

void tack_sha1_start(tack_sha1 *context);
void tack_sha1_add(tack_sha1 *context, const unsigned char *bytes, size_t count);
void tack_sha1_finish(tack_sha1 *context, unsigned char digest[20]);

/* Whether fsync is on (tack_git_enable_fsync). */
int tack_fsync_enabled(void);

/* A growable byte buffer; the functions return -1 when out of memory. */
typedef struct {
  unsigned char *bytes;
  size_t length, capacity;
} tack_buffer;

int tack_buffer_reserve(tack_buffer *b, size_t extra);
int tack_buffer_add(tack_buffer *b, const void *bytes, size_t count);
int tack_buffer_add32(tack_buffer *b, uint32_t value);

/* One object of a pack being written: its id, the CRC-32 of its entry, and where it starts. */
typedef struct {
  git_oid id;
  uint32_t crc;
  uint64_t offset;
} tack_pack_record;

/* A slot for `id` in an open-addressing table of `slot_count` (a power of two) slots. */
size_t tack_oid_slot(const git_oid *id, size_t slot_count);

/* Set a libgit2 error and return -1. */
int tack_out_of_memory(void);
int tack_os_error(const char *what, const char *path);

/* A big-endian 32-bit number. */
uint32_t tack_read32(const unsigned char *bytes);

/* A pack's 12-byte header, and an entry's header (type and inflated size). */
int tack_add_pack_header(tack_buffer *pack, size_t count);
int tack_add_entry_header(tack_buffer *pack, git_object_t type, size_t length);

/* Finishes `pack` (its header and entries, as `records` describe them) with its SHA-1, builds
   its version 2 index, and writes both to `folder`: the pack first, its index last, since git
   and libgit2 find packs by their index; fsynced, with the folder, when fsync is on. With
   `keep` (a message), a `.keep` holding it comes before both: from the moment git can see
   the pack, `git repack -a -d` and `git gc` leave it alone. `name` gets the pack's 40-hex id.
   Sorts `records`. 0 or -1 (with a libgit2 error). */
int tack_write_pack_and_index(
    const char *folder, tack_buffer *pack, tack_pack_record *records, size_t count,
    const char *keep, char name[41]);

#endif
