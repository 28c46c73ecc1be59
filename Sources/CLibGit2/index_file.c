/* The index (`.git/index`) read and rewritten for the few paths a write changes
   (tack_index_lookup, tack_index_write_locked: shim.h).

   libgit2 rewrites the whole index through its own writer, which hashes the file with SHA-1DC
   (about 250 MB/s here: 5 ms for the 1.3 MB index of a 10k-task board, half of a write), and
   reads it back the same way whenever the file changed. Here the file is mapped, its checksum
   checked (once per process, see `checked`), and the new index written as runs of the old
   file around the changed entries, with the SHA-1 of packfile.c. Versions 2, 3 and 4 (whose
   paths are prefix-compressed); an index with an extension git requires readers to know (a
   split or sparse index, or one this code does not know) is refused with a TACK_INDEX_ code
   and nothing changed.

   Racy git: an entry whose file was modified in the same second as the index was written
   looks clean by its stat data alone. Git re-checks such entries whenever it reads the index
   (their modification time is not older than the index file's), and when it writes a new
   index, which makes them look old, it first "smudges" those whose file no longer matches
   (sets their size to 0, so that later readers hash the file). rebuild() does the same for
   every entry it copies, as git's ce_smudge_racily_clean_entry does. */

#include "packfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

/* A file's modification and change times (named otherwise on Apple's systems). */
#ifdef __APPLE__
#define MODIFIED(info) ((info)->st_mtimespec)
#define CHANGED(info) ((info)->st_ctimespec)
#else
#define MODIFIED(info) ((info)->st_mtim)
#define CHANGED(info) ((info)->st_ctim)
#endif

/* An entry's flags (git's Documentation/gitformat-index.txt). */
#define FLAG_ASSUME_VALID 0x8000
#define FLAG_EXTENDED 0x4000
#define FLAG_NAME_LENGTH 0x0fff
#define EXTENDED_SKIP_WORKTREE 0x4000
#define EXTENDED_INTENT_TO_ADD 0x2000

/* Where an entry's fields sit, from its start. */
#define AT_MODIFIED 8
#define AT_MODE 24
#define AT_SIZE 36
#define AT_ID 40
#define AT_FLAGS 60
#define FIXED_LENGTH 62

/* One entry as it sits in the file. */
typedef struct {
  size_t offset, length; /* its bytes in the file */
  size_t fixed;          /* how many of them come before the path: 62, or 64 with extended flags */
  const unsigned char *path; /* in the file (versions 2 and 3), or in `names` (version 4) */
  size_t path_length;
  unsigned stage;
  uint16_t flags, extended_flags;
} index_entry;

typedef struct {
  const unsigned char *bytes; /* the file, mapped */
  size_t length;
  struct stat info;
  uint32_t version;
  index_entry *entries;
  size_t count;
  size_t extensions;   /* where the extensions start (the end of the last entry) */
  tack_buffer names;   /* version 4: the entries' paths, each followed by a NUL */
} index_file;

static void index_free(index_file *index) {
  if (index->bytes != NULL) munmap((void *)index->bytes, index->length);
  free(index->entries);
  free(index->names.bytes);
  memset(index, 0, sizeof *index);
}

/* The index file this process last checked or wrote, as stat saw it, and its checksum: a
   file that still looks the same need not be hashed again (1.3 MB at 10k tasks). Any write
   to it changes its modification and change times; git and Tack replace it by renaming a
   new file in, which gives it another inode. A file this process wrote into index.lock is
   remembered before the caller renames it, which changes its change time: the first check
   after that takes the change time it finds. */
static pthread_mutex_t checked_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  dev_t device;
  ino_t inode;
  off_t size;
  struct timespec modified, changed;
  int changed_unknown;
  unsigned char sum[20];
  int valid;
} checked;

static int same_file(const struct stat *info) {
  return checked.valid && checked.device == info->st_dev && checked.inode == info->st_ino
         && checked.size == info->st_size && checked.modified.tv_sec == MODIFIED(info).tv_sec
         && checked.modified.tv_nsec == MODIFIED(info).tv_nsec
         && (checked.changed_unknown
             || (checked.changed.tv_sec == CHANGED(info).tv_sec
                 && checked.changed.tv_nsec == CHANGED(info).tv_nsec));
}

