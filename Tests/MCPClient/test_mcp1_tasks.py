"""MCP tasks (the 2025-11-25 utility) through the official SDK's 1.x client
(`session.experimental`): every task handle is a board task in git. A person answers with
`tack answer` in another process, the handle survives a server restart, `tasks/cancel` is a
commit, the client's elicitation answers a waiting `tasks/result`, and a principal sees only
the handles in its scope."""

from __future__ import annotations

import contextlib
import json
import signal
import time
from datetime import timedelta

import anyio
import pytest

from conftest import MCP_MAJOR, MISSING_ID, TACK, mcp_session, refusal, server_args, structured
from test_raw_frames import RawServer, initialize

if MCP_MAJOR >= 2:
    pytest.skip("the 1.x client API (ClientSession over stdio streams)", allow_module_level=True)

from mcp import ClientSession, types  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402
from mcp.shared.exceptions import McpError  # noqa: E402

pytestmark = [
    pytest.mark.anyio,
    # mcp 1.x marks its task API experimental and deprecated; it is what speaks 2025-11-25 tasks.
    pytest.mark.filterwarnings("ignore:The experimental tasks API:DeprecationWarning"),
]

METHOD_NOT_FOUND, INVALID_PARAMS = -32601, -32602
RELATED_TASK = "io.modelcontextprotocol/related-task"
ALL_GRANTS = "read,create,edit,transition,comment,claim,answer"


# MARK: helpers


@contextlib.asynccontextmanager
async def task_session(repo, principal: str = "bot", *extra: str, elicitation_callback=None):
    """Like conftest's mcp_session, and collects the `notifications/tasks/status` the server
    sends; yields (session, statuses). With `elicitation_callback` the client declares the
    elicitation capability (the SDK does when a callback is given)."""
    statuses: list[types.TaskStatusNotificationParams] = []

    async def on_message(message):
        if isinstance(message, types.ServerNotification) and isinstance(
            message.root, types.TaskStatusNotification
        ):
            statuses.append(message.root.params)

    params = StdioServerParameters(
        command=TACK, args=server_args(repo, principal, *extra), env=dict(repo.env)
    )
    with open(repo.base / f"mcp-{principal}.stderr", "a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(
                read,
                write,
                read_timeout_seconds=timedelta(seconds=20),
                message_handler=on_message,
                elicitation_callback=elicitation_callback,
            ) as session:
                await session.initialize()
                yield session, statuses


async def until(check, timeout: float = 5.0, what: str = "the condition"):
    """Waits (without blocking the client) until check() is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await anyio.sleep(0.05)


async def poll_until(session, task_id: str, status: str, timeout: float = 5.0) -> types.GetTaskResult:
    """Polls tasks/get until the task has this protocol status."""
    deadline = time.monotonic() + timeout
    while True:
        got = await session.experimental.get_task(task_id)
        assert got.taskId == task_id
        if got.status == status:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"task {task_id} is still {got.status}, not {status}, after {timeout} s")
        await anyio.sleep(0.1)


def notified(statuses, task_id: str) -> list[str]:
    return [s.status for s in statuses if s.taskId == task_id]


def history(repo, task_id: str) -> list[tuple[str, list[str]]]:
    """(author name, message lines) of the commits that touched the task, newest first."""
    out = repo.git("log", "--format=%an%x1f%B%x1e", "main", "--", repo.path_of(task_id))
    entries = []
    for record in out.split("\x1e"):
        record = record.strip("\n")
        if record:
            author, _, body = record.partition("\x1f")
            entries.append((author, body.splitlines()))
    return entries


def shape(message: str, task_id: str) -> str:
    return message.replace(task_id, "<ID>")


async def create_approval(session, **arguments) -> types.Task:
    created = await session.experimental.call_tool_as_task("request_approval", arguments)
    assert isinstance(created, types.CreateTaskResult)
    task = created.task
    assert task.taskId.startswith("task_")
    # Tasks begin in working (2025-11-25); a status notification then reports input_required.
    assert task.status == "working", task
    assert task.ttl is None  # board tasks are never discarded
    assert task.pollInterval == 1000
    return task


def assert_result_task(result: types.CallToolResult, task_id: str, status: str) -> dict:
    """A finished task's result: its board task as stored; isError unless it completed."""
    assert isinstance(result, types.CallToolResult)
    assert result.structuredContent is not None, result
    task = result.structuredContent["task"]
    assert task["taskId"] == task_id and task["status"] == status, task
    assert json.loads(result.content[0].text) == result.structuredContent
    assert bool(result.isError) is (status != "completed"), result
    assert result.meta is not None and result.meta[RELATED_TASK] == {"taskId": task_id}, result.meta
    return task


