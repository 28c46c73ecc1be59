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

/* Whether fsync is on (tack_git_enable_fsync). */
int tack_fsync_enabled(void);

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

/* HMAC-SHA256 of `count` bytes under `key` (OpenSSL's EVP_Q_mac; hmac.c). 0, or -1 when
   OpenSSL failed. */
int tack_hmac_sha256(
    const void *key, size_t key_length, const void *bytes, size_t count, unsigned char mac[32]);

/* `count` bytes from OpenSSL's CSPRNG. 0, or -1 when it could not provide them. */
int tack_random_bytes(unsigned char *bytes, size_t count);

/* SHA-256 of `count` bytes (OpenSSL's EVP; hmac.c): how bearer tokens are kept at rest. 0, or
   -1 when OpenSSL failed. */
int tack_sha256(const void *bytes, size_t count, unsigned char digest[32]);

#include <sys/stat.h>
/* ---- The index of a checkout (index_file.c). ----

   Versions 2, 3 and 4 are read and written. Positive results mean "nothing done, the index is
   one Tack does not handle" (the caller says what to do; a libgit2 error names the file and,
   for an extension, its name); -1 is an error with a libgit2 error set (a damaged index: bad
   checksum, entries or cache tree; an unknown version; I/O). */
#define TACK_INDEX_MISSING 1           /* no index file */
#define TACK_INDEX_SPLIT 2             /* a split index (`link` extension) */
#define TACK_INDEX_SPARSE 3            /* a sparse index (`sdir` extension) */
#define TACK_INDEX_UNKNOWN_EXTENSION 4 /* another extension git requires readers to know */

/* One path of the index to change: removed, or set to the blob `id` with the stat data of
   the file just written (`info`; zeroed for a file not written because it is outside the
   sparse checkout). A new entry gets the skip-worktree flag when `skip_worktree` is set
   (which makes a version 2 index version 3, as git does); an existing stage-0 entry keeps
   its skip-worktree and assume-valid flags whatever `skip_worktree` says (and loses
   intent-to-add). A path in conflict has all its stages replaced by the new entry. */
typedef struct {
  const char *path;
  int remove;
  int skip_worktree;
  git_oid id;
  struct stat info;
} tack_index_change;

/* The stage-0 blob ids of `paths` in the index file at `index_path`: `found[n]` says whether
   `paths[n]` has one, `ids[n]` gets it, and `skip_worktree[n]` (when `skip_worktree` is not
   NULL) whether it has the skip-worktree flag. 0, a TACK_INDEX_ code (nothing looked up), or
   -1. */
int tack_index_lookup(
    const char *index_path, const char *const *paths, size_t count, git_oid *ids, int *found,
    int *skip_worktree);

/* For a caller that holds `index.lock` (created with O_EXCL): reads the index at
   `index_path` (its checksum checked), applies `changes` (sorted here), and writes the whole
   new index into `lock_fd` from offset 0 (truncating it), fsynced when fsync is on
   (tack_git_enable_fsync). `lock_fd` is the lock file or, as Tack's writes do, a file of the
   caller's own next to it (so the lock file never changes: see IndexLock). Does not rename
   or close `lock_fd`: the caller renames the file to the index (or removes it) itself.
   - The cache tree is invalidated along the changed paths; the resolve-undo record is kept;
     extensions that depend on the old entries (IEOT, EOIE, UNTR, FSMN, ...) are dropped.
   - Racy git: every entry copied from the old index whose recorded modification time is not
     older than the old index file's (in seconds) is checked as git checks it when it writes
     an index: if the file in `repository`'s working tree still has the entry's type,
     modification time and size but other content (hashed through git's filters), the entry's
     size is set to 0 so that git re-checks the file. Entries in `changes` are not checked.
   - Version 2 becomes 3 when an entry has extended flags, 3 becomes 2 when none has.
   `repository` (may be NULL or bare: then no entry is checked for racy git) is only read.
   0; a TACK_INDEX_ code, with nothing written; or -1 (the lock file's content is then
   undefined). */
int tack_index_write_locked(
    git_repository *repository, const char *index_path, int lock_fd,
    tack_index_change *changes, size_t count);

#include <unistd.h>
/* The process environment, for spawning `git credential fill` (Swift 6 will not read the
   C global `environ` directly). */
static inline char **tack_environment(void) {
  extern char **environ;
  return environ;
}

/* The raw key type (git_cert_ssh_raw_type_t) of an SSH host key certificate, 0 when libgit2
   gave no raw key, -1 when `cert` is not an SSH host key (a TLS certificate). */
int tack_ssh_host_key_type(const git_cert *cert);

/* Looks up an SSH server's host key (the certificate libgit2's check callback gets) for
   `host` and `port` in OpenSSH known_hosts `files` (missing files are skipped): 0 listed with
   this key, 1 listed with another key, 2 not listed, -1 no raw key to compare. `fingerprint`
   gets the key's "SHA256:<base64>", as ssh prints it, when libgit2 computed it. */
int tack_ssh_known_host(
    const git_cert *cert, const char *host, int port, const char *const *files, size_t count,
    char fingerprint[64]);
