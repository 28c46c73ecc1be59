"""The thirteen board tools and the resources through the official SDK's 1.x client
(`mcp.ClientSession` over `mcp.client.stdio.stdio_client`), checked against the repository
with plain git: every write is one commit authored by the agent."""

from __future__ import annotations

import json
import time

import pytest

from conftest import MCP_MAJOR, MISSING_ID, mcp_session, refusal, structured

if MCP_MAJOR >= 2:
    pytest.skip("the 1.x client API (ClientSession over stdio streams)", allow_module_level=True)

from mcp.shared.exceptions import McpError  # noqa: E402
from pydantic import AnyUrl  # noqa: E402

pytestmark = pytest.mark.anyio

TOOLS = {
    "list_boards",
    "list_tasks",
    "get_task",
    "create_task",
    "update_task",
    "transition_task",
    "add_note",
    "claim_task",
    "release_task",
    "request_input",
    "answer_input",
    "request_approval",
    "task_history",
    "next_task",
}
APPROVAL = {
    "approve": {
        "type": "confirmation",
        "message": "Ship?",
        "onConfirm": "completed",
        "onDecline": "failed",
    }
}


def short(task_id: str, length: int = 16) -> str:
    """A unique prefix of the id's 26 characters (tasks made in one millisecond share 10)."""
    return task_id[len("task_") : len("task_") + length]


def assert_committed_by_bot(repo, task_id, before):
    """main moved by exactly one commit, authored by the agent, with its trailers."""
    assert repo.git("rev-parse", "main~1").strip() == before
    author, body = repo.last_commit()
    assert author == "bot"
    lines = body.splitlines()
    assert "Tack-Actor: agent:bot" in lines, body
    assert f"Tack-Task: {task_id}" in lines, body


# MARK: handshake and listing


async def test_initialize_and_list_tools(repo):
    async with mcp_session(repo) as (session, init):
        assert init.protocolVersion in ("2025-11-25", "2025-06-18")
        assert init.serverInfo.name == "tack"
        assert init.capabilities.tools is not None
        assert init.capabilities.resources is not None
        listed = await session.list_tools()
        names = [tool.name for tool in listed.tools]
        assert sorted(names) == sorted(TOOLS) and len(names) == 14
        assert listed.nextCursor is None
        for tool in listed.tools:
            assert tool.description
            assert tool.inputSchema["type"] == "object", tool.name
            assert isinstance(tool.inputSchema.get("properties"), dict), tool.name
            assert tool.outputSchema is not None and tool.outputSchema["type"] == "object", tool.name
        by_name = {tool.name: tool for tool in listed.tools}
        assert set(by_name["get_task"].inputSchema["required"]) == {"taskId"}
        assert set(by_name["create_task"].inputSchema["required"]) == {"title"}
        assert by_name["list_tasks"].annotations.readOnlyHint is True
        assert by_name["create_task"].annotations.readOnlyHint is False
        await session.send_ping()


async def test_connect_and_list_tools_is_quick(repo):
    started = time.monotonic()
    async with mcp_session(repo) as (session, _):
        listed = await session.list_tools()
        elapsed = time.monotonic() - started
    print(f"mcp 1.x connect + list_tools: {elapsed:.3f} s")
    assert len(listed.tools) == 14
    assert elapsed < 5


async def test_list_boards(repo):
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        boards = structured(await session.call_tool("list_boards", {}))["boards"]
    # bot is granted main only: ops is invisible.
    assert [b["name"] for b in boards] == ["main"]
    assert boards[0]["default"] is True
    assert "todo" in json.dumps(boards[0])
    assert repo.tip() == before


# MARK: the tools' happy paths, checked in git


async def test_create_task(repo):
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        task = structured(
            await session.call_tool(
                "create_task",
                {"title": "Write the docs", "description": "All of them.", "labels": ["docs"]},
            )
        )["task"]
    assert task["title"] == "Write the docs"
    assert task["description"] == "All of them."
    assert task["labels"] == ["docs"]
    assert task["status"] == "todo" and task["board"] == "main"
    assert task["taskId"].startswith("task_")
    assert_committed_by_bot(repo, task["taskId"], before)
    assert repo.stored(task["taskId"]) == task
    assert repo.path_of(task["taskId"]).startswith("boards/main/tasks/")