# MARK: tools/list


async def test_tools_declare_their_task_support(repo):
    async with mcp_session(repo) as (session, init):
        assert init.capabilities.tasks is not None
        assert init.capabilities.tasks.list is not None and init.capabilities.tasks.cancel is not None
        assert init.capabilities.tasks.requests.tools.call is not None
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    support = {name: (tool.execution.taskSupport if tool.execution else None) for name, tool in tools.items()}
    assert support.pop("request_approval") == "required"
    assert support.pop("create_task") == "optional"
    assert set(support.values()) == {"forbidden"}, support
    assert set(tools["request_approval"].inputSchema["required"]) == {"title"}


# MARK: 1. request_approval answered by a person at the shell


async def test_approval_answered_from_the_shell(repo):
    async with task_session(repo) as (session, statuses):
        before = repo.tip()
        task = await create_approval(session, title="Ship v2", key="approve_release")
        task_id = task.taskId
        assert repo.git("rev-parse", "main~1").strip() == before  # created waiting, in one commit

        got = await session.experimental.get_task(task_id)
        assert got.status == "input_required" and got.taskId == task_id
        assert got.statusMessage and "Ship v2" in got.statusMessage
        stored = repo.stored(task_id)
        assert stored["status"] == "input_required"
        request = stored["inputRequests"]["approve_release"]
        assert request["type"] == "confirmation" and request["message"] == "Ship v2"
        assert (request["onConfirm"], request["onDecline"]) == ("completed", "failed")

        # A person answers from the shell: another process, the repository's git identity.
        repo.tack("answer", task_id, "approve_release=yes")

        await poll_until(session, task_id, "completed")
        await until(lambda: "completed" in notified(statuses, task_id), what="notifications/tasks/status completed")
        result = await session.experimental.get_task_result(task_id, types.CallToolResult)
        await anyio.sleep(0.5)  # any stray notification would arrive now
        assert notified(statuses, task_id) == ["input_required", "completed"]
        note = next(s for s in statuses if s.taskId == task_id)
        assert note.ttl is None and note.pollInterval == 1000

    stored = assert_result_task(result, task_id, "completed")
    assert stored["inputResponses"]["approve_release"] == {"confirmed": True}
    assert stored == repo.stored(task_id)
    commits = history(repo, task_id)
    assert len(commits) == 2, commits
    (answer_author, answer), (create_author, create) = commits
    assert answer_author == "Ada Admin", commits
    assert "Tack-Action: answer" in answer and "Tack-Status: completed" in answer, answer
    assert "Tack-Actor: person:ada@example.com" in answer, answer
    assert create_author == "bot", commits
    assert "Tack-Actor: agent:bot" in create and "Tack-Action: create" in create, create
    assert "Tack-Status: input_required" in create, create


async def test_declined_approval_fails_and_releases_a_waiting_result(repo):
    async with task_session(repo) as (session, statuses):
        task_id = (await create_approval(session, title="Ship v3", key="approve_release")).taskId
        results = []

        async def wait_for_result():
            results.append(await session.experimental.get_task_result(task_id, types.CallToolResult))

        async with anyio.create_task_group() as group:
            group.start_soon(wait_for_result)
            await anyio.sleep(0.3)  # tasks/result is parked on the unfinished task
            assert results == []
            repo.tack("answer", task_id, "approve_release=no")
        got = await poll_until(session, task_id, "failed")
        assert got.status == "failed"
        await until(lambda: "failed" in notified(statuses, task_id), what="notifications/tasks/status failed")
        again = await session.experimental.get_task_result(task_id, types.CallToolResult)

    stored = assert_result_task(results[0], task_id, "failed")
    assert results[0].isError is True
    assert stored["inputResponses"]["approve_release"] == {"confirmed": False}
    assert again.structuredContent == results[0].structuredContent
    assert repo.stored(task_id)["status"] == "failed"
    (author, body), _ = history(repo, task_id)
    assert author == "Ada Admin" and "Tack-Status: failed" in body, body


# MARK: 2. a handle outlives its server


