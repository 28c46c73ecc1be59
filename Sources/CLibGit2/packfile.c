/* Writing packs: SHA-1, a growable buffer, and a pack with its version 2 index written to
   the pack folder (see packfile.h). */

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

/* ---- SHA-1 (FIPS 180-4), for the pack's and the index's trailing checksums. ---- */

static uint32_t rotate_left(uint32_t value, int bits) {
  return (value << bits) | (value >> (32 - bits));
}

static void sha1_block(tack_sha1 *context, const unsigned char *block) {
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

void tack_sha1_start(tack_sha1 *context) {
  context->portable = 0;
  static const uint32_t initial[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                                      0xC3D2E1F0};
  memcpy(context->state, initial, sizeof initial);
  context->length = 0;
  context->used = 0;
}

/* With the x86 SHA extensions (most x86-64 processors since 2017), four rounds per
   instruction: a fold hashes every object it writes and its whole pack, and this cuts that
   cost about fivefold. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TACK_SHA_EXTENSIONS 1
#include <cpuid.h>
#include <immintrin.h>

/* The next four message words from the previous sixteen. */
#define SHA1_SCHEDULE(w0, w1, w2, w3) \
  w0 = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(w0, w1), w2), w3)
/* Four rounds: E comes from A as it was four rounds earlier (`before`). */
#define SHA1_ROUNDS(function, w)                  \
  do {                                            \
    __m128i e = _mm_sha1nexte_epu32(before, w);   \
    before = abcd;                                \
    abcd = _mm_sha1rnds4_epu32(abcd, e, function); \
  } while (0)