async def test_create_task_keeps_unicode_and_refuses_bad_titles(repo):
    title = "Résumé ✓ 日本語 🙂 \"quoted\" back\\slash"
    description = "line one\nline two\ttabbed\n"
    async with mcp_session(repo) as (session, _):
        task = structured(
            await session.call_tool("create_task", {"title": title, "description": description})
        )["task"]
        assert task["title"] == title and task["description"] == description
        assert repo.stored(task["taskId"]) == task
        before = repo.tip()
        for bad in ("two\nlines", "", "   ", "nul\u0000byte"):
            refusal(await session.call_tool("create_task", {"title": bad}))
        assert repo.tip() == before


async def test_get_task_accepts_full_and_short_ids(repo):
    task_id = repo.add("Read me", description="Some text")
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        for given in (task_id, short(task_id), "task_" + short(task_id), short(task_id, 26)):
            task = structured(await session.call_tool("get_task", {"taskId": given}))["task"]
            assert task["taskId"] == task_id, given
            assert task["description"] == "Some text"
    assert task == repo.stored(task_id)
    assert repo.tip() == before


async def test_update_task(repo):
    task_id = repo.add("Old title", labels=["a", "b"])
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        task = structured(
            await session.call_tool(
                "update_task",
                {
                    "taskId": short(task_id),
                    "title": "New title",
                    "description": "Now described.",
                    "labels": ["b", "c"],
                },
            )
        )["task"]
    assert task["title"] == "New title"
    assert task["description"] == "Now described."
    assert sorted(task["labels"]) == ["b", "c"]
    assert_committed_by_bot(repo, task_id, before)
    assert repo.stored(task_id) == task


async def test_transition_task_with_note(repo):
    task_id = repo.add("Move me")
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        task = structured(
            await session.call_tool(
                "transition_task",
                {"taskId": short(task_id), "status": "working", "note": "on it"},
            )
        )["task"]
    assert task["status"] == "working"
    assert "on it" in json.dumps(task["notes"])
    assert_committed_by_bot(repo, task_id, before)
    _, body = repo.last_commit()
    assert "todo → working" in body, body
    assert "Tack-Status: working" in body.splitlines(), body
    assert repo.stored(task_id) == task


async def test_add_note(repo):
    task_id = repo.add("Note me")
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        task = structured(
            await session.call_tool("add_note", {"taskId": short(task_id), "text": "halfway there"})
        )["task"]
    assert len(task["notes"]) == 1
    assert "halfway there" in json.dumps(task["notes"][0])
    assert "bot" in json.dumps(task["notes"][0])
    assert_committed_by_bot(repo, task_id, before)
    assert repo.stored(task_id) == task


async def test_claim_and_release(repo):
    task_id = repo.add("Claim me")
    async with mcp_session(repo) as (session, _):
        before = repo.tip()
        claimed = structured(
            await session.call_tool("claim_task", {"taskId": short(task_id), "leaseSeconds": 600})
        )["task"]
        assert claimed["assignee"] == "bot"
        assert claimed["status"] == "working"
        assert claimed["lease"] is not None
        assert_committed_by_bot(repo, task_id, before)
        assert repo.stored(task_id) == claimed

        renewed = structured(await session.call_tool("claim_task", {"taskId": task_id}))["task"]
        assert renewed["assignee"] == "bot"

        before = repo.tip()
        released = structured(await session.call_tool("release_task", {"taskId": task_id}))["task"]
        assert released["assignee"] is None
        assert released["lease"] is None
        assert released["status"] == "todo"
        assert_committed_by_bot(repo, task_id, before)
        assert repo.stored(task_id) == released


