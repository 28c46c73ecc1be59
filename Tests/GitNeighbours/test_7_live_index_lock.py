"""Finding 7: a live `git commit` with its editor open holds `index.lock` for as long as the
editor runs. Tack must never remove a lock it did not take: the git commit succeeds, and Tack
either waits and then lands its write, or fails with a message naming the lock and writes
nothing."""

from __future__ import annotations

import json
import os
import subprocess
import time

from conftest import Board

EDITOR_SECONDS = 7  # past the 5 s after which Tack used to call a lock stale


def test_tack_leaves_a_live_commits_index_lock_alone(checkout: Board):
    board = checkout
    task_id = board.add()
    before_note = json.loads(board.tack("show", "--json", task_id).stdout)["notes"]
    (board.dir / "user.txt").write_text("the user's file\n")
    board.git("add", "user.txt")
    board.git("commit", "-q", "-m", "user: add user.txt")
    (board.dir / "user.txt").write_text("the user's staged change\n")
    lock = board.dir / ".git" / "index.lock"
    report = board.base / "editor-report"
    # `git commit -a` (or with paths) holds index.lock until the commit is made; the editor
    # notes the lock's inode when it opens and again when it closes: git holds
    # the lock all that time, so both must be the same file.
    editor = (
        f"stat -c %i {lock} > {report}.open; sleep {EDITOR_SECONDS}; "
        f"stat -c %i {lock} > {report}.close 2>&1; true"
    )
    commit = subprocess.Popen(
        ["git", "commit", "-q", "-a", "-e", "-m", "user: commit with the editor open"],
        cwd=board.dir,
        env={**board.env, "GIT_EDITOR": editor},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 10
    while not os.path.exists(f"{report}.open") and time.time() < deadline:
        time.sleep(0.05)
    assert lock.exists(), "setup: git commit -a holds no index.lock while its editor is open"
    tip_during = board.tip()
    started = time.time()
    result = board.tack("note", task_id, "written while git commit's editor is open", check=False, timeout=120)
    took = time.time() - started
    out, err = commit.communicate(timeout=60)
    opened = read(f"{report}.open")
    closed = read(f"{report}.close")
    diagnostics = (
        f"tack exit {result.returncode} after {took:.1f} s, stderr: {result.stderr!r}\n"
        f"git commit exit {commit.returncode}, stderr: {err!r}\n"
        f"index.lock inode when the editor opened: {opened!r}, when it closed: {closed!r}"
    )
    assert opened and opened == closed, "Tack removed or replaced git's live index.lock:\n" + diagnostics
    assert commit.returncode == 0, "the user's git commit -a failed:\n" + diagnostics
    subjects = board.git("log", "--format=%s", "main").splitlines()
    assert "user: commit with the editor open" in subjects, diagnostics
    assert board.git("show", "main:user.txt") == "the user's staged change\n"
    notes = json.loads(board.tack("show", "--json", task_id).stdout)["notes"]
    if result.returncode == 0:
        # Tack waited for the lock, then landed its note after the commit.
        board.ledger.note(task_id, "written while git commit's editor is open")
        assert took >= EDITOR_SECONDS - 1.5, "Tack wrote while git held index.lock:\n" + diagnostics
    else:
        assert "index.lock" in result.stderr, "the refusal does not name index.lock:\n" + diagnostics
        assert notes == before_note, "a refused write changed the task:\n" + diagnostics
        log = board.git("log", "--format=%s", f"{tip_during}..main").splitlines()
        assert log == ["user: commit with the editor open"], "a refused write committed:\n" + repr(log)
    assert not lock.exists(), "index.lock left behind"
    assert board.git("status", "--porcelain") == "", board.git("status", "--porcelain")
    board.assert_sound()


def read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None
