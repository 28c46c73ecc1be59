/* The index (`.git/index`) read and updated in place for the few paths a write changes
   (tack_index_lookup, tack_index_update: shim.h).

   libgit2 rewrites the whole index through its own writer, which hashes the file with SHA-1DC
   (about 250 MB/s here: 5 ms for the 1.3 MB index of a 10k-task board, half of a write), and
   reads it back the same way whenever the file changed. Here the file is mapped under
   index.lock, its checksum checked (once per process, see `checked`), the changed entries
   patched, inserted or removed as bytes, and the result written with the SHA-1 of
   packfile.c. Versions 2 and 3 only; an index
   this code does not fully understand (version 4, a split index, an entry with conflicts or
   extended flags for a changed path, an extension git requires readers to know) is left to
   libgit2: these functions then return 1 and change nothing. */

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

#define UNSUPPORTED 1

/* A file's modification and change times (named otherwise on Apple's systems). */
#ifdef __APPLE__
#define MODIFIED(info) ((info)->st_mtimespec)
#define CHANGED(info) ((info)->st_ctimespec)
#else
#define MODIFIED(info) ((info)->st_mtim)
#define CHANGED(info) ((info)->st_ctim)
#endif

/* One entry as it sits in the file. */
typedef struct {
  size_t offset, length;
  const unsigned char *path;
  size_t path_length;
  unsigned stage;
  int extended;
} index_entry;

typedef struct {
  const unsigned char *bytes; /* the file, mapped */
  size_t length;
  struct stat info;
  uint32_t version;
  index_entry *entries;
  size_t count;
  size_t extensions; /* where the extensions start (the end of the last entry) */
} index_file;

static void index_free(index_file *index) {
  if (index->bytes != NULL) munmap((void *)index->bytes, index->length);
  free(index->entries);
  memset(index, 0, sizeof *index);
}

/* The index file this process last checked or wrote, as stat saw it, and its checksum: a
   file that still looks the same need not be hashed again (1.3 MB at 10k tasks). Any write
   to it changes its modification and change times. */
static pthread_mutex_t checked_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
  dev_t device;
  ino_t inode;
  off_t size;
  struct timespec modified, changed;
  unsigned char sum[20];
  int valid;
} checked;

static int same_file(const struct stat *info) {
  return checked.valid && checked.device == info->st_dev && checked.inode == info->st_ino
         && checked.size == info->st_size && checked.modified.tv_sec == MODIFIED(info).tv_sec
         && checked.modified.tv_nsec == MODIFIED(info).tv_nsec
         && checked.changed.tv_sec == CHANGED(info).tv_sec
         && checked.changed.tv_nsec == CHANGED(info).tv_nsec;
}

static void remember_file(const struct stat *info, const unsigned char sum[20]) {
  pthread_mutex_lock(&checked_lock);
  checked.device = info->st_dev;
  checked.inode = info->st_ino;
  checked.size = info->st_size;
  checked.modified = MODIFIED(info);
  checked.changed = CHANGED(info);
  memcpy(checked.sum, sum, 20);
  checked.valid = 1;
  pthread_mutex_unlock(&checked_lock);
}

/* Whether `bytes` end with the checksum of what comes before them: hashed, unless this
   process checked or wrote this very file (the same stat data and checksum) before. */
static int checksum_matches(const unsigned char *bytes, size_t length, const struct stat *info) {
  pthread_mutex_lock(&checked_lock);
  int known = same_file(info) && memcmp(checked.sum, bytes + length - 20, 20) == 0;
  pthread_mutex_unlock(&checked_lock);
  if (known) return 1;
  unsigned char sum[20];
  tack_sha1 sha;
  tack_sha1_start(&sha);
  tack_sha1_add(&sha, bytes, length - 20);
  tack_sha1_finish(&sha, sum);
  if (memcmp(sum, bytes + length - 20, 20) != 0) return 0;
  remember_file(info, sum);
  return 1;
}

static int corrupt(const char *path, const char *what) {
  char message[512];
  snprintf(message, sizeof message, "the index %s is damaged: %s", path, what);
  git_error_set_str(GIT_ERROR_INDEX, message);
  return -1;
}

static uint16_t read16(const unsigned char *bytes) { return (uint16_t)(bytes[0] << 8 | bytes[1]); }

static void write32(unsigned char *bytes, uint32_t value) {
  bytes[0] = (unsigned char)(value >> 24);
  bytes[1] = (unsigned char)(value >> 16);
  bytes[2] = (unsigned char)(value >> 8);
  bytes[3] = (unsigned char)value;
}