async def test_request_input_approval_then_answer(repo):
    task_id = repo.add("Ship it")
    async with mcp_session(repo) as (session, _):
        structured(await session.call_tool("transition_task", {"taskId": task_id, "status": "working"}))
        before = repo.tip()
        asked = structured(
            await session.call_tool(
                "request_input", {"taskId": short(task_id), "inputRequests": APPROVAL}
            )
        )["task"]
        assert asked["status"] == "input_required"
        request = asked["inputRequests"]["approve"]
        assert request["type"] == "confirmation" and request["message"] == "Ship?"
        assert request["onConfirm"] == "completed" and request["onDecline"] == "failed"
        assert_committed_by_bot(repo, task_id, before)
        assert repo.stored(task_id) == asked

        # Separation of duties: the agent that asked cannot answer, approve grant or not.
        before = repo.tip()
        text = agent_readable(
            refusal(await session.call_tool("answer_input", {"taskId": task_id, "inputResponses": {"approve": True}}))
        )
        assert "cannot answer it itself" in text and "approve" in text, text
        assert repo.tip() == before
    repo.tack("scope", "grant", "bot", "--board", "main", "--can", "read,transition,answer,approve")
    async with mcp_session(repo) as (session, _):
        refusal(await session.call_tool("answer_input", {"taskId": task_id, "inputResponses": {"approve": True}}))
    # Another agent needs approve, not just answer.
    repo.agent("helper", ("main", (), "read,answer"))
    repo.agent("approver", ("main", (), "read,approve"))
    before = repo.tip()
    async with mcp_session(repo, "helper") as (session, _):
        text = refusal(await session.call_tool("answer_input", {"taskId": task_id, "inputResponses": {"approve": True}}))
        assert "approve" in text, text
    assert repo.tip() == before
    async with mcp_session(repo, "approver") as (session, _):
        answered = structured(
            await session.call_tool("answer_input", {"taskId": short(task_id), "inputResponses": {"approve": True}})
        )["task"]
    assert answered["status"] == "completed"
    assert answered["inputResponses"]["approve"]["confirmed"] is True
    assert repo.git("rev-parse", "main~1").strip() == before
    author, body = repo.last_commit()
    assert author == "approver" and "Tack-Actor: agent:approver" in body.splitlines(), body
    assert repo.stored(task_id) == answered


async def test_a_person_answers_an_agents_approval_from_the_shell(repo):
    task_id = repo.add("Ship it")
    async with mcp_session(repo) as (session, _):
        structured(await session.call_tool("transition_task", {"taskId": task_id, "status": "working"}))
        structured(await session.call_tool("request_input", {"taskId": task_id, "inputRequests": APPROVAL}))
    repo.tack("answer", task_id, "approve=yes")
    assert repo.stored(task_id)["status"] == "completed"
    author, body = repo.last_commit()
    assert author == "Ada Admin" and "Tack-Actor: person:ada@example.com" in body.splitlines(), body


async def test_declined_approval_fails_and_text_answer_moves_on(repo):
    declined = repo.add("Declined")
    asked_text = repo.add("Text")
    async with mcp_session(repo) as (session, _):
        for task_id in (declined, asked_text):
            structured(await session.call_tool("transition_task", {"taskId": task_id, "status": "working"}))
        structured(await session.call_tool("request_input", {"taskId": declined, "inputRequests": APPROVAL}))
    repo.agent("approver", ("main", (), "read,approve"))
    async with mcp_session(repo, "approver") as (session, _):
        task = structured(
            await session.call_tool(
                "answer_input", {"taskId": declined, "inputResponses": {"approve": {"confirmed": False}}}
            )
        )["task"]
        assert task["status"] == "failed"
    async with mcp_session(repo) as (session, _):

        structured(
            await session.call_tool(
                "request_input",
                {
                    "taskId": asked_text,
                    "inputRequests": {"where": {"type": "text", "message": "Where to?", "next": "working"}},
                },
            )
        )
        task = structured(
            await session.call_tool("answer_input", {"taskId": asked_text, "inputResponses": {"where": "staging"}})
        )["task"]
        assert task["status"] == "working"
        assert task["inputResponses"]["where"]["text"] == "staging"
    assert repo.stored(declined)["status"] == "failed"
    assert repo.stored(asked_text)["status"] == "working"


