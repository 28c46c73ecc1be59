"""Finding 5: racy git. `echo AAAA>x; git add x; git commit -m x; echo BBBB>x` within one
second leaves x "racily clean" in the index (same size, same mtime second as the index);
git re-checks such entries by content, and smudges them whenever it writes the index. After
`sleep 1.1; tack note ID n`, `git status` must still show x modified — for index versions 2,
3 (a skip-worktree entry makes git write v3) and 4."""

from __future__ import annotations

import time

import pytest

from conftest import Board


def index_version(board: Board) -> int:
    return int.from_bytes((board.gitdir() / "index").read_bytes()[4:8], "big")


def entry_stat(board: Board, path: str) -> tuple[int, int]:
    """(mtime seconds, size) of `path`'s index entry, from `git ls-files --debug`."""
    out = board.git("ls-files", "--debug", "--", path)
    mtime = out.split("mtime:")[1].split(":")[0].strip()
    size = out.split("size:")[1].split()[0].strip()
    return int(mtime), int(size)


def racily_clean_edit(board: Board) -> None:
    """The issue's sequence, started at the beginning of a second so that all of it falls in
    that second; tried again (up to 5 times) until the precondition holds: x's index entry
    has the same mtime second and size as the edited file, and that second is the index's."""
    x = board.dir / "x"
    for attempt in range(5):
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
        start = int(time.time())
        x.write_text("AAAA\n")
        board.git("add", "x")
        board.git("commit", "-q", "-m", f"x {attempt}")
        x.write_text("BBBB\n")
        stat = x.stat()
        index_mtime = int((board.gitdir() / "index").stat().st_mtime)
        if entry_stat(board, "x") == (int(stat.st_mtime), stat.st_size) and index_mtime == start == int(
            stat.st_mtime
        ):
            return
        # Not racy this time (a second boundary fell in between): make x clean and retry.
        board.git("checkout", "--", "x")
    pytest.fail("could not produce a racily clean entry within one second in 5 attempts")


@pytest.mark.parametrize("writer", ["tack", "git"])
@pytest.mark.parametrize("version", [2, 3, 4])
def test_racily_clean_edit_stays_visible(checkout: Board, version: int, writer: str):
    """`writer` git is the control: git's own index writer (`git update-index --add` of
    another file) in Tack's place, which smudges x and keeps the edit visible."""
    board = checkout
    task_id = board.add()
    (board.dir / "y").write_text("y\n")
    board.git("add", "y")
    board.git("commit", "-q", "-m", "y")
    if version == 3:
        board.git("update-index", "--skip-worktree", "y")
    elif version == 4:
        board.git("update-index", "--index-version", "4")
    racily_clean_edit(board)
    assert index_version(board) == version, f"setup: index version {index_version(board)}"
    time.sleep(1.1)
    if writer == "tack":
        board.note(task_id)
    else:
        (board.dir / "z").write_text("z\n")
        board.git("update-index", "--add", "z")
    status = board.git("status", "--porcelain", "--untracked-files=no")
    assert " M x" in status.splitlines(), (
        f"after a {writer} write of the index, git status no longer shows the racily clean edit of x "
        f"(index v{version}):\n{status!r}"
    )
    assert "+BBBB" in board.git("diff", "--", "x")
    assert (board.dir / "x").read_text() == "BBBB\n"
    if version == 3:
        assert "S y" in board.git("ls-files", "-v", "y"), "the skip-worktree bit of y was lost"
    assert index_version(board) in (version, 3 if version == 2 else version)
    if writer == "git":
        board.git("rm", "-q", "--cached", "z")
    board.assert_sound(clean=True)
