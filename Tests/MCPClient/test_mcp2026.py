"""MCP 2026-07-28 with the SDK's 2.x client (`mcp.Client`, mode "auto"): it probes
`server/discover`, gets a DiscoverResult and then speaks the stateless revision (per-request
`_meta`, no initialize). Tools, isError results, a plain `request_approval` completed through
an input round trip (the client's elicitation callback), a requestState that survives a server
restart, and a `subscriptions/listen` notification when a person answers from the shell.
Run by scripts/mcp-tests.sh in the mcp>=2 venv; skipped under mcp 1.x."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time

import pytest

from conftest import MCP_MAJOR, MISSING_ID, TACK, server_args

if MCP_MAJOR < 2:
    pytest.skip("needs the 2.x client line (mcp>=2)", allow_module_level=True)

import anyio  # noqa: E402
from mcp import Client, MCPError, StdioServerParameters, stdio_client  # noqa: E402
from mcp import types  # noqa: E402
from mcp.client.subscriptions import ResourceUpdated  # noqa: E402

pytestmark = pytest.mark.anyio

HOST_USER = "Host's user through elicitation on behalf of bot"


@contextlib.asynccontextmanager
async def client(repo, principal="bot", *extra, elicit=None, mode="auto"):
    params = StdioServerParameters(command=TACK, args=server_args(repo, principal, *extra), env=dict(repo.env))
    with open(repo.base / f"mcp2026-{principal}.stderr", "a") as errlog:
        async with Client(
            stdio_client(params, errlog=errlog), mode=mode, read_timeout_seconds=20, elicitation_callback=elicit
        ) as c:
            yield c


def answering(confirmed: bool, asked: list):
    async def elicit(context, params):
        asked.append(params)
        return types.ElicitResult(action="accept", content={"confirmed": confirmed})

    return elicit


async def test_auto_mode_negotiates_2026_and_serves_tools(repo):
    started = time.monotonic()
    async with client(repo, "bot", "--log-level", "debug") as c:
        discovered = time.monotonic()
        assert c.protocol_version == "2026-07-28"
        assert c.server_info is not None and c.server_info.name == "tack"
        assert "io.modelcontextprotocol/tasks" in (c.server_capabilities.extensions or {})
        listed = await c.list_tools()
        first_call_started = time.monotonic()
        created = await c.call_tool("create_task", {"title": "From a 2026 client", "labels": ["v3"]})
        done = time.monotonic()
        names = [tool.name for tool in listed.tools]
        assert names == sorted(names) and len(names) == 14, names  # deterministic: by name
        task = created.structured_content["task"]
        assert not created.is_error and task["labels"] == ["v3"]
        missing = await c.call_tool("get_task", {"taskId": MISSING_ID})
        assert missing.is_error is True and "list_tasks" in missing.content[0].text
        bad = await c.call_tool("list_tasks", {"limit": "many"})
        assert bad.is_error is True and "limit" in bad.content[0].text
        with pytest.raises(MCPError) as caught:
            await c.call_tool("no_such_tool", {})
        assert caught.value.code == -32602
        resource = await c.read_resource("tack://board/main")
        assert task["taskId"] in resource.contents[0].text
        with pytest.raises(MCPError) as caught:
            await c.read_resource("tack://nothing/here")
        assert caught.value.code == -32602  # 2026-07-28 retired -32002
    print(
        f"mcp 2.x auto → 2026-07-28: spawn + discover {1000 * (discovered - started):.1f} ms, "
        f"first tools/call {1000 * (done - first_call_started):.1f} ms"
    )
    assert discovered - started < 5
    log = (repo.base / "mcp2026-bot.stderr").read_text()
    assert "server/discover" in log and "initialize" not in log, log
    author, body = repo.last_commit()
    assert author == "bot" and repo.stored(task["taskId"]) == task


async def test_a_plain_request_approval_is_an_input_round_trip(repo):
    before = repo.tip()
    asked: list = []
    async with client(repo, elicit=answering(True, asked)) as c:
        result = await c.call_tool("request_approval", {"title": "Ship v3", "message": "Ship v3 now?"})
    assert len(asked) == 1 and asked[0].message == "Ship v3 now?", asked
    assert asked[0].requested_schema["properties"]["confirmed"]["type"] == "boolean"
    assert not result.is_error, result
    task = result.structured_content["task"]
    assert task["status"] == "completed" and task["inputResponses"]["approve"] == {"confirmed": True}
    assert repo.stored(task["taskId"]) == task
    # Two commits: the agent's task, then the person's answer, attributed to them.
    assert repo.git("rev-parse", "main~2").strip() == before
    author, body = repo.last_commit()
    lines = body.splitlines()
    assert author == HOST_USER, body
    assert "Tack-On-Behalf-Of: agent:bot" in lines and "Tack-Answered-Through: elicitation" in lines, body
    assert repo.git("log", "-1", "--format=%an", "main~1").strip() == "bot"


async def test_a_declined_approval_is_an_error_result(repo):
    asked: list = []
    async with client(repo, elicit=answering(False, asked)) as c:
        result = await c.call_tool("request_approval", {"title": "Drop the database"})
    assert result.is_error is True and len(asked) == 1
    task = result.structured_content["task"]
    assert task["status"] == "failed" and repo.stored(task["taskId"])["status"] == "failed"


async def test_nothing_is_written_until_the_person_answers(repo):
    before = repo.tip()

    async def dismiss(context, params):
        return types.ElicitResult(action="cancel")

    async with client(repo, elicit=dismiss) as c:
        result = await c.call_tool("request_approval", {"title": "Maybe"})
    assert result.is_error is True and "nothing was recorded" in result.content[0].text
    assert repo.tip() == before


async def test_request_state_survives_a_restart_and_refuses_tampering(repo):
    before = repo.tip()
    arguments = {"title": "Deploy"}
    async with client(repo, elicit=answering(True, [])) as c:
        first = await c.session.call_tool("request_approval", arguments, allow_input_required=True)
    assert isinstance(first, types.InputRequiredResult), first
    assert list(first.input_requests) == ["approve"] and first.request_state
    assert repo.tip() == before  # asking writes nothing
    key = repo.dir / ".git" / "tack" / "mcp-state-key"
    assert key.stat().st_mode & 0o777 == 0o600 and key.stat().st_size == 32
    answer = {"approve": types.ElicitResult(action="accept", content={"confirmed": True})}
    # A new server process (same repository key) completes what the first one asked.
    async with client(repo, elicit=answering(True, [])) as c:
        state = first.request_state
        tampered = state[:-1] + ("0" if state[-1] != "0" else "1")
        with pytest.raises(MCPError) as caught:
            await c.session.call_tool("request_approval", arguments, input_responses=answer, request_state=tampered)
        assert caught.value.code == -32602 and "requestState" in str(caught.value)
        # Bound to the arguments: the same state for another title is refused.
        with pytest.raises(MCPError) as caught:
            await c.session.call_tool(
                "request_approval", {"title": "Deploy prod"}, input_responses=answer, request_state=state
            )
        assert caught.value.code == -32602
        assert repo.tip() == before
        done = await c.session.call_tool("request_approval", arguments, input_responses=answer, request_state=state)
        assert not done.is_error, done
        assert done.structured_content["task"]["status"] == "completed"
        # Retried in the same process: the same task, not a second one.
        again = await c.session.call_tool("request_approval", arguments, input_responses=answer, request_state=state)
        assert again.structured_content["task"]["taskId"] == done.structured_content["task"]["taskId"]
    assert repo.git("rev-parse", "main~2").strip() == before


async def test_a_subscription_hears_a_person_answer_from_the_shell(repo):
    task_id = repo.add("Needs a person")
    async with client(repo) as c:
        moved = await c.call_tool("transition_task", {"taskId": task_id, "status": "working"})
        assert not moved.is_error, moved
        asked = await c.call_tool(
            "request_input",
            {"taskId": task_id, "inputRequests": {"approve": {"type": "confirmation", "message": "OK?"}}},
        )
        assert not asked.is_error, asked
        uri = f"tack://task/{task_id}"
        async with c.listen(resource_subscriptions=[uri]) as subscription:
            assert subscription.honored.resource_subscriptions == [uri]
            answered = time.monotonic()
            await anyio.to_thread.run_sync(
                lambda: subprocess.run(
                    [TACK, "answer", task_id, "approve=yes"], cwd=repo.dir, env=repo.env, check=True,
                    capture_output=True,
                )
            )
            with anyio.fail_after(10):
                event = await subscription.__anext__()
            heard = time.monotonic()
        assert event == ResourceUpdated(uri=uri)
        resource = await c.read_resource(uri)
        assert json.loads(resource.contents[0].text)["status"] != "input_required"
    print(f"subscription notified {1000 * (heard - answered):.0f} ms after `tack answer` started")


async def test_legacy_mode_still_gets_the_2025_handshake(repo):
    async with client(repo, mode="legacy") as c:
        assert c.protocol_version == "2025-11-25"
        listed = await c.list_tools()
    assert len(listed.tools) == 14