async def test_task_history_newest_first(repo):
    task_id = repo.add("History")
    async with mcp_session(repo) as (session, _):
        structured(await session.call_tool("transition_task", {"taskId": task_id, "status": "working"}))
        structured(await session.call_tool("add_note", {"taskId": task_id, "text": "n"}))
        structured(await session.call_tool("transition_task", {"taskId": task_id, "status": "completed"}))
        before = repo.tip()
        history = structured(await session.call_tool("task_history", {"taskId": short(task_id)}))["history"]
        limited = structured(await session.call_tool("task_history", {"taskId": task_id, "limit": 2}))["history"]
    assert repo.tip() == before
    assert len(history) == 4
    commits = repo.git("log", "--format=%H", "main", "--", repo.path_of(task_id)).split()
    assert [entry["commit"] for entry in history] == commits  # git's order: newest first
    assert [entry["status"] for entry in history] == ["completed", "working", "working", "todo"]
    assert [entry["actor"] for entry in history] == ["agent:bot"] * 3 + ["person:ada@example.com"]
    assert history[0]["author"]["name"] == "bot"
    assert limited == history[:2]


async def test_list_tasks_filters(repo):
    a = repo.add("Alpha deploy", labels=["deploy"])
    b = repo.add("Beta", labels=["deploy", "urgent"], description="needle in here")
    c = repo.add("Gamma")
    repo.tack("start", c)
    repo.add("Elsewhere", board="ops", labels=["deploy"])  # bot cannot see ops
    before = repo.tip()
    async with mcp_session(repo) as (session, _):

        async def ids(**arguments):
            tasks = structured(await session.call_tool("list_tasks", arguments))["tasks"]
            return [t["taskId"] for t in tasks]

        assert await ids() == [a, b, c]
        assert await ids(board="main") == [a, b, c]
        assert await ids(label=["deploy"]) == [a, b]
        assert await ids(label=["deploy", "urgent"]) == [b]
        assert await ids(status=["working"]) == [c]
        assert await ids(status=["todo", "working"]) == [a, b, c]
        assert await ids(text="NEEDLE") == [b]
        assert await ids(assignee="") == [a, b]  # `tack start` assigned c to its starter
        assert await ids(assignee="ada@example.com") == [c]
        assert await ids(assignee="nobody") == []
    assert repo.tip() == before


async def test_list_tasks_pagination(repo):
    created = [repo.add(f"Task {i}") for i in range(7)]
    async with mcp_session(repo) as (session, _):
        seen, cursor, pages = [], None, 0
        while True:
            arguments = {"limit": 3}
            if cursor is not None:
                arguments["cursor"] = cursor
            page = structured(await session.call_tool("list_tasks", arguments))
            pages += 1
            assert len(page["tasks"]) <= 3
            seen += [t["taskId"] for t in page["tasks"]]
            cursor = page.get("nextCursor")
            if cursor is None:
                break
            assert isinstance(cursor, str)
            if pages == 1:
                cursor_of_page_1 = cursor
        assert pages == 3
        assert seen == created

        everything = structured(await session.call_tool("list_tasks", {"limit": 500}))
        assert [t["taskId"] for t in everything["tasks"]] == created
        assert "nextCursor" not in everything

        for bad in ("not-a-cursor", "3", cursor_of_page_1[:-2] + "00"):
            text = agent_readable(refusal(await session.call_tool("list_tasks", {"cursor": bad})))
            assert "cursor" in text and "nextCursor" in text, text
        # A cursor belongs to its query: other filters refuse it.
        refusal(await session.call_tool("list_tasks", {"cursor": cursor_of_page_1, "status": ["todo"]}))
        # tools/list and resources/list refuse cursors they did not give.
        for method in (session.list_tools, session.list_resources):
            with pytest.raises(McpError) as caught:
                await method(cursor="garbage")
            assert caught.value.error.code == -32602


async def test_a_cursor_is_a_position_so_claiming_page_one_skips_nothing(repo):
    created = [repo.add(f"Task {i}") for i in range(25)]
    async with mcp_session(repo) as (session, _):
        first = structured(await session.call_tool("list_tasks", {"status": ["todo"], "limit": 10}))
        for task in first["tasks"]:
            structured(await session.call_tool("claim_task", {"taskId": task["taskId"]}))
        second = structured(
            await session.call_tool("list_tasks", {"status": ["todo"], "limit": 10, "cursor": first["nextCursor"]})
        )
        # With an offset, page 2 would start at task 20 and tasks 10-19 would never be seen.
        assert [t["taskId"] for t in second["tasks"]] == created[10:20]