static void remember_file(const struct stat *info, const unsigned char sum[20], int renaming) {
  pthread_mutex_lock(&checked_lock);
  checked.device = info->st_dev;
  checked.inode = info->st_ino;
  checked.size = info->st_size;
  checked.modified = MODIFIED(info);
  checked.changed = CHANGED(info);
  checked.changed_unknown = renaming;
  memcpy(checked.sum, sum, 20);
  checked.valid = 1;
  pthread_mutex_unlock(&checked_lock);
}

/* Whether `bytes` end with the checksum of what comes before them: hashed, unless this
   process checked or wrote this very file (the same stat data and checksum) before. */
static int checksum_matches(const unsigned char *bytes, size_t length, const struct stat *info) {
  pthread_mutex_lock(&checked_lock);
  int known = same_file(info) && memcmp(checked.sum, bytes + length - 20, 20) == 0;
  if (known && checked.changed_unknown) {
    checked.changed = CHANGED(info);
    checked.changed_unknown = 0;
  }
  pthread_mutex_unlock(&checked_lock);
  if (known) return 1;
  unsigned char sum[20];
  tack_sha1 sha;
  tack_sha1_start(&sha);
  tack_sha1_add(&sha, bytes, length - 20);
  tack_sha1_finish(&sha, sum);
  if (memcmp(sum, bytes + length - 20, 20) != 0) return 0;
  remember_file(info, sum, 0);
  return 1;
}

static int corrupt(const char *path, const char *what) {
  char message[512];
  snprintf(message, sizeof message, "the index %s is damaged: %s", path, what);
  git_error_set_str(GIT_ERROR_INDEX, message);
  return -1;
}

static uint16_t read16(const unsigned char *bytes) { return (uint16_t)(bytes[0] << 8 | bytes[1]); }

static void write16(unsigned char *bytes, uint16_t value) {
  bytes[0] = (unsigned char)(value >> 8);
  bytes[1] = (unsigned char)value;
}

static void write32(unsigned char *bytes, uint32_t value) {
  bytes[0] = (unsigned char)(value >> 24);
  bytes[1] = (unsigned char)(value >> 16);
  bytes[2] = (unsigned char)(value >> 8);
  bytes[3] = (unsigned char)value;
}

/* Version 4's variable-length numbers (git's varint.c: 7 bits a byte, most significant
   first, each continuation adding one). 0 when it runs past `end` or overflows. */
static int read_varint(const unsigned char **at, const unsigned char *end, size_t *value) {
  const unsigned char *p = *at;
  if (p >= end) return 0;
  unsigned char c = *p++;
  size_t result = c & 127;
  while (c & 128) {
    result += 1;
    if (p >= end || result > (SIZE_MAX >> 7)) return 0;
    c = *p++;
    result = (result << 7) + (c & 127);
  }
  *at = p;
  *value = result;
  return 1;
}

static size_t encode_varint(size_t value, unsigned char bytes[16]) {
  unsigned char reversed[16];
  size_t at = sizeof reversed - 1;
  reversed[at] = value & 127;
  while (value >>= 7) reversed[--at] = (unsigned char)(128 | (--value & 127));
  memcpy(bytes, reversed + at, sizeof reversed - at);
  return sizeof reversed - at;
}