/* Parses the entries of the mapped index file; 0, UNSUPPORTED or -1. */
static int parse(index_file *index, const char *path) {
  const unsigned char *bytes = index->bytes;
  size_t length = index->length;
  if (length < 12 + 20 || memcmp(bytes, "DIRC", 4) != 0) return corrupt(path, "no index header");
  index->version = tack_read32(bytes + 4);
  if (index->version != 2 && index->version != 3) return UNSUPPORTED;
  if (!checksum_matches(bytes, length, &index->info))
    return corrupt(path, "its checksum does not match");
  size_t count = tack_read32(bytes + 8);
  if (count > (length - 32) / 64) return corrupt(path, "more entries than the file can hold");
  index->entries = malloc((count ? count : 1) * sizeof *index->entries);
  if (index->entries == NULL) return tack_out_of_memory();
  size_t at = 12;
  for (size_t n = 0; n < count; n++) {
    if (at + 62 > length - 20) return corrupt(path, "an entry runs past the end");
    uint16_t flags = read16(bytes + at + 60);
    int extended = (flags & 0x4000) != 0;
    if (extended && index->version < 3) return corrupt(path, "extended flags in version 2");
    size_t start = at + 62 + (extended ? 2 : 0);
    const unsigned char *end = memchr(bytes + start, 0, length - 20 - start);
    if (end == NULL) return corrupt(path, "a path runs past the end");
    size_t path_length = (size_t)(end - (bytes + start));
    size_t entry_length = (start - at + path_length + 8) & ~(size_t)7;
    if (at + entry_length > length - 20) return corrupt(path, "an entry runs past the end");
    index->entries[n] = (index_entry){at, entry_length, bytes + start, path_length,
                                      (flags >> 12) & 3, extended};
    at += entry_length;
  }
  index->count = count;
  index->extensions = at;
  /* Extensions: those git requires readers to know (lower-case first letter, as the split
     index's "link") leave the index to libgit2. */
  while (at < length - 20) {
    if (at + 8 > length - 20) return corrupt(path, "an extension runs past the end");
    uint32_t size = tack_read32(bytes + at + 4);
    if (size > length - 20 - at - 8) return corrupt(path, "an extension runs past the end");
    if (bytes[at] < 'A' || bytes[at] > 'Z') return UNSUPPORTED;
    at += 8 + size;
  }
  return 0;
}

