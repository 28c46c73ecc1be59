/* Starting libgit2: process-wide settings, and the CA bundle loaded when the first TLS
   connection needs it rather than at start-up.

   libgit2 (Debian's build, on mbedTLS) parses the whole system CA bundle in
   git_libgit2_init: about 3 ms of base64 and DER decoding on every `tack` command, though
   only `tack sync` over https ever uses it. When libgit2 is linked statically, the linker's
   --wrap (see Package.swift) routes libgit2's calls to the three mbedTLS functions below
   through these wrappers: the parse made during start-up only records which chain and file
   it was for, and the first TLS session set up parses the file into that same chain, which
   libgit2's TLS configuration already points at. A chain freed before then (libgit2 shutting
   down, or a new CA location replacing it) is forgotten. Linked dynamically, nothing here is
   used and libgit2 behaves as shipped. */

#include "shim.h"

/* Process-wide settings, right after start-up. Tack builds every tree and commit from
   objects it has just written or read, so libgit2's check that each referenced object exists
   (a read of every new tree back from disk, about 45 system calls per write) only repeats
   what the write path already knows. */
static void tack_git_settings(void) {
  git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
  /* libgit2 also hashes every object it reads to check its id (with SHA-1DC, the
     collision-detecting SHA-1): about a fifth of a fold, which reads each object twice. git
     does not check on reads either; zlib's checksum still catches a damaged object, and
     `git fsck` or `tack check` the rest. */
  git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
  /* libgit2 caches only trees of up to 4 KiB. A shard folder of a 100k-task board holds
     about 100 tasks, 6 KiB: uncached, each write read and parsed it (from a delta chain) up
     to four times. 64 KiB covers a shard of about a thousand tasks; handles drop their cache
     every 128 operations (Repository.reopenObjects), which bounds what it holds. */
  git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)64 * 1024);
}

#ifdef TACK_STATIC_LIBGIT2

#include <git2/sys/odb_backend.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

int __real_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path);
void __real_mbedtls_x509_crt_free(mbedtls_x509_crt *chain);
int __real_mbedtls_ssl_setup(mbedtls_ssl_context *ssl, const mbedtls_ssl_config *conf);

static pthread_mutex_t ca_lock = PTHREAD_MUTEX_INITIALIZER;
static int starting;                    /* inside git_libgit2_init */
static mbedtls_x509_crt *waiting_chain; /* the chain to fill, still empty */
static char *waiting_path;              /* the bundle to fill it from */
static mbedtls_x509_crt *trusted_chain; /* the chain deferred at start-up, until freed */
static int deferred;

int __wrap_mbedtls_x509_crt_parse_file(mbedtls_x509_crt *chain, const char *path) {
  pthread_mutex_lock(&ca_lock);
  if (starting && waiting_chain == NULL) {
    char *copy = strdup(path);
    if (copy != NULL) {
      waiting_chain = chain;
      waiting_path = copy;
      trusted_chain = chain;
      deferred = 1;
      pthread_mutex_unlock(&ca_lock);
      return 0;
    }
  }
  pthread_mutex_unlock(&ca_lock);
  return __real_mbedtls_x509_crt_parse_file(chain, path);
}

/* With ca_lock held. */
static void load_waiting_chain(void) {
  if (waiting_chain == NULL) return;
  /* What libgit2 does with a bundle that fails to parse: trust nothing from it. */
  if (__real_mbedtls_x509_crt_parse_file(waiting_chain, waiting_path) < 0) {
    __real_mbedtls_x509_crt_free(waiting_chain);
    mbedtls_x509_crt_init(waiting_chain);
  }
  free(waiting_path);
  waiting_chain = NULL;
  waiting_path = NULL;
}