/* Parses the entries of the mapped index file; 0, a TACK_INDEX_ code, or -1. */
static int parse(index_file *index, const char *path) {
  const unsigned char *bytes = index->bytes;
  size_t length = index->length, end = length - 20;
  if (length < 12 + 20 || memcmp(bytes, "DIRC", 4) != 0) return corrupt(path, "no index header");
  index->version = tack_read32(bytes + 4);
  if (index->version < 2 || index->version > 4) {
    char message[512];
    snprintf(message, sizeof message,
             "the index %s has version %u, which Tack cannot read; rewrite it with "
             "`git update-index --index-version 2` and try again",
             path, (unsigned)index->version);
    git_error_set_str(GIT_ERROR_INDEX, message);
    return -1;
  }
  if (!checksum_matches(bytes, length, &index->info))
    return corrupt(path, "its checksum does not match");
  size_t count = tack_read32(bytes + 8);
  if (count > (length - 32) / 64) return corrupt(path, "more entries than the file can hold");
  index->entries = malloc((count ? count : 1) * sizeof *index->entries);
  if (index->entries == NULL) return tack_out_of_memory();
  int compressed = index->version == 4;
  size_t at = 12, previous = 0, previous_length = 0; /* version 4: the last path, in names */
  for (size_t n = 0; n < count; n++) {
    if (at + FIXED_LENGTH > end) return corrupt(path, "an entry runs past the end");
    uint16_t flags = read16(bytes + at + AT_FLAGS);
    int extended = (flags & FLAG_EXTENDED) != 0;
    if (extended && index->version < 3) return corrupt(path, "extended flags in version 2");
    size_t start = at + FIXED_LENGTH + (extended ? 2 : 0);
    if (start > end) return corrupt(path, "an entry runs past the end");
    index_entry *entry = &index->entries[n];
    entry->offset = at;
    entry->fixed = start - at;
    entry->flags = flags;
    entry->extended_flags = extended ? read16(bytes + at + FIXED_LENGTH) : 0;
    entry->stage = (flags >> 12) & 3;
    if (compressed) {
      /* How many bytes of the previous path to drop, then the rest of this one. */
      const unsigned char *cursor = bytes + start;
      size_t drop;
      if (!read_varint(&cursor, bytes + end, &drop) || drop > previous_length)
        return corrupt(path, "a path does not decode");
      const unsigned char *suffix_end = memchr(cursor, 0, (size_t)(bytes + end - cursor));
      if (suffix_end == NULL) return corrupt(path, "a path runs past the end");
      size_t keep = previous_length - drop, suffix = (size_t)(suffix_end - cursor);
      if (tack_buffer_reserve(&index->names, keep + suffix + 1) < 0) return tack_out_of_memory();
      size_t here = index->names.length;
      memmove(index->names.bytes + here, index->names.bytes + previous, keep);
      memcpy(index->names.bytes + here + keep, cursor, suffix);
      index->names.bytes[here + keep + suffix] = 0;
      index->names.length += keep + suffix + 1;
      previous = here;
      previous_length = keep + suffix;
      entry->path_length = previous_length;
      entry->length = (size_t)(suffix_end + 1 - (bytes + at));
      /* The offset of the path in `names` for now: the pointer is set once `names` has
         stopped moving. */
      entry->path = (const unsigned char *)(uintptr_t)here;
    } else {
      const unsigned char *path_end = memchr(bytes + start, 0, end - start);
      if (path_end == NULL) return corrupt(path, "a path runs past the end");
      entry->path = bytes + start;
      entry->path_length = (size_t)(path_end - (bytes + start));
      entry->length = (start - at + entry->path_length + 8) & ~(size_t)7;
      if (at + entry->length > end) return corrupt(path, "an entry runs past the end");
    }
    at += entry->length;
  }
  if (compressed) {
    for (size_t n = 0; n < count; n++)
      index->entries[n].path = index->names.bytes + (uintptr_t)index->entries[n].path;
  }
  index->count = count;
  index->extensions = at;
  /* Extensions: those git requires readers to know have a lower-case first letter. */
  while (at < end) {
    if (at + 8 > end) return corrupt(path, "an extension runs past the end");
    uint32_t size = tack_read32(bytes + at + 4);
    if (size > end - at - 8) return corrupt(path, "an extension runs past the end");
    if (bytes[at] < 'A' || bytes[at] > 'Z') {
      char name[5] = {0}, message[512];
      for (int n = 0; n < 4; n++)
        name[n] = bytes[at + n] >= 32 && bytes[at + n] < 127 ? (char)bytes[at + n] : '?';
      snprintf(message, sizeof message,
               "the index %s has the extension '%s', which git requires readers to know", path,
               name);
      git_error_set_str(GIT_ERROR_INDEX, message);
      if (memcmp(bytes + at, "link", 4) == 0) return TACK_INDEX_SPLIT;
      if (memcmp(bytes + at, "sdir", 4) == 0) return TACK_INDEX_SPARSE;
      return TACK_INDEX_UNKNOWN_EXTENSION;
    }
    at += 8 + size;
  }
  return 0;
}

/* Opens and parses the index at `path`. */
static int load(index_file *index, const char *path) {
  memset(index, 0, sizeof *index);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    char message[512];
    snprintf(message, sizeof message, "there is no index file %s", path);
    git_error_set_str(GIT_ERROR_INDEX, message);
    return TACK_INDEX_MISSING;
  }
  if (fd < 0) return tack_os_error("could not open", path);
  /* Read only: closing it cannot lose anything, so its result is not needed. */
  if (fstat(fd, &index->info) < 0) {
    int result = tack_os_error("could not read", path);
    close(fd);
    return result;
  }
  if (index->info.st_size < 32) {
    close(fd);
    return corrupt(path, "too short");
  }
  void *mapped = mmap(NULL, (size_t)index->info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  int mapped_errno = errno;
  close(fd);
  if (mapped == MAP_FAILED) {
    errno = mapped_errno;
    return tack_os_error("could not read", path);
  }
  index->bytes = mapped;
  index->length = (size_t)index->info.st_size;
  int result = parse(index, path);
  if (result != 0) index_free(index);
  return result;
}