async def test_brief_lists_are_small(repo):
    created = [repo.add(f"Task {i}", description="Words " * 40) for i in range(20)]
    async with mcp_session(repo) as (session, _):
        full = await session.call_tool("list_tasks", {"limit": 20})
        brief = await session.call_tool("list_tasks", {"limit": 20, "brief": True})
        tasks = structured(brief)["tasks"]
        assert [t["taskId"] for t in tasks] == created
        assert set(tasks[0]) == {"taskId", "board", "title", "status", "labels", "assignee", "updatedAt"}
        assert len(brief.content[0].text) * 3 < len(full.content[0].text)


# MARK: resources


async def test_resources(repo):
    task_id = repo.add("As a resource", labels=["x"])
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        listed = await session.list_resources()
        uris = [str(r.uri) for r in listed.resources]
        assert "tack://board/main" in uris
        assert "tack://board/ops" not in uris  # not granted

        templates = await session.list_resource_templates()
        assert {t.uriTemplate for t in templates.resourceTemplates} >= {"tack://task/{taskId}"}

        board = await session.read_resource(AnyUrl("tack://board/main"))
        assert len(board.contents) == 1
        assert board.contents[0].mimeType == "application/json"
        data = json.loads(board.contents[0].text)
        assert data["name"] == "main"
        assert task_id in json.dumps(data)

        task = await session.read_resource(AnyUrl(f"tack://task/{task_id}"))
        assert json.loads(task.contents[0].text) == repo.stored(task_id)
        by_short = await session.read_resource(AnyUrl(f"tack://task/{short(task_id)}"))
        assert json.loads(by_short.contents[0].text)["taskId"] == task_id

        for uri in (
            "tack://nothing/here",
            f"tack://task/{MISSING_ID}",
            "tack://board/nosuchboard",
            "tack://board/ops",  # exists, but not for bot
            "file:///etc/passwd",
        ):
            with pytest.raises(McpError) as caught:
                await session.read_resource(AnyUrl(uri))
            assert caught.value.error.code == -32002, uri
    assert repo.tip() == before


# MARK: the error model: tool results with isError for every failure of a call the server
# understood; JSON-RPC errors only for an unknown tool or a malformed request

BAD_CALLS = [
    pytest.param("get_task", {"taskId": MISSING_ID}, "task", id="unknown-task-id"),
    pytest.param("get_task", {"taskId": "zzzz"}, "zzzz", id="unknown-short-id"),
    pytest.param("get_task", {"taskId": "../../etc/passwd"}, None, id="path-in-id"),
    pytest.param("get_task", {}, "taskId", id="missing-argument"),
    pytest.param("get_task", {"taskId": 42}, "taskId", id="ill-typed-argument"),
    pytest.param("get_task", {"taskId": "{ID}", "verbose": True}, "verbose", id="unknown-argument"),
    pytest.param("create_task", {"title": 5}, "title", id="create-ill-typed-title"),
    pytest.param("create_task", {"title": "x", "labels": "deploy"}, "labels", id="create-labels-not-array"),
    pytest.param("create_task", {"title": "x", "board": "nosuchboard"}, None, id="create-unknown-board"),
    pytest.param("create_task", {"title": "x", "board": "ops"}, None, id="create-hidden-board"),
    pytest.param("list_tasks", {"limit": 0}, "limit", id="limit-out-of-range"),
    pytest.param("list_tasks", {"limit": "5"}, "limit", id="limit-a-string"),
    pytest.param("list_tasks", {"board": "ops"}, None, id="list-hidden-board"),
    pytest.param("transition_task", {"taskId": "{ID}"}, "status", id="transition-missing-status"),
    pytest.param("transition_task", {"taskId": "{ID}", "status": "nonsense"}, None, id="unknown-status"),
    pytest.param("add_note", {"taskId": MISSING_ID, "text": "x"}, None, id="note-unknown-task"),
    pytest.param("claim_task", {"taskId": "{ID}", "leaseSeconds": -1}, "leaseSeconds", id="lease-negative"),
    pytest.param("request_input", {"taskId": "{ID}", "inputRequests": []}, "inputRequests", id="requests-not-object"),
    pytest.param(
        "request_input",
        {"taskId": "{ID}", "inputRequests": {"k": {"type": "poll", "message": "?"}}},
        "type",
        id="request-unknown-type",
    ),
    pytest.param("answer_input", {"taskId": "{ID}"}, "inputResponses", id="answer-missing-responses"),
    pytest.param("task_history", {"taskId": "{ID}", "limit": 1.5}, "limit", id="history-limit-fraction"),
]