__attribute__((target("sha,sse4.1,ssse3"))) static void sha1_blocks_extended(
    uint32_t state[5], const unsigned char *data, size_t blocks) {
  /* Big-endian words, A in the highest lane. */
  const __m128i order = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0x1B);
  __m128i e0 = _mm_set_epi32((int)state[4], 0, 0, 0);
  for (; blocks > 0; blocks--, data += 64) {
    __m128i abcd_start = abcd, e_start = e0;
    __m128i w0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)data), order);
    __m128i w1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16)), order);
    __m128i w2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 32)), order);
    __m128i w3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 48)), order);
    __m128i before = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e0, w0), 0);
    SHA1_ROUNDS(0, w1);
    SHA1_ROUNDS(0, w2);
    SHA1_ROUNDS(0, w3);
    SHA1_SCHEDULE(w0, w1, w2, w3);
    SHA1_ROUNDS(0, w0);
    SHA1_SCHEDULE(w1, w2, w3, w0);
    SHA1_ROUNDS(1, w1);
    SHA1_SCHEDULE(w2, w3, w0, w1);
    SHA1_ROUNDS(1, w2);
    SHA1_SCHEDULE(w3, w0, w1, w2);
    SHA1_ROUNDS(1, w3);
    SHA1_SCHEDULE(w0, w1, w2, w3);
    SHA1_ROUNDS(1, w0);
    SHA1_SCHEDULE(w1, w2, w3, w0);
    SHA1_ROUNDS(1, w1);
    SHA1_SCHEDULE(w2, w3, w0, w1);
    SHA1_ROUNDS(2, w2);
    SHA1_SCHEDULE(w3, w0, w1, w2);
    SHA1_ROUNDS(2, w3);
    SHA1_SCHEDULE(w0, w1, w2, w3);
    SHA1_ROUNDS(2, w0);
    SHA1_SCHEDULE(w1, w2, w3, w0);
    SHA1_ROUNDS(2, w1);
    SHA1_SCHEDULE(w2, w3, w0, w1);
    SHA1_ROUNDS(2, w2);
    SHA1_SCHEDULE(w3, w0, w1, w2);
    SHA1_ROUNDS(3, w3);
    SHA1_SCHEDULE(w0, w1, w2, w3);
    SHA1_ROUNDS(3, w0);
    SHA1_SCHEDULE(w1, w2, w3, w0);
    SHA1_ROUNDS(3, w1);
    SHA1_SCHEDULE(w2, w3, w0, w1);
    SHA1_ROUNDS(3, w2);
    SHA1_SCHEDULE(w3, w0, w1, w2);
    SHA1_ROUNDS(3, w3);
    e0 = _mm_sha1nexte_epu32(before, e_start);
    abcd = _mm_add_epi32(abcd, abcd_start);
  }
  _mm_storeu_si128((__m128i *)state, _mm_shuffle_epi32(abcd, 0x1B));
  state[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

static int sha1_extensions_present(void) {
  unsigned int a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  int sse = (c & bit_SSSE3) && (c & bit_SSE4_1);
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  return sse && (b & bit_SHA);
}

/* 0: not decided yet; 1: the portable rounds; 2: the SHA extensions. Every thread that
   decides stores the same value. */
static int sha1_engine;

static int sha1_extended(void) {
  int engine = __atomic_load_n(&sha1_engine, __ATOMIC_RELAXED);
  if (engine == 0) {
    engine = sha1_extensions_present() ? 2 : 1;
    __atomic_store_n(&sha1_engine, engine, __ATOMIC_RELAXED);
  }
  return engine == 2;
}
#endif

static void sha1_blocks(tack_sha1 *context, const unsigned char *data, size_t blocks) {
#ifdef TACK_SHA_EXTENSIONS
  if (!context->portable && sha1_extended()) {
    sha1_blocks_extended(context->state, data, blocks);
    return;
  }
#endif
  for (; blocks > 0; blocks--, data += 64) sha1_block(context, data);
}

void tack_sha1_add(tack_sha1 *context, const unsigned char *bytes, size_t count) {
  context->length += count;
  if (context->used > 0) {
    size_t take = 64 - context->used < count ? 64 - context->used : count;
    memcpy(context->block + context->used, bytes, take);
    context->used += take;
    bytes += take;
    count -= take;
    if (context->used < 64) return;
    sha1_blocks(context, context->block, 1);
    context->used = 0;
  }
  /* Whole blocks straight from the caller's bytes. */
  if (count >= 64) {
    sha1_blocks(context, bytes, count / 64);
    bytes += count - count % 64;
    count %= 64;
  }
  if (count > 0) memcpy(context->block, bytes, count);
  context->used = count;
}

void tack_sha1_finish(tack_sha1 *context, unsigned char digest[20]) {
  uint64_t bits = context->length * 8;
  unsigned char padding[72] = {0x80};
  size_t zeros = (context->used < 56 ? 56 : 120) - context->used;
  for (int i = 0; i < 8; i++) padding[zeros + i] = (unsigned char)(bits >> (56 - 8 * i));
  tack_sha1_add(context, padding, zeros + 8);
  for (int i = 0; i < 5; i++) {
    digest[4 * i] = (unsigned char)(context->state[i] >> 24);
    digest[4 * i + 1] = (unsigned char)(context->state[i] >> 16);
    digest[4 * i + 2] = (unsigned char)(context->state[i] >> 8);
    digest[4 * i + 3] = (unsigned char)context->state[i];
  }
}

void tack_sha1_digest(const void *bytes, size_t count, int portable, unsigned char digest[20]) {
  tack_sha1 context;
  tack_sha1_start(&context);
  context.portable = portable;
  tack_sha1_add(&context, bytes, count);
  tack_sha1_finish(&context, digest);
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
   git leaves packs. */
static int write_file(const char *folder, const char *name, const tack_buffer *bytes) {
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

static int by_record_id(const void *left, const void *right) {
  return git_oid_cmp(&((const tack_pack_record *)left)->id, &((const tack_pack_record *)right)->id);
}

/* Finishes `pack` (its header and entries, as `records` describe them) with its SHA-1, builds
   its version 2 index, and writes both to `folder`: the pack first, its index last, since git
   and libgit2 find packs by their index. `name` gets the pack's 40-hex id. Sorts `records`. */
int tack_write_pack_and_index(
    const char *folder, tack_buffer *pack, tack_pack_record *records, size_t count, char name[41]) {
  int error = -1;
  tack_buffer index = {0};
  unsigned char pack_sum[20], index_sum[20];
  tack_sha1 sha;
  tack_sha1_start(&sha);
  tack_sha1_add(&sha, pack->bytes, pack->length);
  tack_sha1_finish(&sha, pack_sum);
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
  if (tack_buffer_add(&index, index_sum, 20) < 0) goto no_memory;

  char hex[41], file[64];
  for (int i = 0; i < 20; i++) snprintf(hex + 2 * i, 3, "%02x", pack_sum[i]);
  snprintf(file, sizeof file, "pack-%s.pack", hex);
  if (write_file(folder, file, pack) < 0) goto done;
  snprintf(file, sizeof file, "pack-%s.idx", hex);
  if (write_file(folder, file, &index) < 0) goto done;
  if (fsync_enabled) {
    int directory = open(folder, O_RDONLY | O_DIRECTORY);
    if (directory < 0 || fsync(directory) < 0) {
      tack_os_error("could not sync", folder);
      if (directory >= 0) close(directory);
      goto done;
    }
    close(directory);
  }
  memcpy(name, hex, 41);
  error = 0;
  goto done;
no_memory:
  tack_out_of_memory();
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
