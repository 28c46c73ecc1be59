"""Finding 8: a shallow clone (`git clone --depth 1 file://...`), checked out and bare: Tack
writes, `tack log` (of a task whose history the clone cuts off, and of a new one),
`tack gc` and `tack check` all work, and the clone stays shallow and sound."""

from __future__ import annotations

import pytest

from conftest import LAYOUTS, Board, age_packs


@pytest.mark.parametrize("layout", LAYOUTS)
def test_shallow_clone(tmp_path, layout):
    (tmp_path / "origin").mkdir()
    origin = Board(tmp_path / "origin", "checkout")
    old = [origin.add() for _ in range(3)]
    for i in range(6):
        origin.note(old[i % 3])
    clone_dir = tmp_path / "clone"
    flags = ["--bare"] if layout == "bare" else []
    origin.git("clone", "-q", "--depth", "1", *flags, f"file://{origin.dir}", str(clone_dir))
    board = Board(tmp_path, layout, init=False, dir=clone_dir)
    board.identity()
    assert (board.gitdir() / "shallow").exists(), "setup: the clone is not shallow"
    before = board.capture()

    board.note(old[0], "a note in the shallow clone")
    new = board.add("a task made in the shallow clone")
    board.note(new)
    for args in (("log", old[0]), ("log", new), ("list",), ("check",)):
        result = board.tack(*args, check=False)
        assert result.returncode == 0, f"tack {' '.join(args)} failed in a shallow clone:\n{result.stderr}"
    assert "a note in the shallow clone" in board.tack("show", old[0]).stdout
    age_packs(board)
    gc = board.tack("gc", check=False)
    assert gc.returncode == 0, f"tack gc failed in a shallow clone:\n{gc.stderr}"
    board.note(old[1])
    board.assert_sound(before)
    assert board.git("rev-list", "--count", "main").strip() == "5"
