#include <git2.h>

/* Starts libgit2 once per process. When Tack links libgit2 statically (see Package.swift),
   loading the system's CA bundle, which libgit2 does at start-up and which takes about 3 ms
   of every command, waits for the first TLS connection instead (see startup.c). */
int tack_git_init(void);

/* 1 when loading the CA bundle waited for a TLS connection, 0 when libgit2 loaded it at
   start-up (libgit2 linked dynamically). */
int tack_git_ca_deferred(void);

/* Loads the CA bundle now if it is still waiting, as the first TLS connection would; returns
   how many certificates libgit2's TLS configuration trusts afterwards (-1: not known, because
   libgit2 is linked dynamically and loaded the bundle itself). For tests. */
int tack_git_ca_load_now(void);

#include <git2/sys/repository.h>
#include <stddef.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one non-variadic wrapper per option
   Tack sets. fsync also applies to the packs of pending.c. */
int tack_git_enable_fsync(int enabled);

/* Each write's new objects as one small pack (see pending.c). */
typedef struct tack_pending tack_pending;

/* Adds the backend to `repository`'s object database (which owns it from then on). */
int tack_pending_attach(git_repository *repository, tack_pending **out);

/* Starts holding new objects in memory (one write attempt); drops an earlier attempt's. */
void tack_pending_begin(tack_pending *pending);

/* Writes this attempt's objects as one pack and index in `pack_folder`; `name` gets the
   pack's 40-hex id, or "" when there was nothing to write. 0 or -1 (with a libgit2 error). */
int tack_pending_flush(tack_pending *pending, const char *pack_folder, char name[41]);

/* The attempt's commit is on the branch: its objects stay readable from memory. */
void tack_pending_landed(tack_pending *pending);

/* When `odb`'s first backend is a pending one holding a write's objects, holds this one
   there (1, or -1 on failure); 0 otherwise. For the git_odb_write wrapper (startup.c). */
int tack_pending_take(
    git_odb *odb, const git_oid *id, const void *data, size_t length, git_object_t type);

/* Stops holding objects: writes go to the loose store again. */
void tack_pending_end(tack_pending *pending);

/* Folds packs without deltas (those writes leave, and folds of them) into one by copying
   their entries, one copy of each object: no inflating, no delta search. Of the packs `names`
   (`pack-<id>`, in `pack_folder`), those holding a delta are left out; `folded[n]` says which
   went in. `name` gets the new pack's 40-hex id, or "" when fewer than two could go in.
   0 or -1 (with a libgit2 error); the folded packs are still there, for the caller to remove. */
int tack_pack_fold_plain(
    const char *pack_folder, const char *const *names, size_t count, int *folded, char name[41]);

/* Writes the pack `bytes` (a whole pack in memory, as git_packbuilder_write_buf makes it) and
   an index built for it to `pack_folder`, without libgit2's indexer; `name` gets its 40-hex
   id. 0 or -1 (with a libgit2 error). */
int tack_pack_write_indexed(
    const char *pack_folder, const unsigned char *bytes, size_t length, char name[41]);

/* Checks the pack `name` (`pack-<id>`, in `pack_folder`) against its index before the packs it
   replaces go: both checksums, the pack's id, header, fan-out, sorted ids, and each entry's
   CRC-32 against the bytes it covers. 0, or -1 with a libgit2 error saying what is wrong. */
int tack_pack_check(const char *pack_folder, const char *name);

/* The SHA-1 of `count` bytes, as Tack's pack and index writers compute it (OpenSSL's EVP).
   0, or -1 when OpenSSL could not set up a digest. For tests. */
int tack_sha1_digest(const void *bytes, size_t count, unsigned char digest[20]);

#include <sys/stat.h>
/* One path of the index to change: removed, or set to the blob `id` with the stat data of
   the file just written (`info`). */
typedef struct {
  const char *path;
  int remove;
  git_oid id;
  struct stat info;
} tack_index_change;

/* The stage-0 blob ids of `paths` in the index file at `index_path`: `found[n]` says whether
   `paths[n]` has one, `ids[n]` gets it. 0; 1 when the index is one libgit2 must read (a
   missing file, version 4, a split index, a conflict on one of the paths), with nothing
   looked up; -1 on an error (with a libgit2 error). */
int tack_index_lookup(
    const char *index_path, const char *const *paths, size_t count, git_oid *ids, int *found);

/* Applies `changes` (sorted here) to the index at `index_path` under `index.lock`, patching
   its bytes, and invalidates the cache tree along them. 0; 1 when the index is one libgit2
   must write (see tack_index_lookup), with nothing changed; GIT_ELOCKED when index.lock
   exists; -1 on an error (with a libgit2 error). */
int tack_index_update(const char *index_path, tack_index_change *changes, size_t count);

#include <unistd.h>
/* The process environment, for spawning `git credential fill` (Swift 6 will not read the
   C global `environ` directly). */
static inline char **tack_environment(void) {
  extern char **environ;
  return environ;
}