# What an agent cannot run: a shell command or a command-line flag.
CLI_HINTS = ("tack ", "'tack", "--", "KEY=VALUE")


def agent_readable(text: str) -> str:
    assert not any(hint in text for hint in CLI_HINTS), text
    return text


@pytest.mark.parametrize("tool, arguments, mentions", BAD_CALLS)
async def test_bad_calls_are_tool_errors_the_model_reads(repo, tool, arguments, mentions):
    task_id = repo.add("Target")
    arguments = {k: (task_id if v == "{ID}" else v) for k, v in arguments.items()}
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        text = agent_readable(refusal(await session.call_tool(tool, arguments)))
        if mentions:
            assert mentions in text, text
        # The session goes on after an error.
        assert structured(await session.call_tool("get_task", {"taskId": task_id}))["task"]["taskId"] == task_id
    assert repo.tip() == before


async def test_unknown_tool_is_a_protocol_error(repo):
    async with mcp_session(repo) as (session, _):
        with pytest.raises(McpError) as caught:
            await session.call_tool("no_such_tool", {})
        assert caught.value.error.code == -32602
        assert "no_such_tool" in caught.value.error.message and "tools/list" in caught.value.error.message


async def test_illegal_transition_is_refused_and_commits_nothing(repo):
    task_id = repo.add("Still todo")
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        text = refusal(await session.call_tool("transition_task", {"taskId": task_id, "status": "input_required"}))
        assert "todo" in text and "input_required" in text, text
        text = refusal(await session.call_tool("request_input", {"taskId": task_id, "inputRequests": APPROVAL}))
        assert "input_required" in text, text
        # Nothing pending to answer.
        refusal(await session.call_tool("answer_input", {"taskId": task_id, "inputResponses": {"approve": True}}))
    assert repo.tip() == before
    assert repo.stored(task_id)["status"] == "todo"


async def test_terminal_task_is_refused_and_commits_nothing(repo):
    task_id = repo.add("Finished")
    repo.tack("done", task_id)
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        for status in ("working", "todo", "failed"):
            text = refusal(await session.call_tool("transition_task", {"taskId": task_id, "status": status}))
            assert "completed" in text, text
        refusal(await session.call_tool("claim_task", {"taskId": task_id}))
        refusal(await session.call_tool("request_input", {"taskId": task_id, "inputRequests": APPROVAL}))
        assert repo.tip() == before
        # Notes are still welcome on terminal tasks.
        structured(await session.call_tool("add_note", {"taskId": task_id, "text": "post-mortem"}))
    assert repo.git("rev-parse", "main~1").strip() == before
    assert repo.stored(task_id)["status"] == "completed"


async def test_another_agents_lease_is_refused_and_commits_nothing(repo):
    repo.agent("other", ("main", (), "read,claim,transition"))
    task_id = repo.add("Contended")
    repo.tack("claim", task_id, "--as", "other")
    assert repo.stored(task_id)["assignee"] == "other"
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        text = refusal(await session.call_tool("claim_task", {"taskId": task_id}))
        assert "other" in text, text
        text = refusal(await session.call_tool("release_task", {"taskId": task_id}))
        assert "other" in text, text
    assert repo.tip() == before
    assert repo.stored(task_id)["assignee"] == "other"