@pytest.mark.parametrize("stop", ["close", "kill"])
async def test_a_handle_survives_a_server_restart(repo, stop):
    if stop == "close":
        async with task_session(repo) as (session, _):
            task_id = (await create_approval(session, title="Ship v2", key="approve_release")).taskId
    else:
        # A raw server killed outright: no clean shutdown, nothing kept but git.
        srv = RawServer(repo)
        try:
            srv.request("initialize", initialize())
            reply = srv.request(
                "tools/call",
                {
                    "name": "request_approval",
                    "arguments": {"title": "Ship v2", "key": "approve_release"},
                    "task": {"ttl": 60000},
                },
            )
            task_id = reply["result"]["task"]["taskId"]
        finally:
            srv.proc.send_signal(signal.SIGKILL)
            assert srv.finish() == -signal.SIGKILL
    assert repo.stored(task_id)["status"] == "input_required"

    # No server runs: a person answers.
    repo.tack("answer", task_id, "approve_release=yes")

    async with task_session(repo) as (session, _):
        got = await session.experimental.get_task(task_id)
        assert got.taskId == task_id and got.status == "completed"
        result = await session.experimental.get_task_result(task_id, types.CallToolResult)
        listed = await session.experimental.list_tasks()
    stored = assert_result_task(result, task_id, "completed")
    assert stored["inputResponses"]["approve_release"] == {"confirmed": True}
    assert [t.status for t in listed.tasks if t.taskId == task_id] == ["completed"]


# MARK: 3. tasks/cancel


async def test_cancel_a_working_task(repo):
    async with task_session(repo) as (session, statuses):
        created = await session.experimental.call_tool_as_task("create_task", {"title": "Cancel me"})
        task_id = created.task.taskId
        assert created.task.status == "working"  # todo maps to working
        assert repo.stored(task_id)["status"] == "todo"

        before = repo.tip()
        cancelled = await session.experimental.cancel_task(task_id)
        assert cancelled.taskId == task_id and cancelled.status == "cancelled"
        assert repo.git("rev-parse", "main~1").strip() == before
        author, body = repo.last_commit()
        assert author == "bot" and "Tack-Status: cancelled" in body.splitlines(), body
        assert "Tack-Actor: agent:bot" in body.splitlines(), body
        stored = repo.stored(task_id)
        assert stored["status"] == "cancelled"
        assert "Cancelled over MCP." in json.dumps(stored["notes"])
        assert json.loads(repo.tack("show", "--json", task_id).stdout)["status"] == "cancelled"
        await until(lambda: "cancelled" in notified(statuses, task_id), what="notifications/tasks/status cancelled")

        # A claimed task (board status working) is cancelled the same way.
        claimed = repo.add("Claimed")
        structured(await session.call_tool("claim_task", {"taskId": claimed}))
        assert (await session.experimental.get_task(claimed)).status == "working"
        assert (await session.experimental.cancel_task(claimed)).status == "cancelled"
        assert repo.stored(claimed)["status"] == "cancelled"

        done = repo.add("Done already")
        repo.tack("done", done)

        # Terminal is terminal: a second cancel, a cancel of a completed task, a missing id.
        before = repo.tip()
        errors = {}
        for name, target in (("again", task_id), ("claimed", claimed), ("completed", done), ("missing", MISSING_ID)):
            with pytest.raises(McpError) as caught:
                await session.experimental.cancel_task(target)
            errors[name] = caught.value.error
            assert caught.value.error.code == INVALID_PARAMS, (name, caught.value.error)
        assert "cancelled" in errors["again"].message and "completed" in errors["completed"].message
        assert repo.tip() == before

        refusal(await session.call_tool("transition_task", {"taskId": task_id, "status": "working"}))
        refusal(await session.call_tool("claim_task", {"taskId": task_id}))
        assert repo.tack("start", task_id, check=False).returncode != 0
        assert repo.tip() == before
        assert (await session.experimental.get_task(task_id)).status == "cancelled"
        assert (await session.experimental.get_task(done)).status == "completed"
        result = await session.experimental.get_task_result(task_id, types.CallToolResult)
        assert_result_task(result, task_id, "cancelled")
        assert notified(statuses, task_id) == ["cancelled"]
    assert repo.stored(task_id)["status"] == "cancelled"
    assert repo.stored(done)["status"] == "completed"