void __wrap_mbedtls_x509_crt_free(mbedtls_x509_crt *chain) {
  pthread_mutex_lock(&ca_lock);
  if (chain != NULL && chain == waiting_chain) {
    free(waiting_path);
    waiting_chain = NULL;
    waiting_path = NULL;
  }
  if (chain != NULL && chain == trusted_chain) trusted_chain = NULL;
  pthread_mutex_unlock(&ca_lock);
  __real_mbedtls_x509_crt_free(chain);
}

int __wrap_mbedtls_ssl_setup(mbedtls_ssl_context *ssl, const mbedtls_ssl_config *conf) {
  pthread_mutex_lock(&ca_lock);
  load_waiting_chain();
  pthread_mutex_unlock(&ca_lock);
  return __real_mbedtls_ssl_setup(ssl, conf);
}

/* Writing an object. libgit2 first looks for it (to touch it if it is there); missing — as a
   new tree, blob or commit nearly always is — it re-reads the pack folder and looks again: a
   directory read and a failed utime per object, eight of each per Tack write. Here an object
   found without that re-read takes libgit2's path (which touches it, protecting it from a
   concurrent prune); one not found goes straight to the first writable backend: Tack's pending
   backend during a write, else the loose object store (non-alternate backends come first in
   libgit2's order). An object that sits in a pack this process has not seen yet is then
   written a second time: harmless. */
int __real_git_odb_write(
    git_oid *oid, git_odb *odb, const void *data, size_t length, git_object_t type);

int __wrap_git_odb_write(
    git_oid *oid, git_odb *odb, const void *data, size_t length, git_object_t type) {
  if (oid == NULL || odb == NULL || git_odb_hash(oid, data, length, type) < 0
      || git_oid_is_zero(oid))
    return __real_git_odb_write(oid, odb, data, length, type);
  /* Inside a Tack write, the object goes into the write's pack without a search of the other
     stores (a loose-file lookup and every pack's index): one already stored elsewhere is only
     stored twice, and the next fold keeps one copy. */
  int taken = tack_pending_take(odb, oid, data, length, type);
  if (taken != 0) return taken > 0 ? 0 : -1;
  if (git_odb_exists_ext(odb, oid, GIT_ODB_LOOKUP_NO_REFRESH) == 1)
    return __real_git_odb_write(oid, odb, data, length, type);
  size_t count = git_odb_num_backends(odb);
  for (size_t index = 0; index < count; index++) {
    git_odb_backend *backend = NULL;
    if (git_odb_get_backend(&backend, odb, index) < 0) break;
    if (backend->write == NULL) continue;
    int error = backend->write(backend, oid, data, length, type);
    if (error == 0) return 0;
    /* Tack's pending backend outside a write (pending.c): the loose store comes next. */
    if (error == GIT_PASSTHROUGH) continue;
    break;
  }
  return __real_git_odb_write(oid, odb, data, length, type);
}

int tack_git_init(void) {
  pthread_mutex_lock(&ca_lock);
  starting = 1;
  pthread_mutex_unlock(&ca_lock);
  int result = git_libgit2_init();
  pthread_mutex_lock(&ca_lock);
  starting = 0;
  pthread_mutex_unlock(&ca_lock);
  tack_git_settings();
  return result;
}

int tack_git_ca_deferred(void) {
  pthread_mutex_lock(&ca_lock);
  int result = deferred;
  pthread_mutex_unlock(&ca_lock);
  return result;
}

int tack_git_ca_load_now(void) {
  pthread_mutex_lock(&ca_lock);
  load_waiting_chain();
  int count = 0;
  for (const mbedtls_x509_crt *c = trusted_chain; c != NULL && c->version != 0; c = c->next)
    count += 1;
  pthread_mutex_unlock(&ca_lock);
  return trusted_chain == NULL && !deferred ? -1 : count;
}

#else

int tack_git_init(void) {
  int result = git_libgit2_init();
  tack_git_settings();
  return result;
}
int tack_git_ca_deferred(void) { return 0; }
int tack_git_ca_load_now(void) { return -1; }

#endif
