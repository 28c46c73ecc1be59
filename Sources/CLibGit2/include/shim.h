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

/* git_libgit2_opts is variadic, which Swift cannot call: one non-variadic wrapper per option
   Tack sets. */
static inline int tack_git_enable_fsync(int enabled) {
  return git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, enabled);
}

#include <unistd.h>
/* The process environment, for spawning `git credential fill` (Swift 6 will not read the
   C global `environ` directly). */
static inline char **tack_environment(void) {
  extern char **environ;
  return environ;
}
