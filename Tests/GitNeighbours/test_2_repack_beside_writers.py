"""Finding 2: `git repack -adf` (and `git gc --prune=now`) in a loop beside several `tack`
CLI writers and a `tack mcp` server (driven by the official MCP SDK): every acknowledged
write is in history, history is whole (`git fsck`, `tack log`), later writes work."""

from __future__ import annotations

import asyncio
import random

import pytest

from conftest import BOARD_LAYOUTS, ROUNDS, Board, Loop, agent, mcp_session, run_threads, show, size, structured

GIT_LOOPS = {
    "repack-adf": ["git", "repack", "-a", "-d", "-f", "-q"],
    "gc-prune-now": ["git", "gc", "--quiet", "--prune=now"],
}


def git_loop(board: Board, argv):
    def step():
        result = board.run(argv, check=False, timeout=300)
        return None if result.returncode == 0 else show(result)

    return Loop(" ".join(argv), step, pause=0.05)


def cli_writer(board: Board, seeds: list[str], writes: int):
    def main():
        for i in range(writes):
            if i % 3 == 0:
                board.add()
            else:
                board.note(random.choice(seeds))

    return main


def mcp_writer(board: Board, seeds: list[str], calls: int):
    """Create and note calls, two in flight at a time, on one MCP session."""

    async def one(session, i):
        if i % 3 == 0:
            title = board.unique("mcp task")
            result = await session.call_tool("create_task", {"title": title})
            content = structured(result)
            if content:
                board.ledger.task(content["task"]["taskId"], title)
            else:
                board.ledger.failed(f"create_task {title!r}: {result.content}")
        else:
            task_id, text = random.choice(seeds), board.unique("mcp note")
            result = await session.call_tool("add_note", {"taskId": task_id, "text": text})
            if structured(result):
                board.ledger.note(task_id, text)
            else:
                board.ledger.failed(f"add_note {task_id}: {result.content}")

    async def session_main():
        async with mcp_session(board) as session:
            for i in range(0, calls, 2):
                await asyncio.gather(one(session, i), one(session, i + 1))

    return lambda: asyncio.run(session_main())


@pytest.mark.parametrize("board", BOARD_LAYOUTS, indirect=True)
@pytest.mark.parametrize("round_", range(ROUNDS))
@pytest.mark.parametrize("loop_name", sorted(GIT_LOOPS))
def test_git_repacks_beside_tack_writers(board: Board, loop_name, round_):
    agent(board)
    seeds = [board.add() for _ in range(3)]
    before = board.capture()
    writers, writes, calls = 3, size(12, 30), size(16, 40)
    with git_loop(board, GIT_LOOPS[loop_name]) as loop:
        run_threads(
            *(cli_writer(board, seeds, writes) for _ in range(writers)),
            mcp_writer(board, seeds, calls),
        )
    print(loop.summary())
    print(f"acknowledged writes: {board.ledger.count()}")
    for path in board.base.glob("mcp-*.stderr"):
        print(path.read_text()[-2000:])
    for failure in board.ledger.failures[:3]:
        print("write not acknowledged:", failure)
    assert loop.runs >= 1
    # The next write after the storm works too.
    assert board.note(seeds[0], strict=False), "the next write after the git loop failed"
    # `git prune --expire=now` deletes every temporary file in objects/ (git's own too, which
    # is why git calls it unsafe beside writers): a write may fail there, saying so; one
    # that was acknowledged must still be whole. `git repack -a -d` must fail no write.
    board.assert_sound(before, allow_failures=loop_name == "gc-prune-now")