async def test_cancel_from_the_shell_releases_a_waiting_result(repo):
    async with task_session(repo) as (session, statuses):
        task_id = (await create_approval(session, title="Never mind")).taskId
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                results = []

                async def wait_for_result():
                    results.append(await session.experimental.get_task_result(task_id, types.CallToolResult))

                group.start_soon(wait_for_result)
                await anyio.sleep(0.3)
                repo.tack("cancel", task_id)
        assert_result_task(results[0], task_id, "cancelled")
        await until(lambda: "cancelled" in notified(statuses, task_id), what="notifications/tasks/status cancelled")
        with pytest.raises(McpError) as caught:
            await session.experimental.cancel_task(task_id)
        assert caught.value.error.code == INVALID_PARAMS


# MARK: 4. elicitation while tasks/result waits


async def test_elicitation_answers_a_waiting_result(repo):
    asked: list[types.ElicitRequestParams] = []

    async def elicit(context, params):
        asked.append(params)
        return types.ElicitResult(action="accept", content={"approve": True})

    async with task_session(repo, elicitation_callback=elicit) as (session, statuses):
        task_id = (await create_approval(session, title="Deploy", message="Deploy to production?")).taskId
        await session.experimental.get_task(task_id)
        await anyio.sleep(0.3)
        assert asked == [], "nothing is asked before tasks/result waits"
        before = repo.tip()
        with anyio.fail_after(10):
            result = await session.experimental.get_task_result(task_id, types.CallToolResult)
        await until(lambda: "completed" in notified(statuses, task_id), what="notifications/tasks/status completed")
        assert (await session.experimental.get_task(task_id)).status == "completed"

    assert len(asked) == 1, asked
    params = asked[0]
    assert isinstance(params, types.ElicitRequestFormParams)
    assert "Deploy to production?" in params.message
    schema = params.requestedSchema
    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"approve"}
    assert schema["properties"]["approve"]["type"] == "boolean"
    assert schema["required"] == ["approve"]
    meta = params.meta.model_dump(by_alias=True) if params.meta else {}
    assert meta.get(RELATED_TASK) == {"taskId": task_id}, meta

    stored = assert_result_task(result, task_id, "completed")
    assert stored["inputResponses"]["approve"] == {"confirmed": True}
    assert stored == repo.stored(task_id)
    assert repo.git("rev-parse", "main~1").strip() == before  # one commit: the answer
    # The host's user answered, not the agent: git tells them apart.
    author, body = repo.last_commit()
    assert author == "Host's user through elicitation on behalf of bot", body
    lines = body.splitlines()
    assert "Tack-Actor: person:host-user@bot" in lines and "Tack-Action: answer" in lines, body
    assert "Tack-On-Behalf-Of: agent:bot" in lines and "Tack-Answered-Through: elicitation" in lines, body


async def test_no_elicitation_when_the_answer_could_not_be_recorded(repo):
    """A principal that may not record answers: its eliciting client is not asked, and
    tasks/result fails at once with a tool error instead of waiting forever."""
    repo.agent("asker", ("main", (), "read,create,transition"))
    asked = []

    async def elicit(context, params):
        asked.append(params)
        return types.ElicitResult(action="accept", content={"approve": True})

    async with task_session(repo, "asker", elicitation_callback=elicit) as (session, _):
        task_id = (await create_approval(session, title="Deploy")).taskId
        before = repo.tip()
        with anyio.fail_after(10):
            result = await session.experimental.get_task_result(task_id, types.CallToolResult)
        assert result.isError is True
        text = result.content[0].text
        assert "answer" in text and "tasks/get" in text and "tack " not in text, text
        assert (await session.experimental.get_task(task_id)).status == "input_required"
    assert asked == []
    assert repo.tip() == before
    # A client that does not elicit still waits for a person (the shell answers it).
    async with task_session(repo, "asker") as (session, _):
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                results = []

                async def wait_for_result():
                    results.append(await session.experimental.get_task_result(task_id, types.CallToolResult))

                group.start_soon(wait_for_result)
                await anyio.sleep(0.3)
                repo.tack("answer", task_id, "approve=yes")
        assert results[0].isError is not True


