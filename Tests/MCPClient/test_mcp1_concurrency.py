"""Many calls in flight at once on one session (and two servers on one repository): every
request is answered with its own result and every write lands, in a sound repository."""

from __future__ import annotations

import asyncio
import json

import pytest

from conftest import MCP_MAJOR, mcp_session, structured

if MCP_MAJOR >= 2:
    pytest.skip("the 1.x client API (ClientSession over stdio streams)", allow_module_level=True)

pytestmark = pytest.mark.anyio


def note_texts(task) -> list[str]:
    return [json.dumps(note) for note in task["notes"]]


async def test_concurrent_calls_on_one_session(repo):
    first = repo.add("First")
    second = repo.add("Second")
    before = repo.commit_count()
    async with mcp_session(repo) as (session, _):
        calls, expected = [], {first: [], second: []}
        for i in range(20):
            task_id = (first, second)[i % 2]
            if i % 4 in (0, 1):
                text = f"note {i}"
                expected[task_id].append(text)
                calls.append(("add_note", {"taskId": task_id, "text": text}))
            elif i % 4 == 2:
                calls.append(("get_task", {"taskId": task_id}))
            else:
                calls.append(("list_tasks", {"limit": 10}))
        results = await asyncio.gather(*(session.call_tool(name, args) for name, args in calls))

        assert len(results) == len(calls)
        for (name, arguments), result in zip(calls, results):
            content = structured(result)
            if name == "add_note":
                # Each reply belongs to its own request: its note is in the task it returns.
                assert content["task"]["taskId"] == arguments["taskId"]
                assert any(arguments["text"] in text for text in note_texts(content["task"]))
            elif name == "get_task":
                assert content["task"]["taskId"] == arguments["taskId"]
            else:
                assert [t["taskId"] for t in content["tasks"]] == [first, second]

        for task_id, texts in expected.items():
            task = structured(await session.call_tool("get_task", {"taskId": task_id}))["task"]
            assert len(task["notes"]) == len(texts)
            for text in texts:
                assert any(text in stored for stored in note_texts(task)), text
            assert task == repo.stored(task_id)
    assert repo.commit_count() == before + 10
    authors = repo.git("log", "-10", "--format=%an", "main").split()
    assert authors == ["bot"] * 10
    repo.fsck()


async def test_two_servers_on_one_repository(repo):
    repo.agent("other", ("main", (), "read,comment"))
    task_id = repo.add("Shared")
    before = repo.commit_count()
    async with mcp_session(repo, "bot") as (bot, _), mcp_session(repo, "other") as (other, _):
        calls = [
            (session, f"{name} {i}")
            for i in range(6)
            for session, name in ((bot, "bot"), (other, "other"))
        ]
        results = await asyncio.gather(
            *(session.call_tool("add_note", {"taskId": task_id, "text": text}) for session, text in calls)
        )
        for result in results:
            structured(result)
    task = repo.stored(task_id)
    assert len(task["notes"]) == 12
    for _, text in calls:
        assert any(text in stored for stored in note_texts(task)), text
    assert repo.commit_count() == before + 12
    assert sorted(repo.git("log", "-12", "--format=%an", "main").split()) == ["bot"] * 6 + ["other"] * 6
    repo.fsck()


async def test_cli_and_mcp_servers_writing_at_once(repo):
    """Two MCP servers and two CLI writers on one task at the same moment: every
    acknowledged note lands, the checkout stays clean, and of two racing terminal moves
    exactly one wins — the loser is checked against the new status, never applied to a
    stale one."""
    import os
    import subprocess

    from conftest import TACK

    repo.agent("other", ("main", (), "read,comment,transition"))
    task_id = repo.add("Shared by everyone")
    before = repo.commit_count()
    loop = 'for i in 1 2 3 4 5 6 7 8; do "$TACK" note "$TASK" "cli$W $i" || exit 1; done'
    cli = [
        subprocess.Popen(["/bin/sh", "-c", loop], cwd=repo.dir,
                         env={**os.environ, **repo.env, "TACK": TACK, "TASK": task_id, "W": str(w)},
                         stdout=subprocess.DEVNULL)
        for w in range(2)
    ]
    async with mcp_session(repo, "bot") as (bot, _), mcp_session(repo, "other") as (other, _):
        results = await asyncio.gather(
            *(session.call_tool("add_note", {"taskId": task_id, "text": f"{name} {i}"})
              for i in range(8) for session, name in ((bot, "bot"), (other, "other")))
        )
        for result in results:
            structured(result)
        for process in cli:
            assert process.wait(timeout=120) == 0
        task = repo.stored(task_id)
        assert len(task["notes"]) == 32
        assert repo.commit_count() == before + 32
        # Two terminal moves race: one lands, the other is refused on the state it finds.
        done, cancel = await asyncio.gather(
            bot.call_tool("transition_task", {"taskId": task_id, "status": "completed"}),
            other.call_tool("transition_task", {"taskId": task_id, "status": "cancelled"}),
        )
        outcomes = sorted([bool(done.isError), bool(cancel.isError)])
        assert outcomes == [False, True]
    assert repo.stored(task_id)["status"] in ("completed", "cancelled")
    assert repo.commit_count() == before + 33
    assert repo.git("status", "--porcelain") == ""
    repo.fsck()
