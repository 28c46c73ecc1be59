"""Finding 1: `tack gc` beside what git keeps alive — an annotated tag, the reflog
(`commit --amend`, `reset --hard`), stash entries, a commit in a detached worktree, a staged
blob, a pack with `.keep`. After `git gc` and `tack gc` (packs past any grace period) all of
them are still there and usable, and `git fsck` is clean."""

from __future__ import annotations

import pytest

from conftest import BOARD_LAYOUTS, Board, age_packs


def commit_file(board: Board, cwd, name: str, text: str, message: str):
    (cwd / name).write_text(text)
    board.git("add", name, cwd=cwd)
    board.git("commit", "-q", "-m", message, cwd=cwd)


@pytest.mark.parametrize("board", BOARD_LAYOUTS, indirect=True)
def test_tack_gc_keeps_what_git_keeps(board: Board):
    tasks = [board.add() for _ in range(3)]
    for task_id in tasks:
        board.note(task_id)
    if board.bare:
        # The user's work happens in a linked worktree on a branch of their own; reflogs on.
        board.git("config", "core.logAllRefUpdates", "true")
        user = board.base / "user-wt"
        board.git("worktree", "add", "-q", "-b", "user", str(user), "main")
    else:
        user = board.dir
    board.identity(cwd=user)
    commit_file(board, user, "user.txt", "user file, version 1\n", "user: add user.txt")

    # An annotated tag: the tag object is reachable only from refs/tags/v1.
    board.git("tag", "-a", "v1", "-m", "release one, annotated", cwd=user)
    tag_object = board.git("rev-parse", "v1").strip()
    # Reflog only: the commit before an amend, and a commit undone by reset --hard.
    commit_file(board, user, "user.txt", "user file, before amend\n", "user: to be amended")
    amended_away = board.git("rev-parse", "HEAD", cwd=user).strip()
    (user / "user.txt").write_text("user file, amended\n")
    board.git("commit", "-q", "-a", "--amend", "-m", "user: amended", cwd=user)
    commit_file(board, user, "user.txt", "user file, reset away\n", "user: to be reset")
    reset_away = board.git("rev-parse", "HEAD", cwd=user).strip()
    board.git("reset", "-q", "--hard", "HEAD~1", cwd=user)
    # Two stash entries: stash@{1} lives only in the stash's reflog.
    for text in ("stashed first\n", "stashed second\n"):
        (user / "user.txt").write_text(text)
        board.git("stash", "-q", cwd=user)
    stashes = board.git("rev-parse", "stash@{0}", "stash@{1}").split()
    # A commit in a detached worktree, and a staged-only file there.
    detached = board.base / "detached-wt"
    board.git("worktree", "add", "-q", "--detach", str(detached), "main")
    board.identity(cwd=detached)
    commit_file(board, detached, "wt.txt", "only in the detached worktree\n", "wt: detached commit")
    worktree_commit = board.git("rev-parse", "HEAD", cwd=detached).strip()
    (detached / "wt-staged.txt").write_text("staged in the detached worktree only\n")
    board.git("add", "wt-staged.txt", cwd=detached)
    # A staged-only file in the user's checkout.
    (user / "staged.txt").write_text("staged only, never committed\n")
    board.git("add", "staged.txt", cwd=user)
    staged_blob = board.git("rev-parse", ":staged.txt", cwd=user).strip()
    # A pack with .keep holding an object nothing references.
    kept_blob = board.run(
        ["git", "hash-object", "-w", "--stdin"], input="kept by a .keep pack\n"
    ).stdout.strip()
    kept_pack = board.run(
        ["git", "pack-objects", "-q", str(board.packdir() / "pack")], input=kept_blob + "\n"
    ).stdout.strip()
    (board.packdir() / f"pack-{kept_pack}.keep").write_text("kept by the user\n")
    board.git("prune-packed")

    precious = {
        "annotated tag v1": tag_object,
        "commit replaced by --amend (reflog)": amended_away,
        "commit undone by reset --hard (reflog)": reset_away,
        "stash@{0}": stashes[0],
        "stash@{1} (stash reflog)": stashes[1],
        "commit in the detached worktree": worktree_commit,
        "staged-only blob": staged_blob,
        "blob in the .keep pack": kept_blob,
    }
    board.git("gc", "-q")
    assert all(_exists(board, oid) for oid in precious.values()), "git gc itself lost an object"
    before = board.capture()
    age_packs(board)
    gc = board.tack("gc", check=False)
    gone = [f"{what} {oid}" for what, oid in precious.items() if not _exists(board, oid)]
    assert gc.returncode == 0, gc.stderr
    assert not gone, f"tack gc deleted objects git still needs: {gone}"
    assert (board.packdir() / f"pack-{kept_pack}.pack").exists(), "tack gc deleted a pack with .keep"

    # Tack writes still work after both gcs.
    board.note(tasks[0])
    board.add()
    assert board.git("cat-file", "-t", "v1").strip() == "tag"
    assert board.git("stash", "list", cwd=user).count("\n") == 2
    board.git("stash", "show", "-p", "stash@{1}", cwd=user)
    board.git("log", "-1", "--format=%H", cwd=detached)
    board.assert_sound(before)
    # The staged files still commit.
    board.git("commit", "-q", "-m", "user: the staged file", cwd=user)
    assert board.git("show", "HEAD:staged.txt", cwd=user) == "staged only, never committed\n"
    board.git("commit", "-q", "-m", "wt: the staged file", cwd=detached)
    board.fsck()


def _exists(board: Board, oid: str) -> bool:
    return board.run(["git", "cat-file", "-e", oid], check=False).returncode == 0
