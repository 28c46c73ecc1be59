"""The SDK's 2.x client line (`mcp.Client`): in mode "legacy" it opens with `initialize`, as
every 2025 client does, and these tests check that session unchanged; mode "auto" probes
`server/discover` and speaks 2026-07-28 (test_mcp2026.py), without waiting for a timeout.
Run by scripts/mcp-tests.sh in the mcp>=2 venv; skipped under mcp 1.x."""

from __future__ import annotations

import json
import time

import pytest

from conftest import MCP_MAJOR, MISSING_ID, server_args, TACK

if MCP_MAJOR < 2:
    pytest.skip("needs the 2.x client line (mcp>=2)", allow_module_level=True)

import contextlib  # noqa: E402

from mcp import Client, MCPError, StdioServerParameters, stdio_client  # noqa: E402

pytestmark = pytest.mark.anyio

TOOLS = {
    "list_boards", "list_tasks", "get_task", "create_task", "update_task", "transition_task",
    "add_note", "claim_task", "release_task", "request_input", "answer_input", "task_history",
    "request_approval", "next_task",
}


@contextlib.asynccontextmanager
async def client(repo, principal="bot", *extra, mode="legacy"):
    params = StdioServerParameters(
        command=TACK, args=server_args(repo, principal, *extra), env=dict(repo.env)
    )
    with open(repo.base / f"mcp2-{principal}.stderr", "a") as errlog:
        async with Client(stdio_client(params, errlog=errlog), mode=mode, read_timeout_seconds=20) as c:
            yield c


async def test_connects_over_stdio_and_lists_tools_without_a_timeout(repo):
    started = time.monotonic()
    async with client(repo, "bot", "--log-level", "debug", mode="auto") as c:
        listed = await c.list_tools()
        elapsed = time.monotonic() - started
        assert c.protocol_version == "2026-07-28"
        assert c.server_info is not None and c.server_info.name == "tack"
    print(f"mcp 2.x connect + list_tools: {elapsed:.3f} s")
    assert elapsed < 5, f"connect + list_tools took {elapsed:.1f} s: the discover probe waited for a timeout"
    names = [tool.name for tool in listed.tools]
    assert sorted(names) == sorted(TOOLS) and len(names) == 14
    for tool in listed.tools:
        assert tool.input_schema["type"] == "object"
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
    # The probe went out and was answered: no handshake follows.
    log = (repo.base / "mcp2-bot.stderr").read_text()
    assert "server/discover" in log and "initialize" not in log, log


async def test_tools_and_errors_with_the_2x_client(repo):
    before = repo.tip()
    async with client(repo) as c:
        created = await c.call_tool("create_task", {"title": "From the 2.x client", "labels": ["v2"]})
        assert not created.is_error
        task = created.structured_content["task"]
        assert json.loads(created.content[0].text) == created.structured_content
        assert task["labels"] == ["v2"] and task["status"] == "todo"

        got = await c.call_tool("get_task", {"taskId": task["taskId"][5:21]})
        assert got.structured_content["task"] == task

        missing = await c.call_tool("get_task", {"taskId": MISSING_ID})
        assert missing.is_error is True and "list_tasks" in missing.content[0].text
        bad = await c.call_tool("list_tasks", {"limit": "many"})
        assert bad.is_error is True and "limit" in bad.content[0].text
        with pytest.raises(MCPError) as caught:
            await c.call_tool("no_such_tool", {})
        assert caught.value.code == -32602

        refused = await c.call_tool("transition_task", {"taskId": task["taskId"], "status": "input_required"})
        assert refused.is_error is True and refused.content[0].text

        resource = await c.read_resource("tack://board/main")
        assert task["taskId"] in resource.contents[0].text
        with pytest.raises(MCPError) as caught:
            await c.read_resource("tack://nothing/here")
        assert caught.value.code == -32002
    assert repo.git("rev-parse", "main~1").strip() == before
    author, body = repo.last_commit()
    assert author == "bot" and "Tack-Actor: agent:bot" in body.splitlines()
    assert repo.stored(task["taskId"]) == task


async def test_legacy_mode_also_connects(repo):
    started = time.monotonic()
    async with client(repo, mode="legacy") as c:
        listed = await c.list_tools()
    assert len(listed.tools) == 14
    assert time.monotonic() - started < 5