async def test_bad_requests_and_answers_commit_nothing(repo):
    task_id = repo.add("Pending")
    repo.tack("start", task_id)
    repo.tack("ask", task_id, "approve", "Ship?", "--approval")
    other = repo.add("Working")
    repo.tack("start", other)
    before = repo.tip()
    async with mcp_session(repo) as (session, _):
        for responses in ({"approve": 5}, {"approve": "yes"}, {"approve": None}, {"nope": True}, {}):
            agent_readable(
                refusal(await session.call_tool("answer_input", {"taskId": task_id, "inputResponses": responses}))
            )
        refusal(await session.call_tool("request_input", {"taskId": other, "inputRequests": {}}))
        refusal(
            await session.call_tool(
                "request_input", {"taskId": other, "inputRequests": {"k": {"type": "text", "message": ""}}}
            )
        )
        for requests in (
            {"k": {"type": "confirmation", "message": "?", "onConfirm": "nope"}},
            {"k": {"type": "text", "message": "?", "extra": 1}},
            {"K K": {"type": "text", "message": "?"}},
            {"k": 5},
        ):
            agent_readable(
                refusal(await session.call_tool("request_input", {"taskId": other, "inputRequests": requests}))
            )
    assert repo.tip() == before
    assert repo.stored(task_id)["status"] == "input_required"
    assert repo.stored(other)["status"] == "working"


# MARK: the tool list fitted to the agent, annotations, limits

READ_TOOLS = {"list_boards", "list_tasks", "get_task", "task_history"}


async def test_the_tool_list_follows_the_grants_and_read_only(repo):
    repo.agent("reader", ("main", (), "read"))
    repo.agent("noter", ("main", (), "read,comment"))
    task_id = repo.add("Read me")
    before = repo.tip()
    async with mcp_session(repo, "reader") as (session, _):
        assert {t.name for t in (await session.list_tools()).tools} == READ_TOOLS
        # A tool left out still answers, with the rule that refuses it.
        text = agent_readable(refusal(await session.call_tool("add_note", {"taskId": task_id, "text": "x"})))
        assert "comment" in text, text
    async with mcp_session(repo, "noter") as (session, _):
        assert {t.name for t in (await session.list_tools()).tools} == READ_TOOLS | {"add_note"}
    async with mcp_session(repo, "bot", "--read-only") as (session, _):
        assert {t.name for t in (await session.list_tools()).tools} == READ_TOOLS
        text = refusal(await session.call_tool("create_task", {"title": "x"}))
        assert "read-only" in text, text
        structured(await session.call_tool("get_task", {"taskId": task_id}))
    assert repo.tip() == before


async def test_annotations_and_limits_in_the_schemas(repo):
    async with mcp_session(repo) as (session, _):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        for name in ("update_task", "transition_task", "answer_input"):
            assert tools[name].annotations.destructiveHint is True, name
        for name in ("create_task", "add_note", "claim_task"):
            assert tools[name].annotations.destructiveHint is False, name
        assert tools["update_task"].annotations.idempotentHint is True
        schema = tools["create_task"].inputSchema["properties"]
        assert schema["title"]["maxLength"] == 300 and schema["labels"]["maxItems"] == 32
        assert tools["list_tasks"].inputSchema["properties"]["text"]["maxLength"] == 256
        assert tools["add_note"].inputSchema["properties"]["text"]["maxLength"] == 65536


async def test_a_huge_search_needle_is_refused_at_once(repo):
    for i in range(30):
        repo.add(f"Task {i}", description="words " * 100)
    async with mcp_session(repo) as (session, _):
        started = time.monotonic()
        text = agent_readable(refusal(await session.call_tool("list_tasks", {"text": "x" * 256 * 1024})))
        assert "256" in text, text
        assert time.monotonic() - started < 2
        # The next request is not held up.
        structured(await session.call_tool("list_tasks", {"text": "x" * 256}))


# MARK: planning: priority, due dates, dependencies, the ready queue, next_task