async def test_elicitation_asks_every_pending_key_once(repo):
    """Two questions on one task: one elicitation with a boolean and a string property; a
    declined elicitation records nothing, is not asked again, and a person's answer ends it."""
    asked = []

    async def elicit(context, params):
        asked.append(params)
        return types.ElicitResult(action="decline")

    async with task_session(repo, elicitation_callback=elicit) as (session, _):
        created = await session.experimental.call_tool_as_task("create_task", {"title": "Two questions"})
        task_id = created.task.taskId
        structured(await session.call_tool("transition_task", {"taskId": task_id, "status": "working"}))
        structured(
            await session.call_tool(
                "request_input",
                {
                    "taskId": task_id,
                    "inputRequests": {
                        "approve": {"type": "confirmation", "message": "Ship?", "onConfirm": "completed", "onDecline": "failed"},
                        "where": {"type": "text", "message": "Where to?"},
                    },
                },
            )
        )
        results = []

        async def wait_for_result():
            results.append(await session.experimental.get_task_result(task_id, types.CallToolResult))

        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(wait_for_result)
                await until(lambda: asked, what="an elicitation/create")
                before = repo.tip()
                await anyio.sleep(0.6)  # a few watch rounds: no second question, no commit
                assert len(asked) == 1 and repo.tip() == before
                assert (await session.experimental.get_task(task_id)).status == "input_required"
                repo.tack("answer", task_id, "where=staging", "approve=yes")
        assert len(asked) == 1

    schema = asked[0].requestedSchema
    assert {name: prop["type"] for name, prop in schema["properties"].items()} == {
        "approve": "boolean",
        "where": "string",
    }
    assert sorted(schema["required"]) == ["approve", "where"]
    stored = assert_result_task(results[0], task_id, "completed")
    assert stored["inputResponses"] == {"approve": {"confirmed": True}, "where": {"text": "staging"}}
    author, _ = repo.last_commit()
    assert author == "Ada Admin"


# MARK: 5. scope


@pytest.fixture
def two_boards(repo):
    """Boards alpha and beta; agent a is granted alpha only, b beta only."""
    repo.tack("board", "add", "alpha")
    repo.tack("board", "add", "beta")
    repo.agent("a", ("alpha", (), ALL_GRANTS))
    repo.agent("b", ("beta", (), ALL_GRANTS))
    return repo


async def test_a_task_out_of_scope_is_no_handle_at_all(two_boards):
    repo = two_boards
    async with task_session(repo, "b") as (session_b, _):
        theirs = (await create_approval(session_b, title="B's approval", board="beta")).taskId
    assert repo.stored(theirs)["board"] == "beta"

    async with task_session(repo, "a", "--board", "alpha") as (session, _):
        mine = (await create_approval(session, title="A's approval")).taskId
        assert repo.stored(mine)["board"] == "alpha"
        before = repo.tip()

        async def failure(call, task_id):
            with pytest.raises(McpError) as caught:
                await call(task_id)
            return caught.value.error

        calls = {
            "tasks/get": session.experimental.get_task,
            "tasks/result": lambda t: session.experimental.get_task_result(t, types.CallToolResult),
            "tasks/cancel": session.experimental.cancel_task,
        }
        for method, call in calls.items():
            missing = await failure(call, MISSING_ID)
            hidden = await failure(call, theirs)
            assert missing.code == hidden.code == INVALID_PARAMS, (method, missing, hidden)
            assert shape(hidden.message, theirs) == shape(missing.message, MISSING_ID), method
            assert hidden.data == missing.data, method

        listed = await session.experimental.list_tasks()
        ids = [t.taskId for t in listed.tasks]
        assert mine in ids and theirs not in ids

        # Nor can a answer it (tasks/update: test_tasks_extension_raw.py).
        text = refusal(
            await session.call_tool("answer_input", {"taskId": theirs, "inputResponses": {"approve": True}})
        )
        assert text == refusal(
            await session.call_tool("answer_input", {"taskId": MISSING_ID, "inputResponses": {"approve": True}})
        ).replace(MISSING_ID, theirs)
        assert repo.tip() == before

    assert repo.stored(theirs)["status"] == "input_required"
    async with task_session(repo, "b") as (session_b, _):
        assert (await session_b.experimental.get_task(theirs)).status == "input_required"
        ids = [t.taskId for t in (await session_b.experimental.list_tasks()).tasks]
        assert ids == [theirs]


# MARK: 7. tasks/list, and what does not run as a task


