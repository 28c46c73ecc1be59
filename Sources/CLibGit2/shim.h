#include <git2.h>

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