/* git's order: by path bytes, a path before any longer one it begins, then by stage. */
static int compare_path(const unsigned char *a, size_t a_length, const char *b, size_t b_length) {
  size_t common = a_length < b_length ? a_length : b_length;
  int order = memcmp(a, b, common);
  if (order != 0) return order;
  return a_length < b_length ? -1 : a_length > b_length;
}

/* The first entry whose path is not before `path`. */
static size_t find(const index_file *index, const char *path) {
  size_t length = strlen(path), low = 0, high = index->count;
  while (low < high) {
    size_t middle = low + (high - low) / 2;
    const index_entry *entry = &index->entries[middle];
    if (compare_path(entry->path, entry->path_length, path, length) < 0)
      low = middle + 1;
    else
      high = middle;
  }
  return low;
}

static int same_path(const index_entry *entry, const char *path) {
  size_t length = strlen(path);
  return entry->path_length == length && memcmp(entry->path, path, length) == 0;
}

int tack_index_lookup(
    const char *index_path, const char *const *paths, size_t count, git_oid *ids, int *found,
    int *skip_worktree) {
  index_file index;
  int result = load(&index, index_path);
  if (result != 0) return result;
  for (size_t n = 0; n < count; n++) {
    size_t at = find(&index, paths[n]);
    found[n] = 0;
    if (skip_worktree != NULL) skip_worktree[n] = 0;
    if (at < index.count && same_path(&index.entries[at], paths[n])
        && index.entries[at].stage == 0) {
      memcpy(ids[n].id, index.bytes + index.entries[at].offset + AT_ID, 20);
      found[n] = 1;
      if (skip_worktree != NULL)
        skip_worktree[n] = (index.entries[at].extended_flags & EXTENDED_SKIP_WORKTREE) != 0;
    }
  }
  index_free(&index);
  return 0;
}

/* ---- The cache tree ("TREE"): each folder's tree id, invalidated along changed paths. ---- */

/* Copies the cache-tree node at `*at` in `in` (and its subtrees, which follow it) to `out`,
   marked invalid when one of the `changed` paths (relative to the node's parent) is in it. */
