"""Finding 9: sparse checkouts (no-cone and cone), a symlink in place of a board's tasks
folder, a split index, a sparse index, and a history with an object missing. Tack works
correctly or refuses with a message that says what to do — never writes outside the working
tree or outside the sparse patterns — and `tack check` reports a broken history."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import Board, show


def task_path(board: Board, task_id: str) -> str:
    names = board.git("ls-files", "--", "boards/").splitlines()
    found = [n for n in names if n.endswith(f"/{task_id}.json")]
    assert len(found) == 1, (task_id, found)
    return found[0]


# MARK: sparse checkouts


@pytest.mark.parametrize("mode", ["no-cone", "cone"])
def test_sparse_checkout(checkout: Board, mode: str):
    board = checkout
    existing = board.add()
    board.note(existing)
    (board.dir / "user.txt").write_text("the user's file\n")
    board.git("add", "user.txt")
    board.git("commit", "-q", "-m", "user: add user.txt")
    board.git("sparse-checkout", "set", f"--{mode}", ".tack")
    patterns = board.git("sparse-checkout", "list")
    path = task_path(board, existing)
    assert not (board.dir / path).exists(), "setup: the task file is still checked out"
    assert board.git("status", "--porcelain") == "", "setup: git status is not clean"
    before = board.capture()

    result = board.tack("note", existing, "a note in a sparse checkout", check=False)
    assert result.returncode == 0, f"a write to an existing task failed in a {mode} sparse checkout:\n{show(result)}"
    board.ledger.note(existing, "a note in a sparse checkout")
    assert not (board.dir / path).exists(), f"Tack wrote {path}, outside the sparse patterns"
    status = board.git("status", "--porcelain")
    assert status == "", f"git status after a write in a sparse checkout:\n{status}"

    tip = board.tip()
    result = board.tack("add", "a new task in a sparse checkout", check=False)
    if result.returncode == 0:
        new = result.stdout.strip()
        board.ledger.task(new, "a new task in a sparse checkout")
        new_path = task_path(board, new)
        assert not (board.dir / new_path).exists(), f"Tack wrote {new_path}, outside the sparse patterns"
        assert board.git("ls-files", "-t", "--", new_path).startswith("S "), (
            "the new task's index entry is not marked skip-worktree:\n" + board.git("ls-files", "-t", "--", new_path)
        )
    else:
        assert result.stderr.strip(), "a refusal must say why"
        assert board.tip() == tip, "a refused write committed"
    status = board.git("status", "--porcelain")
    assert status == "", f"git status after tack add in a sparse checkout:\n{status}"
    assert board.git("sparse-checkout", "list") == patterns
    assert not any((board.dir / "boards").rglob("*.json")), "Tack wrote files outside the sparse patterns"
    board.assert_sound(before)


# MARK: a symlink in place of a board's tasks folder


def test_symlinked_tasks_folder_is_not_written_through(checkout: Board):
    board = checkout
    board.tack("board", "add", "ops")
    outside = board.base / "outside"
    outside.mkdir()
    link = board.dir / "boards" / "ops" / "tasks"
    os.symlink(outside, link)
    tip = board.tip()
    result = board.tack("add", "through a symlink", "--board", "ops", check=False)
    written = [str(p.relative_to(outside)) for p in outside.rglob("*")]
    assert not written, f"tack add wrote outside the working tree, through the symlink {link}: {written}\n{show(result)}"
    assert link.is_symlink() and os.readlink(link) == str(outside), "the user's symlink was changed"
    if result.returncode == 0:
        board.ledger.task(result.stdout.strip(), "through a symlink")
    else:
        assert result.stderr.strip(), "a refusal must say why"
        assert board.tip() == tip, "a refused write committed"
    # The user's symlink hides the committed folder from git status: no clean status to ask.
    board.assert_sound(clean=False)


# MARK: split index and sparse index


def test_split_index(checkout: Board):
    board = checkout
    task_id = board.add()
    board.git("update-index", "--split-index")
    assert list(board.gitdir().glob("sharedindex.*")), "setup: no split index"
    index_before = (board.gitdir() / "index").read_bytes()
    tip = board.tip()
    result = board.tack("note", task_id, "a note with a split index", check=False)
    if result.returncode == 0:
        board.ledger.note(task_id, "a note with a split index")
        status = board.git("status", "--porcelain")
        assert status == "", f"git status after a write with a split index:\n{status}"
    else:
        message = result.stderr
        assert "split" in message.lower() and ("no-split-index" in message or "splitIndex" in message), (
            "the refusal does not say what to do (git update-index --no-split-index):\n" + show(result)
        )
        assert board.tip() == tip, "a refused write committed"
        assert (board.gitdir() / "index").read_bytes() == index_before, "a refused write changed the index"
    board.assert_sound()


def test_sparse_index(checkout: Board):
    board = checkout
    task_id = board.add()
    board.git("sparse-checkout", "init", "--cone", "--sparse-index")
    board.git("sparse-checkout", "set", ".tack")
    entries = board.git("ls-files", "--sparse").splitlines()
    assert "boards/" in entries, f"setup: no sparse directory entry in the index: {entries}"
    index_before = (board.gitdir() / "index").read_bytes()
    tip = board.tip()
    result = board.tack("note", task_id, "a note with a sparse index", check=False)
    if result.returncode == 0:
        board.ledger.note(task_id, "a note with a sparse index")
        status = board.git("status", "--porcelain")
        assert status == "", f"git status after a write with a sparse index:\n{status}"
        assert not any((board.dir / "boards").rglob("*.json")), "Tack wrote outside the sparse patterns"
    else:
        message = result.stderr
        fixes = ("--no-sparse-index", "sparseIndex", "sparse-checkout disable")
        assert "sparse" in message.lower() and any(fix in message for fix in fixes), (
            "the refusal does not say what to do (e.g. git sparse-checkout init --no-sparse-index):\n"
            + show(result)
        )
        assert board.tip() == tip, "a refused write committed"
        assert (board.gitdir() / "index").read_bytes() == index_before, "a refused write changed the index"
    board.assert_sound()


# MARK: tack check on a broken history


@pytest.mark.parametrize("missing", ["blob", "tree"])
def test_check_reports_a_missing_object_in_history(board: Board, missing: str):
    task_id = board.add()
    for _ in range(3):
        board.note(task_id)
    path = _path_in_tip(board, task_id)
    # An object of an old version only: the task file as created, or the shard folder
    # holding the first note's version.
    spec = f"main~3:{path}" if missing == "blob" else f"main~2:{path.rsplit('/', 1)[0]}"
    oid = board.git("rev-parse", spec).strip()
    assert board.run(["git", "cat-file", "-e", f"main:{path}"]).returncode == 0
    _explode_packs(board)
    loose = board.gitdir() / "objects" / oid[:2] / oid[2:]
    assert loose.exists(), f"setup: {oid} is not loose"
    loose.unlink()
    fsck = board.run(["git", "fsck", "--full", "--no-progress"], check=False)
    assert fsck.returncode != 0, "setup: git fsck does not see the missing object"

    result = board.tack("check", check=False)
    text = result.stdout + result.stderr
    assert result.returncode != 0, (
        f"tack check says the board is fine although {missing} {oid} ({spec}) is missing from its history:\n"
        + show(result)
    )
    words = ("missing", "broken", "not found", oid[:7])
    assert any(word in text for word in words), "tack check does not say what is broken:\n" + show(result)


def _path_in_tip(board: Board, task_id: str) -> str:
    names = board.git("ls-tree", "-r", "--name-only", "main").splitlines()
    return next(n for n in names if n.endswith(f"/{task_id}.json"))


def _explode_packs(board: Board):
    """Every object loose: the packs moved away and unpacked."""
    away = board.base / "packs-away"
    away.mkdir()
    for path in list(board.packdir().iterdir()):
        shutil.move(str(path), away / path.name)
    for pack in sorted(away.glob("*.pack")):
        with open(pack, "rb") as data:
            subprocess.run(
                ["git", "unpack-objects", "-q"], stdin=data, cwd=board.dir, env=board.env, check=True
            )
