"""Killed writers beside `git gc`: rounds of concurrent `tack add` / `tack note` processes,
about half of them killed with SIGKILL at random moments, while `git gc` runs in a loop.
Every acknowledged write is present, the next write succeeds (a lock a killed Tack left is
recognised as its own; none of git's is touched), and the repository is sound."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time

import pytest

from conftest import ROUNDS, TACK, Board, Loop, show, size


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_killed_writers_beside_git_gc(board: Board, round_):
    seeds = [board.add() for _ in range(2)]
    before = board.capture()
    kills = unacknowledged = 0
    other_failures = []

    def gc_step():
        result = board.run(["git", "gc", "--quiet"], check=False, timeout=300)
        return None if result.returncode == 0 else show(result)

    with Loop("git gc", gc_step, pause=0.1) as loop:
        for _ in range(size(10, 30)):
            running = []
            for w in range(3):
                if w == 0:
                    title = board.unique("killable task")
                    args = ["add", title]
                else:
                    text = board.unique("killable note")
                    args = ["note", seeds[w - 1], text]
                process = subprocess.Popen(
                    [TACK, *args], cwd=board.dir, env=board.env,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                )
                running.append((process, args))
            time.sleep(random.uniform(0, 0.05))
            for process, _ in running:
                if random.random() < 0.5 and process.poll() is None:
                    os.kill(process.pid, signal.SIGKILL)
            for process, args in running:
                out, err = process.communicate(timeout=120)
                if process.returncode == 0:
                    if args[0] == "add":
                        board.ledger.task(out.strip(), args[1])
                    else:
                        board.ledger.note(args[1], args[2])
                elif process.returncode == -signal.SIGKILL:
                    kills += 1
                else:
                    unacknowledged += 1
                    other_failures.append(f"tack {' '.join(args)}: exit {process.returncode}: {err.strip()}")
    print(loop.summary())
    print(f"acknowledged: {board.ledger.count()}, killed: {kills}, failed without a kill: {unacknowledged}")
    for failure in other_failures[:5]:
        print("  ", failure)
    started = time.time()
    next_write = board.add(strict=False)
    assert next_write, f"the next write after the killed writers failed: {board.ledger.failures[-1:]}"
    print(f"the next write took {time.time() - started:.2f} s")
    board.assert_sound(before, allow_failures=True)
