/* Measures how a write's new objects reach disk, four ways, 300 writes on one bare repository:
   Tack's pending backend (CLibGit2/pending.c: one pack, its index and a .keep), libgit2's mempack
   backend then a packbuilder pack indexed by libgit2's indexer or by Tack's (pack_index.c), and
   libgit2's loose objects. Each write is eight objects of realistic sizes.

   git_mempack_dump is not used: it inserts each commit with its whole tree, i.e. every blob of
   the board, into every pack. The mempack runs insert the objects written instead.

   Not part of the build or the tests (numbers, see docs/performance.md). Build and run:
     S=Sources/CLibGit2
     cc -O2 -o /tmp/measure-pack-writers scripts/measure-pack-writers.c $S/pending.c \
       $S/packfile.c $S/pack_index.c $S/pack_check.c -I$S/include -I$S \
       $(pkg-config --cflags --libs libgit2) -lcrypto -lz && /tmp/measure-pack-writers */
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "shim.h"

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
static int cmp(const void *a, const void *b) { double x = *(double *)a, y = *(double *)b; return x < y ? -1 : x > y; }
#define N 300
static char obj[8][4000]; static size_t len[8];
static void make_objects(int round) {
  for (int i = 0; i < 8; i++) {
    size_t l = i == 0 ? 600 : i == 7 ? 250 : 1200 + i * 300;
    for (size_t k = 0; k < l; k++) obj[i][k] = (char)('a' + (k * 7 + i + round * 13) % 26);
    snprintf(obj[i], 40, "%d-%d-", round, i);
    len[i] = l;
  }
}
static void report(const char *what, double *t) {
  qsort(t, N, sizeof *t, cmp);
  printf("%-34s p50 %.3f ms  p90 %.3f ms\n", what, t[N / 2], t[N * 9 / 10]);
}
int main(int argc, char **argv) {
  git_libgit2_init();
  double t[N];
  char folder[4096];
  for (int mode = 0; mode < 4; mode++) {
    char path[256]; snprintf(path, sizeof path, "/tmp/measure-pack-writers-%d", mode);
    char cmd[600]; snprintf(cmd, sizeof cmd, "rm -rf %s && git init -q --bare %s", path, path); system(cmd);
    git_repository *repo; git_repository_open(&repo, path);
    git_odb *odb; git_repository_odb(&odb, repo);
    snprintf(folder, sizeof folder, "%s/objects/pack", path);
    tack_pending *pending = NULL; git_odb_backend *mempack = NULL;
    if (mode == 0) tack_pending_attach(repo, &pending);
    if (mode == 1 || mode == 2) { git_mempack_new(&mempack); git_odb_add_backend(odb, mempack, 1000); }
    for (int r = 0; r < N; r++) {
      make_objects(r);
      double start = now();
      if (pending) tack_pending_begin(pending);
      git_oid written[8];
      for (int i = 0; i < 8; i++) {
        git_oid id;
        if (pending) {
          git_odb_hash(&id, obj[i], len[i], GIT_OBJECT_BLOB);
          if (tack_pending_take(odb, &id, obj[i], len[i], GIT_OBJECT_BLOB) != 1) { puts("take failed"); return 1; }
        } else if (git_odb_write(&id, odb, obj[i], len[i], GIT_OBJECT_BLOB) < 0) { printf("write: %s\n", git_error_last()->message); return 1; }
        written[i] = id;
      }
      if (pending) {
        char name[41];
        if (tack_pending_flush(pending, folder, name) < 0) { printf("flush: %s\n", git_error_last()->message); return 1; }
        tack_pending_landed(pending);
      } else if (mempack) {
        git_buf buf = {0};
        /* git_mempack_dump inserts each commit with its whole tree (every blob of the board):
           list the backend's own objects and insert those alone. */
        git_packbuilder *pb; git_packbuilder_new(&pb, repo); git_packbuilder_set_threads(pb, 1);
        for (int i = 0; i < 8; i++) if (git_packbuilder_insert(pb, &written[i], NULL) < 0) { printf("insert: %s\n", git_error_last()->message); return 1; }
        if (git_packbuilder_write_buf(&buf, pb) < 0) { printf("dump: %s\n", git_error_last()->message); return 1; }
        git_packbuilder_free(pb);
        if (mode == 1) {
          git_indexer *ix; git_indexer_progress st;
          git_indexer_new(&ix, folder, 0, odb, NULL);
          git_indexer_append(ix, buf.ptr, buf.size, &st);
          if (git_indexer_commit(ix, &st) < 0) { printf("index: %s\n", git_error_last()->message); return 1; }
          git_indexer_free(ix);
        } else {
          char name[41];
          if (tack_pack_write_indexed(folder, (unsigned char *)buf.ptr, buf.size, name) < 0) { printf("tack index: %s\n", git_error_last()->message); return 1; }
        }
        git_buf_dispose(&buf);
        git_mempack_reset(mempack);
      }
      t[r] = now() - start;
    }
    if (pending) tack_pending_end(pending);
    const char *names[] = {"pending.c (pack+idx+keep)", "mempack + libgit2 indexer", "mempack + Tack's indexer", "loose objects"};
    report(names[mode], t);
    git_odb_free(odb); git_repository_free(repo);
  }
  return 0;
}