/* Opens and parses the index at `path` (a missing file is an empty index). */
static int load(index_file *index, const char *path) {
  memset(index, 0, sizeof *index);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? UNSUPPORTED : tack_os_error("could not open", path);
  if (fstat(fd, &index->info) < 0) {
    close(fd);
    return tack_os_error("could not read", path);
  }
  if (index->info.st_size < 32) {
    close(fd);
    return corrupt(path, "too short");
  }
  void *mapped = mmap(NULL, (size_t)index->info.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (mapped == MAP_FAILED) return tack_os_error("could not read", path);
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
    const char *index_path, const char *const *paths, size_t count, git_oid *ids, int *found) {
  index_file index;
  int result = load(&index, index_path);
  if (result != 0) return result;
  for (size_t n = 0; n < count; n++) {
    size_t at = find(&index, paths[n]);
    found[n] = 0;
    if (at < index.count && same_path(&index.entries[at], paths[n])) {
      if (index.entries[at].stage != 0) {
        index_free(&index);
        return UNSUPPORTED;
      }
      memcpy(ids[n].id, index.bytes + index.entries[at].offset + 40, 20);
      found[n] = 1;
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

/* A new entry for `change`, stage 0, no flags. */
static int add_entry(tack_buffer *out, const tack_index_change *change) {
  unsigned char fixed[62];
  const struct stat *info = &change->info;
  uint32_t fields[10] = {
      (uint32_t)CHANGED(info).tv_sec, (uint32_t)CHANGED(info).tv_nsec,
      (uint32_t)MODIFIED(info).tv_sec, (uint32_t)MODIFIED(info).tv_nsec,
      (uint32_t)info->st_dev,         (uint32_t)info->st_ino,
      (info->st_mode & 0111) ? 0100755u : 0100644u,
      (uint32_t)info->st_uid,         (uint32_t)info->st_gid,
      (uint32_t)info->st_size};
  for (int n = 0; n < 10; n++) write32(fixed + 4 * n, fields[n]);
  memcpy(fixed + 40, change->id.id, 20);
  size_t length = strlen(change->path);
  uint16_t flags = (uint16_t)(length < 0xfff ? length : 0xfff);
  fixed[60] = (unsigned char)(flags >> 8);
  fixed[61] = (unsigned char)flags;
  static const unsigned char zeros[8] = {0};
  size_t padding = ((62 + length + 8) & ~(size_t)7) - 62 - length;
  if (tack_buffer_add(out, fixed, 62) < 0 || tack_buffer_add(out, change->path, length) < 0
      || tack_buffer_add(out, zeros, padding) < 0)
    return tack_out_of_memory();
  return 0;
}

static int by_change_path(const void *left, const void *right) {
  const tack_index_change *a = left, *b = right;
  return strcmp(a->path, b->path);
}

/* The new index as pieces, in order: runs of the old file, and bytes made here. */
typedef struct {
  tack_buffer made; /* the header, new entries, the cache tree */
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
    out->pieces[out->count - 1].length += length; /* one run of the old file */
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

/* Appends what `fill` adds to `made` as one piece. */
static int add_made(index_output *out, size_t start) {
  return add_piece(out, 1, start, out->made.length - start);
}

/* The new index from `index` and the sorted `changes`, as pieces. */
static int rebuild(
    const index_file *index, const char *index_path, const tack_index_change *changes,
    size_t count, index_output *out) {
  const unsigned char *bytes = index->bytes;
  size_t entries = index->count, next = 0;
  for (size_t c = 0; c < count; c++) {
    if (c > 0 && strcmp(changes[c - 1].path, changes[c].path) == 0) return UNSUPPORTED;
    size_t at = find(index, changes[c].path);
    int present = at < index->count && same_path(&index->entries[at], changes[c].path);
    /* Conflicts, or flags (skip-worktree, intent-to-add) this code would drop: libgit2. */
    if (present && (index->entries[at].stage != 0 || index->entries[at].extended))
      return UNSUPPORTED;
    if (at > next) {
      size_t from = index->entries[next].offset;
      if (add_old(out, from, index->entries[at - 1].offset + index->entries[at - 1].length - from)
          < 0)
        return -1;
      next = at;
    }
    if (present) {
      next = at + 1;
      entries--;
    }
    if (!changes[c].remove) {
      size_t start = out->made.length;
      if (add_entry(&out->made, &changes[c]) < 0 || add_made(out, start) < 0) return -1;
      entries++;
    }
  }
  if (next < index->count && add_old(out, index->entries[next].offset,
                                     index->extensions - index->entries[next].offset) < 0)
    return -1;

  /* Extensions: the cache tree with the changed folders invalidated, the resolve-undo record
     as it is; the others describe the entries as they were (their offsets, the untracked
     files, a file-system monitor's state) and are dropped, as libgit2 drops them. */
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
  /* The header, with the new count, goes first: `made` starts with it. */
  write32(out->made.bytes + 8, (uint32_t)entries);
  return 0;
}

/* Writes the pieces and their SHA-1 to `fd`; the checksum goes to `sum`. */
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
      vectors[used].iov_base = sum;
      vectors[used].iov_len = 20;
      used++;
    }
    if (used < 64 && n < out->count) continue;
    struct iovec *vector = vectors;
    while (used > 0) {
      ssize_t wrote = writev(fd, vector, (int)used);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) return -1;
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

int tack_index_update(const char *index_path, tack_index_change *changes, size_t count) {
  char lock_path[4096];
  if (snprintf(lock_path, sizeof lock_path, "%s.lock", index_path) >= (int)sizeof lock_path) {
    git_error_set_str(GIT_ERROR_OS, "index path too long");
    return -1;
  }
  int lock = open(lock_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (lock < 0) {
    if (errno == EEXIST) {
      git_error_set_str(GIT_ERROR_INDEX, "the index is locked (index.lock exists)");
      return GIT_ELOCKED;
    }
    return tack_os_error("could not create", lock_path);
  }
  index_file index;
  index_output out = {0};
  unsigned char sum[20];
  struct stat written;
  int result = load(&index, index_path);
  if (result == 0) {
    qsort(changes, count, sizeof *changes, by_change_path);
    if (tack_buffer_add(&out.made, index.bytes, 12) < 0 || add_made(&out, 0) < 0)
      result = -1;
    else
      result = rebuild(&index, index_path, changes, count, &out);
  }
  if (result == 0 && (write_pieces(lock, &index, &out, sum) < 0
                      || (tack_fsync_enabled() && fsync(lock) < 0) || fstat(lock, &written) < 0))
    result = tack_os_error("could not write", lock_path);
  if (close(lock) < 0 && result == 0) result = tack_os_error("could not write", lock_path);
  if (result == 0 && rename(lock_path, index_path) < 0)
    result = tack_os_error("could not replace", index_path);
  if (result == 0) {
    /* A rename changes the file's change time: read it back for the next check. */
    struct stat renamed;
    if (stat(index_path, &renamed) == 0 && renamed.st_ino == written.st_ino)
      remember_file(&renamed, sum);
  } else {
    unlink(lock_path);
  }
  index_free(&index);
  free(out.made.bytes);
  free(out.pieces);
  return result;
}