async def test_tasks_list_pages_through_the_scope(repo):
    created = [repo.add(f"Task {i:02}") for i in range(57)]
    hidden = [repo.add("Elsewhere", board="ops") for _ in range(2)]  # bot cannot see ops
    before = repo.tip()
    async with task_session(repo) as (session, _):
        seen, cursor, pages = [], None, []
        while True:
            page = await session.experimental.list_tasks(cursor)
            pages.append(len(page.tasks))
            seen += [t.taskId for t in page.tasks]
            for task in page.tasks:
                assert task.status == "working" and task.ttl is None, task
            cursor = page.nextCursor
            if cursor is None:
                break
            assert isinstance(cursor, str)
            last_cursor = cursor
            assert len(pages) < 5, "tasks/list does not end"
        assert pages == [50, 7]
        assert seen == created
        assert not set(hidden) & set(seen)

        # A task-made board task is listed too, in its protocol status.
        made = (await create_approval(session, title="Listed")).taskId
        page = await session.experimental.list_tasks(last_cursor)
        assert [t.taskId for t in page.tasks] == created[50:] + [made]
        assert page.tasks[-1].status == "input_required"

        for bad in ("not-a-cursor", "-1", "50", last_cursor[:-2] + "00"):
            with pytest.raises(McpError) as caught:
                await session.experimental.list_tasks(bad)
            assert caught.value.error.code == INVALID_PARAMS, bad
    assert repo.git("rev-parse", "main~1").strip() == before


FORBIDDEN_AS_TASK = [
    ("list_boards", lambda t: {}),
    ("list_tasks", lambda t: {}),
    ("get_task", lambda t: {"taskId": t}),
    ("update_task", lambda t: {"taskId": t, "title": "Renamed"}),
    ("transition_task", lambda t: {"taskId": t, "status": "working"}),
    ("add_note", lambda t: {"taskId": t, "text": "n"}),
    ("claim_task", lambda t: {"taskId": t}),
    ("release_task", lambda t: {"taskId": t}),
    ("request_input", lambda t: {"taskId": t, "inputRequests": {"k": {"type": "text", "message": "?"}}}),
    ("answer_input", lambda t: {"taskId": t, "inputResponses": {"k": "x"}}),
    ("task_history", lambda t: {"taskId": t}),
    ("next_task", lambda t: {}),
]


async def test_what_does_not_run_as_a_task(repo):
    task_id = repo.add("Target")
    before = repo.tip()
    async with task_session(repo) as (session, _):
        for tool, arguments in FORBIDDEN_AS_TASK:
            with pytest.raises(McpError) as caught:
                await session.experimental.call_tool_as_task(tool, arguments(task_id))
            assert caught.value.error.code == METHOD_NOT_FOUND, (tool, caught.value.error)
        # request_approval runs only as a task.
        with pytest.raises(McpError) as caught:
            await session.call_tool("request_approval", {"title": "Plainly"})
        assert caught.value.error.code == METHOD_NOT_FOUND, caught.value.error
        assert "task" in caught.value.error.message
        # A call that cannot make its board task (bad arguments, an unknown board) still gets
        # the task it asked for: already failed, its result the tool's error, which the model
        # reads like any other. Nothing is written, and the handle is not a board task.
        failures = {}
        for arguments in ({}, {"title": 5}, {"title": "x", "nope": 1}, {"title": "x", "board": "ops"}):
            created = (await session.experimental.call_tool_as_task("request_approval", arguments)).task
            assert created.status == "failed", (arguments, created)
            assert created.ttl and created.ttl > 0 and created.statusMessage, created
            assert (await session.experimental.get_task(created.taskId)).status == "failed"
            result = await session.experimental.get_task_result(created.taskId, types.CallToolResult)
            assert result.isError is True, (arguments, result)
            assert result.content[0].text == created.statusMessage
            assert result.meta["io.modelcontextprotocol/related-task"]["taskId"] == created.taskId
            with pytest.raises(McpError) as caught:
                await session.experimental.cancel_task(created.taskId)
            assert caught.value.error.code == INVALID_PARAMS and "failed" in caught.value.error.message
            failures[json.dumps(arguments)] = result.content[0].text
        assert "title" in failures["{}"] and "nope" in failures['{"title": "x", "nope": 1}']
        assert "ops" in failures['{"title": "x", "board": "ops"}'], failures
        # A malformed task parameter is still a malformed request.
        with pytest.raises(McpError) as caught:
            await session.send_request(
                types.ClientRequest(
                    types.CallToolRequest(
                        params=types.CallToolRequestParams(
                            name="request_approval", arguments={"title": "x"}, task={"ttl": -1}
                        )
                    )
                ),
                types.CreateTaskResult,
            )
        assert caught.value.error.code == INVALID_PARAMS
        # The session goes on.
        assert structured(await session.call_tool("get_task", {"taskId": task_id}))["task"]["status"] == "todo"
    assert repo.tip() == before