static int copy_tree_node(
    const unsigned char *in, size_t end, size_t *at, tack_buffer *out,
    const char *const *changed, size_t changed_count) {
  if (out != NULL && changed_count == 0) {
    /* Nothing changed below this folder: it and its subtrees as they are, found by walking
       them (`out` NULL) without writing. */
    size_t start = *at;
    if (copy_tree_node(in, end, at, NULL, NULL, 0) < 0) return -1;
    return tack_buffer_add(out, in + start, *at - start);
  }
  const unsigned char *name_end = memchr(in + *at, 0, end - *at);
  if (name_end == NULL) return -1;
  size_t name_length = (size_t)(name_end - (in + *at));
  const unsigned char *line = name_end + 1;
  const unsigned char *newline = memchr(line, '\n', end - (size_t)(line - in));
  if (newline == NULL) return -1;
  /* "<entries> <subtrees>\n": entries is -1 for a folder already invalid. */
  long entries = 0, subtrees = 0, *number = &entries;
  int negative = 0, digits = 0;
  for (const unsigned char *c = line; c < newline; c++) {
    if (*c == '-' && number == &entries && digits == 0 && !negative) {
      negative = 1;
    } else if (*c >= '0' && *c <= '9' && digits < 12) {
      *number = *number * 10 + (*c - '0');
      digits++;
    } else if (*c == ' ' && number == &entries && digits > 0) {
      number = &subtrees;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (number != &subtrees || digits == 0) return -1;
  if (negative) entries = -entries;
  size_t next = (size_t)(newline + 1 - in);
  if (entries >= 0) {
    if (next + 20 > end) return -1;
    next += 20;
  }
  if (out == NULL) {
    *at = next;
    for (long n = 0; n < subtrees; n++) {
      if (copy_tree_node(in, end, at, NULL, NULL, 0) < 0) return -1;
    }
    return 0;
  }
  /* Which changed paths go through this folder, and what remains of them below it. */
  const char **below = malloc((changed_count ? changed_count : 1) * sizeof *below);
  if (below == NULL) return -1;
  size_t below_count = 0;
  for (size_t n = 0; n < changed_count; n++) {
    const char *rest = changed[n];
    if (name_length > 0) {
      if (strncmp(rest, (const char *)(in + *at), name_length) != 0 || rest[name_length] != '/')
        continue;
      rest += name_length + 1;
    }
    below[below_count++] = rest;
  }
  int invalid = below_count > 0;
  if (tack_buffer_add(out, in + *at, name_length + 1) < 0) goto fail;
  char counts[64];
  int written = snprintf(counts, sizeof counts, "%ld %ld\n", invalid ? -1L : entries, subtrees);
  if (tack_buffer_add(out, counts, (size_t)written) < 0) goto fail;
  if (!invalid && entries >= 0 && tack_buffer_add(out, in + next - 20, 20) < 0) goto fail;
  *at = next;
  for (long n = 0; n < subtrees; n++) {
    if (copy_tree_node(in, end, at, out, below, below_count) < 0) goto fail;
  }
  free(below);
  return 0;
fail:
  free(below);
  return -1;
}

/* ---- Updating. ---- */

static int by_change_path(const void *left, const void *right) {
  const tack_index_change *a = left, *b = right;
  return strcmp(a->path, b->path);
}

/* The new index as pieces, in order: runs of the old file, and bytes made here. */
typedef struct {
  tack_buffer made; /* the header, new and re-encoded entries, the cache tree */
  struct {
    int made; /* in `made` (else in the old file) */
    size_t offset, length;
  } *pieces;
  size_t count, capacity;
} index_output;

static int add_piece(index_output *out, int made, size_t offset, size_t length) {
  if (length == 0) return 0;
  if (out->count > 0 && out->pieces[out->count - 1].made == made
      && out->pieces[out->count - 1].offset + out->pieces[out->count - 1].length == offset) {
    out->pieces[out->count - 1].length += length; /* one run */
    return 0;
  }
  if (out->count == out->capacity) {
    size_t grown = out->capacity ? out->capacity * 2 : 64;
    void *more = realloc(out->pieces, grown * sizeof *out->pieces);
    if (more == NULL) return tack_out_of_memory();
    out->pieces = more;
    out->capacity = grown;
  }
  out->pieces[out->count].made = made;
  out->pieces[out->count].offset = offset;
  out->pieces[out->count].length = length;
  out->count++;
  return 0;
}

static int add_old(index_output *out, size_t offset, size_t length) {
  return add_piece(out, 0, offset, length);
}

/* Appends what was added to `made` since `start` as one piece. */
static int add_made(index_output *out, size_t start) {
  return add_piece(out, 1, start, out->made.length - start);
}

/* What rebuild() carries from entry to entry. */
typedef struct {
  const index_file *index;
  git_repository *repository;
  const char *workdir; /* NULL: no working tree to compare entries with */
  index_output out;
  const unsigned char *previous; /* the path of the last entry written (version 4) */
  size_t previous_length;
  int reencode; /* version 4: the next old entry must have its path encoded again */
  size_t entries, extended; /* entries written, and those with extended flags */
  tack_buffer file;         /* a working-tree path */
} rebuild_state;

/* Appends an entry made here: its first `fixed_length` bytes (62, or 64 with extended
   flags), then its path, as the index's version stores it. */
static int add_entry(
    rebuild_state *state, const unsigned char *fixed, size_t fixed_length,
    const unsigned char *path, size_t path_length) {
  tack_buffer *made = &state->out.made;
  size_t start = made->length;
  if (tack_buffer_add(made, fixed, fixed_length) < 0) return tack_out_of_memory();
  if (state->index->version == 4) {
    /* The number of bytes to drop from the previous path, then the rest of this one. */
    size_t common = 0;
    size_t limit = state->previous_length < path_length ? state->previous_length : path_length;
    while (common < limit && state->previous[common] == path[common]) common++;
    unsigned char varint[16];
    size_t varint_length = encode_varint(state->previous_length - common, varint);
    if (tack_buffer_add(made, varint, varint_length) < 0
        || tack_buffer_add(made, path + common, path_length - common) < 0
        || tack_buffer_add(made, "", 1) < 0)
      return tack_out_of_memory();
  } else {
    static const unsigned char zeros[8] = {0};
    size_t padding = ((fixed_length + path_length + 8) & ~(size_t)7) - fixed_length - path_length;
    if (tack_buffer_add(made, path, path_length) < 0 || tack_buffer_add(made, zeros, padding) < 0)
      return tack_out_of_memory();
  }
  if (add_made(&state->out, start) < 0) return -1;
  state->previous = path;
  state->previous_length = path_length;
  state->entries++;
  return 0;
}

/* Copies an old entry: as it is (a run of the old file) or, when it must be smudged or its
   compressed path no longer follows from the entry before it, made again. */
static int copy_entry(rebuild_state *state, const index_entry *entry, int smudge) {
  const unsigned char *bytes = state->index->bytes + entry->offset;
  if (entry->flags & FLAG_EXTENDED) state->extended++;
  if (!smudge && !state->reencode) {
    if (add_old(&state->out, entry->offset, entry->length) < 0) return -1;
    state->previous = entry->path;
    state->previous_length = entry->path_length;
    state->entries++;
    return 0;
  }
  unsigned char fixed[FIXED_LENGTH + 2];
  memcpy(fixed, bytes, entry->fixed);
  if (smudge) write32(fixed + AT_SIZE, 0);
  state->reencode = 0;
  return add_entry(state, fixed, entry->fixed, entry->path, entry->path_length);
}

/* A new entry for `change`, stage 0, replacing `old` (the stage-0 entry of its path, or
   NULL): with the flags of `old` (assume-valid, skip-worktree; not intent-to-add, since the
   entry now has content), or, for a new path, skip-worktree when the change asks for it. */
static int add_change(
    rebuild_state *state, const tack_index_change *change, const index_entry *old) {
  unsigned char fixed[FIXED_LENGTH + 2];
  const struct stat *info = &change->info;
  uint32_t fields[10] = {
      (uint32_t)CHANGED(info).tv_sec, (uint32_t)CHANGED(info).tv_nsec,
      (uint32_t)MODIFIED(info).tv_sec, (uint32_t)MODIFIED(info).tv_nsec,
      (uint32_t)info->st_dev,         (uint32_t)info->st_ino,
      (info->st_mode & S_IXUSR) ? 0100755u : 0100644u,
      (uint32_t)info->st_uid,         (uint32_t)info->st_gid,
      (uint32_t)info->st_size};
  for (int n = 0; n < 10; n++) write32(fixed + 4 * n, fields[n]);
  memcpy(fixed + AT_ID, change->id.id, 20);
  size_t length = strlen(change->path);
  uint16_t extended_flags = old != NULL ? (old->extended_flags & EXTENDED_SKIP_WORKTREE)
                            : change->skip_worktree ? EXTENDED_SKIP_WORKTREE
                                                    : 0;
  uint16_t flags = (uint16_t)(length < FLAG_NAME_LENGTH ? length : FLAG_NAME_LENGTH);
  if (old != NULL) flags |= old->flags & FLAG_ASSUME_VALID;
  if (extended_flags != 0) {
    flags |= FLAG_EXTENDED;
    write16(fixed + FIXED_LENGTH, extended_flags);
    state->extended++;
  }
  write16(fixed + AT_FLAGS, flags);
  if (add_entry(state, fixed, extended_flags != 0 ? FIXED_LENGTH + 2 : FIXED_LENGTH,
                (const unsigned char *)change->path, length)
      < 0)
    return -1;
  state->reencode = state->index->version == 4;
  return 0;
}

/* Whether git would take `entry` for racily clean (git's is_racy_timestamp, in seconds as
   git compares unless built with USE_NSEC: that takes in a few more): its file's recorded
   modification time is not older than the old index file's. Never a submodule's. */
static int is_racy(const rebuild_state *state, const index_entry *entry) {
  const unsigned char *bytes = state->index->bytes + entry->offset;
  uint32_t written = (uint32_t)MODIFIED(&state->index->info).tv_sec;
  return written != 0 && written <= tack_read32(bytes + AT_MODIFIED)
         && (tack_read32(bytes + AT_MODE) & 0170000) != 0160000;
}

/* Whether the racy `entry` must be smudged, as git's ce_smudge_racily_clean_entry decides:
   its file's stat data still matches the entry, but its content (through git's filters, as
   `git add` would store it) does not. The stat data compared are the file's type, its
   modification time in seconds and its size (git with core.checkStat=minimal); git compares
   more by default, so this smudges a few more entries than git would, never fewer: a
   smudged entry only makes git hash the file the next time it looks. */
static int must_smudge(rebuild_state *state, const index_entry *entry) {
  const unsigned char *bytes = state->index->bytes + entry->offset;
  uint32_t size = tack_read32(bytes + AT_SIZE);
  if (state->workdir == NULL || size == 0) return 0; /* smudged already, or empty */
  tack_buffer *file = &state->file;
  file->length = 0;
  if (tack_buffer_add(file, state->workdir, strlen(state->workdir)) < 0
      || tack_buffer_add(file, entry->path, entry->path_length) < 0
      || tack_buffer_add(file, "", 1) < 0)
    return 1;
  const char *path = (const char *)file->bytes;
  struct stat info;
  if (lstat(path, &info) < 0) return 0;
  uint32_t type = tack_read32(bytes + AT_MODE) & 0170000;
  int link = type == 0120000;
  if (link ? !S_ISLNK(info.st_mode) && !S_ISREG(info.st_mode) : !S_ISREG(info.st_mode)) return 0;
  if ((uint32_t)MODIFIED(&info).tv_sec != tack_read32(bytes + AT_MODIFIED)
      || (uint32_t)info.st_size != size)
    return 0;
  git_oid id;
  int error;
  if (!link) {
    /* A file whose bytes are the blob's is what git would store (its clean filters leave
       content already in their form as it is): found without the filters, which libgit2
       loads for each file (about 0.2 ms, against 10 µs for the bytes). Else through them:
       relative to the working tree, the path picks them (entry->path ends with a NUL, in the
       file or in `names` for version 4). */
    if (git_odb_hashfile(&id, path, GIT_OBJECT_BLOB) == 0
        && memcmp(id.id, bytes + AT_ID, 20) == 0)
      return 0;
    error = git_repository_hashfile(
        &id, state->repository, (const char *)entry->path, GIT_OBJECT_BLOB, NULL);
  } else if (S_ISLNK(info.st_mode)) {
    char target[4096];
    ssize_t length = readlink(path, target, sizeof target);
    error = length < 0 || (size_t)length >= sizeof target
                ? -1
                : git_odb_hash(&id, target, (size_t)length, GIT_OBJECT_BLOB);
  } else {
    /* A symbolic link checked out as a file (core.symlinks=false): its bytes are the target. */
    error = git_odb_hashfile(&id, path, GIT_OBJECT_BLOB);
  }
  if (error < 0) {
    git_error_clear();
    return 1; /* as git does when it cannot read the file */
  }
  return memcmp(id.id, bytes + AT_ID, 20) != 0;
}

/* The new index from the state's index and the sorted `changes`, as pieces. */
static int rebuild(
    rebuild_state *state, const char *index_path, const tack_index_change *changes, size_t count) {
  const index_file *index = state->index;
  const unsigned char *bytes = index->bytes;
  size_t next = 0;
  for (size_t c = 0; c <= count; c++) {
    if (c > 0 && c < count && strcmp(changes[c - 1].path, changes[c].path) == 0) {
      git_error_set_str(GIT_ERROR_INVALID, "the same path changed twice in one index update");
      return -1;
    }
    /* The old entries before this change's path (after the last change: all the rest),
       copied; racily clean ones are smudged, as git smudges them when it writes. */
    size_t until = c < count ? find(index, changes[c].path) : index->count;
    for (; next < until; next++) {
      const index_entry *entry = &index->entries[next];
      int smudge = is_racy(state, entry) && must_smudge(state, entry);
      if (copy_entry(state, entry, smudge) < 0) return -1;
    }
    if (c == count) break;
    /* This path's entries (stage 0, or a conflict's stages) are replaced or removed. */
    const index_entry *old = NULL;
    for (; next < index->count && same_path(&index->entries[next], changes[c].path); next++) {
      if (index->entries[next].stage == 0) old = &index->entries[next];
      state->reencode = index->version == 4;
    }
    if (!changes[c].remove && add_change(state, &changes[c], old) < 0) return -1;
  }

  /* Extensions: the cache tree with the changed folders invalidated, the resolve-undo record
     as it is; the others describe the entries as they were (their offsets, the untracked
     files, a file-system monitor's state) and are dropped, as libgit2 drops them. */
  index_output *out = &state->out;
  const char **paths = malloc((count ? count : 1) * sizeof *paths);
  if (paths == NULL) return tack_out_of_memory();
  for (size_t c = 0; c < count; c++) paths[c] = changes[c].path;
  size_t at = index->extensions, end = index->length - 20;
  int result = 0;
  while (at < end && result == 0) {
    uint32_t size = tack_read32(bytes + at + 4);
    if (memcmp(bytes + at, "TREE", 4) == 0) {
      size_t start = out->made.length, cursor = at + 8;
      if (tack_buffer_add(&out->made, bytes + at, 8) < 0) result = tack_out_of_memory();
      while (result == 0 && cursor < at + 8 + size) {
        if (copy_tree_node(bytes, at + 8 + size, &cursor, &out->made, paths, count) < 0)
          result = corrupt(index_path, "its cache tree does not parse");
      }
      if (result == 0) {
        write32(out->made.bytes + start + 4, (uint32_t)(out->made.length - start - 8));
        result = add_made(out, start);
      }
    } else if (memcmp(bytes + at, "REUC", 4) == 0) {
      result = add_old(out, at, 8 + size);
    }
    at += 8 + size;
  }
  free(paths);
  if (result < 0) return result;
  /* The header goes first (`made` starts with it): version 3 when an entry has extended
     flags, else 2, as git writes them; version 4 stays 4. */
  uint32_t version = index->version == 4 ? 4 : state->extended > 0 ? 3 : 2;
  write32(out->made.bytes + 4, version);
  write32(out->made.bytes + 8, (uint32_t)state->entries);
  return 0;
}

/* Writes the pieces and their SHA-1 to `fd`; the checksum goes to `sum`. -1 with errno. */
static int write_pieces(
    int fd, const index_file *index, const index_output *out, unsigned char sum[20]) {
  tack_sha1 sha;
  tack_sha1_start(&sha);
  struct iovec vectors[64];
  size_t used = 0;
  for (size_t n = 0; n <= out->count; n++) {
    if (n < out->count) {
      const unsigned char *base = out->pieces[n].made ? out->made.bytes : index->bytes;
      vectors[used].iov_base = (void *)(base + out->pieces[n].offset);
      vectors[used].iov_len = out->pieces[n].length;
      tack_sha1_add(&sha, vectors[used].iov_base, vectors[used].iov_len);
      used++;
    } else {
      tack_sha1_finish(&sha, sum);
      if (sha.failed) {
        git_error_set_str(GIT_ERROR_SSL, "SHA-1 of the new index failed (OpenSSL)");
        return -1;
      }
      vectors[used].iov_base = sum;
      vectors[used].iov_len = 20;
      used++;
    }
    if (used < 64 && n < out->count) continue;
    struct iovec *vector = vectors;
    while (used > 0) {
      ssize_t wrote = writev(fd, vector, (int)used);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) {
        int error = wrote == 0 ? EIO : errno;
        if (n < out->count) tack_sha1_finish(&sha, sum); /* frees its context */
        errno = error;
        return -1;
      }
      while (used > 0 && (size_t)wrote >= vector->iov_len) {
        wrote -= (ssize_t)vector->iov_len;
        vector++;
        used--;
      }
      if (used > 0) {
        vector->iov_base = (unsigned char *)vector->iov_base + wrote;
        vector->iov_len -= (size_t)wrote;
      }
    }
  }
  return 0;
}

int tack_index_write_locked(
    git_repository *repository, const char *index_path, int lock_fd, tack_index_change *changes,
    size_t count) {
  index_file index;
  int result = load(&index, index_path);
  if (result != 0) return result;
  rebuild_state state = {0};
  state.index = &index;
  state.repository = repository;
  state.workdir = repository != NULL ? git_repository_workdir(repository) : NULL;
  qsort(changes, count, sizeof *changes, by_change_path);
  if (tack_buffer_add(&state.out.made, index.bytes, 12) < 0 || add_made(&state.out, 0) < 0)
    result = tack_out_of_memory();
  else
    result = rebuild(&state, index_path, changes, count);
  unsigned char sum[20];
  struct stat written;
  if (result == 0
      && (lseek(lock_fd, 0, SEEK_SET) < 0 || ftruncate(lock_fd, 0) < 0
          || write_pieces(lock_fd, &index, &state.out, sum) < 0
          || (tack_fsync_enabled() && fsync(lock_fd) < 0) || fstat(lock_fd, &written) < 0))
    result = tack_os_error("could not write the new index for", index_path);
  /* The caller renames it in: the next load need not hash it again. */
  if (result == 0) remember_file(&written, sum, 1);
  index_free(&index);
  free(state.out.made.bytes);
  free(state.out.pieces);
  free(state.file.bytes);
  return result;
}