async def test_planning_fields_and_the_ready_queue(repo):
    async with mcp_session(repo) as (session, _):
        schema = structured(await session.call_tool("create_task", {"title": "Design schema", "priority": 1}))["task"]
        migration = structured(
            await session.call_tool(
                "create_task", {"title": "Write migration", "blockedBy": [schema["taskId"]], "due": "2026-12-24"}
            )
        )["task"]
        assert migration["links"] == [{"rel": "blocked-by", "taskId": schema["taskId"]}]
        assert migration["due"] == "2026-12-24" and "priority" not in migration
        bug = structured(await session.call_tool("create_task", {"title": "Urgent bug", "priority": 0}))["task"]

        ready = structured(await session.call_tool("list_tasks", {"ready": True}))["tasks"]
        assert [t["taskId"] for t in ready] == [bug["taskId"], schema["taskId"]]
        brief = structured(await session.call_tool("list_tasks", {"ready": True, "brief": True, "limit": 1}))
        assert [t["taskId"] for t in brief["tasks"]] == [bug["taskId"]] and "nextCursor" not in brief

        # Filters on priority and due date, with and without ready.
        urgent = structured(await session.call_tool("list_tasks", {"priority": 1}))["tasks"]
        assert {t["taskId"] for t in urgent} == {bug["taskId"], schema["taskId"]}
        due = structured(await session.call_tool("list_tasks", {"dueBefore": "2027-01-01"}))["tasks"]
        assert [t["taskId"] for t in due] == [migration["taskId"]]
        assert structured(await session.call_tool("list_tasks", {"dueBefore": "2026-12-24"}))["tasks"] == []
        top = structured(await session.call_tool("list_tasks", {"ready": True, "priority": 0}))["tasks"]
        assert [t["taskId"] for t in top] == [bug["taskId"]]
        assert "dueBefore" in refusal(await session.call_tool("list_tasks", {"dueBefore": "soon"}))

        # Bad planning input is the model's to correct: isError, nothing written.
        before = repo.tip()
        for name, arguments, word in (
            ("create_task", {"title": "x", "priority": 7}, "priority"),
            ("create_task", {"title": "x", "due": "2026-02-31"}, "due"),
            ("create_task", {"title": "x", "blockedBy": [MISSING_ID]}, "no task"),
            ("update_task", {"taskId": schema["taskId"], "blockedBy": [migration["taskId"]]}, "cycle"),
            ("list_tasks", {"ready": True, "status": ["todo"]}, "ready"),
            ("list_tasks", {"ready": True, "cursor": "x"}, "cursor"),
        ):
            text = refusal(await session.call_tool(name, arguments))
            assert word in text, (name, arguments, text)
        assert repo.tip() == before

        # update_task: blockedBy is the whole set; "" clears the due date.
        updated = structured(
            await session.call_tool("update_task", {"taskId": migration["taskId"], "blockedBy": [], "due": "", "priority": 3})
        )["task"]
        assert updated["links"] == [] and "due" not in updated and updated["priority"] == 3

        # next_task claims the most urgent ready task, then the next; null when none is left.
        claimed = [structured(await session.call_tool("next_task", {"leaseSeconds": 60}))["task"] for _ in range(3)]
        assert [t["taskId"] for t in claimed] == [bug["taskId"], schema["taskId"], migration["taskId"]]
        assert all(t["status"] == "working" and t["lease"]["holder"] for t in claimed)
        assert structured(await session.call_tool("next_task", {}))["task"] is None
        assert repo.stored(bug["taskId"])["status"] == "working"


async def test_next_task_is_scoped_and_needs_claim(repo):
    repo.agent("reader", ("main", (), "read"))
    repo.agent("deployer", ("ops", ("deploy",), "read,claim"))
    mine = repo.add("Deploy v2", board="ops", labels=("deploy",))
    repo.add("Rotate keys", board="ops", labels=("secret",))
    repo.add("Main work")
    async with mcp_session(repo, "reader") as (session, _):
        assert "next_task" not in {t.name for t in (await session.list_tools()).tools}
        assert "claim" in refusal(await session.call_tool("next_task", {}))
    async with mcp_session(repo, "deployer") as (session, _):
        got = structured(await session.call_tool("next_task", {"board": "ops"}))["task"]
        assert got["taskId"] == mine
        assert structured(await session.call_tool("next_task", {"board": "ops"}))["task"] is None
