"""MCP tasks frame by frame: the 2026 extension `io.modelcontextprotocol/tasks` (declared per
request in `_meta`, which no SDK speaks yet) and the parked `tasks/result` of the 2025-11-25
utility, against `tack mcp` under subprocess.Popen, checked in git."""

from __future__ import annotations

import json
import time

import pytest

from conftest import MISSING_ID, Repo
from test_raw_frames import RawServer, initialize

METHOD_NOT_FOUND, INVALID_PARAMS, MISSING_CAPABILITY = -32601, -32602, -32021
# The author of an answer the host's user gave (elicitation, tasks/update).
HOST_USER = "Host's user through elicitation on behalf of bot"
EXTENSION = "io.modelcontextprotocol/tasks"
DECLARED = {"io.modelcontextprotocol/clientCapabilities": {"extensions": {EXTENSION: {}}}}
FLAT_TASK_KEYS = {"resultType", "taskId", "status", "statusMessage", "createdAt", "lastUpdatedAt", "ttlMs", "pollIntervalMs"}
ALL_GRANTS = "read,create,edit,transition,comment,claim,answer"


class TaskServer(RawServer):
    """A raw server whose requests declare the tasks extension unless told not to."""

    def call(self, method: str, params: dict, declare: bool = True, meta: dict | None = None) -> dict:
        params = dict(params)
        if declare or meta is not None:
            params["_meta"] = DECLARED if meta is None else meta
        return self.request(method, params)

    def ok(self, method: str, params: dict, **kwargs) -> dict:
        reply = self.call(method, params, **kwargs)
        assert "result" in reply and "error" not in reply, reply
        return reply["result"]

    def fails(self, method: str, params: dict, **kwargs) -> dict:
        reply = self.call(method, params, **kwargs)
        assert "error" in reply and "result" not in reply, reply
        error = reply["error"]
        assert isinstance(error["code"], int) and error["message"], error
        return error

    def approval(self, **arguments) -> dict:
        """request_approval in extension mode: the flat task."""
        created = self.ok("tools/call", {"name": "request_approval", "arguments": {"title": "Ship v2", **arguments}})
        assert set(created) == FLAT_TASK_KEYS, created
        return created


def start(repo: Repo, principal: str = "bot", *extra: str) -> TaskServer:
    srv = TaskServer(repo, *extra, principal=principal)
    try:
        result = srv.request("initialize", initialize())["result"]
        assert EXTENSION in result["capabilities"].get("extensions", {}), result["capabilities"]
        srv.no_reply({"jsonrpc": "2.0", "method": "notifications/initialized"})
    except BaseException:
        srv.finish()
        raise
    return srv


def stop(srv: TaskServer):
    assert srv.finish() == 0, srv.stderr_path.read_text()
    srv.check_stdout()  # replies only: the extension sends no status notifications


@pytest.fixture
def server(repo):
    srv = start(repo)
    yield srv
    stop(srv)


def cancel_changes_nothing(server: TaskServer, repo: Repo, task_id: str):
    """tasks/cancel of a finished task: an ack (the extension's cancellation is cooperative) or
    -32602 (the utility's rule); either way the terminal status stays."""
    status = repo.stored(task_id)["status"]
    reply = server.call("tasks/cancel", {"taskId": task_id})
    assert reply.get("result") == {"resultType": "complete"} or reply["error"]["code"] == INVALID_PARAMS, reply
    assert repo.stored(task_id)["status"] == status


def commits_since(repo: Repo, before: str) -> list[tuple[str, list[str]]]:
    out = repo.git("log", "--format=%an%x1f%B%x1e", f"{before}..main")
    entries = []
    for record in out.split("\x1e"):
        record = record.strip("\n")
        if record:
            author, _, body = record.partition("\x1f")
            entries.append((author, body.splitlines()))
    return entries


# MARK: the approval, round trip


def test_approval_round_trip_in_extension_mode(server, repo):
    before = repo.tip()
    created = server.approval(key="approve", message="Ship version 2?")
    task_id = created["taskId"]
    assert created["resultType"] == "task"
    assert created["status"] == "working"  # every task begins in working
    assert created["ttlMs"] is None and created["pollIntervalMs"] == 1000
    assert created["statusMessage"] == "Ship version 2?"
    assert [author for author, _ in commits_since(repo, before)] == ["bot"]
    assert repo.stored(task_id)["status"] == "input_required"

    got = server.ok("tasks/get", {"taskId": task_id})
    assert got["resultType"] == "complete" and got["taskId"] == task_id
    assert got["status"] == "input_required" and got["ttlMs"] is None
    assert "result" not in got
    assert set(got["inputRequests"]) == {"approve"}
    request = got["inputRequests"]["approve"]
    assert request["method"] == "elicitation/create"
    assert request["params"]["mode"] == "form"
    assert request["params"]["message"] == "Ship version 2?"
    schema = request["params"]["requestedSchema"]
    assert schema["type"] == "object" and schema["required"] == ["confirmed"]
    assert set(schema["properties"]) == {"confirmed"}
    assert schema["properties"]["confirmed"]["type"] == "boolean"

    # What answers nothing: a declined or cancelled elicitation, a key that is not outstanding.
    tip = repo.tip()
    for responses in ({"approve": {"action": "decline"}}, {"approve": {"action": "cancel"}}, {"other": True}, {}):
        assert server.ok("tasks/update", {"taskId": task_id, "inputResponses": responses}) == {"resultType": "complete"}
    assert repo.tip() == tip
    assert server.ok("tasks/get", {"taskId": task_id})["status"] == "input_required"

    reply = server.ok(
        "tasks/update",
        {"taskId": task_id, "inputResponses": {"approve": {"action": "accept", "content": {"confirmed": True}}}},
    )
    assert reply == {"resultType": "complete"}
    [(author, body)] = commits_since(repo, tip)
    # tasks/update carries the host's user's answer: recorded as theirs, on behalf of the agent.
    assert author == HOST_USER and "Tack-Action: answer" in body, body
    assert "Tack-Actor: person:host-user@bot" in body and "Tack-On-Behalf-Of: agent:bot" in body, body
    assert "Tack-Status: completed" in body, body

    got = server.ok("tasks/get", {"taskId": task_id})
    assert got["resultType"] == "complete" and got["status"] == "completed"
    assert "inputRequests" not in got
    result = got["result"]
    assert not result.get("isError"), result
    task = result["structuredContent"]["task"]
    assert task["inputResponses"]["approve"] == {"confirmed": True}
    assert task == repo.stored(task_id)
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]

    # Finished: an update answers nothing (the key is answered), a cancel changes nothing.
    tip = repo.tip()
    assert server.ok("tasks/update", {"taskId": task_id, "inputResponses": {"approve": False}}) == {"resultType": "complete"}
    cancel_changes_nothing(server, repo, task_id)
    assert repo.tip() == tip
    assert repo.stored(task_id)["status"] == "completed"


def test_params_task_is_ignored_in_extension_mode(server, repo):
    """Creation is server-directed: request_approval is a task with or without params.task;
    create_task answers with its plain result even when params.task asks for a task."""
    created = server.ok(
        "tools/call",
        {"name": "request_approval", "arguments": {"title": "With task"}, "task": {"ttl": 1000}},
    )
    assert created["resultType"] == "task" and set(created) == FLAT_TASK_KEYS, created
    plain = server.ok("tools/call", {"name": "create_task", "arguments": {"title": "Plain"}, "task": {"ttl": 1000}})
    assert "resultType" not in plain or plain["resultType"] == "complete", plain
    assert "taskId" not in plain and "task" not in plain, plain
    task = plain["structuredContent"]["task"]
    assert task["title"] == "Plain" and task["status"] == "todo"
    assert repo.stored(task["taskId"]) == task


def test_a_declined_approval_is_completed_with_an_error_result(server, repo):
    task_id = server.approval(key="go")["taskId"]
    assert server.ok("tasks/update", {"taskId": task_id, "inputResponses": {"go": False}}) == {"resultType": "complete"}
    assert repo.stored(task_id)["status"] == "failed"
    author, body = repo.last_commit()
    assert author == HOST_USER and "Tack-Status: failed" in body.splitlines(), body

    got = server.ok("tasks/get", {"taskId": task_id})
    # The extension's `failed` is for JSON-RPC errors: a declined approval completed, with isError.
    assert got["status"] == "completed", got
    assert got["result"]["isError"] is True
    task = got["result"]["structuredContent"]["task"]
    assert task["status"] == "failed" and task["inputResponses"]["go"] == {"confirmed": False}
    # The 2025-11-25 utility reports the same board task as failed.
    assert server.ok("tasks/get", {"taskId": task_id}, declare=False)["status"] == "failed"
    tip = repo.tip()
    cancel_changes_nothing(server, repo, task_id)
    assert repo.tip() == tip and repo.stored(task_id)["status"] == "failed"


def test_cancel_in_extension_mode(server, repo):
    task_id = server.approval()["taskId"]
    before = repo.tip()
    assert server.ok("tasks/cancel", {"taskId": task_id}) == {"resultType": "complete"}
    [(author, body)] = commits_since(repo, before)
    assert author == "bot" and "Tack-Status: cancelled" in body, body
    stored = repo.stored(task_id)
    assert stored["status"] == "cancelled"
    assert "Cancelled over MCP." in json.dumps(stored["notes"])
    assert json.loads(repo.tack("show", "--json", task_id).stdout)["status"] == "cancelled"

    got = server.ok("tasks/get", {"taskId": task_id})
    assert got["status"] == "cancelled" and "inputRequests" not in got, got
    tip = repo.tip()
    cancel_changes_nothing(server, repo, task_id)
    assert repo.tip() == tip and repo.stored(task_id)["status"] == "cancelled"


def test_an_update_to_a_cancelled_approval_is_ignored(server, repo):
    """A cancelled task has no outstanding questions (tasks/get lists no inputRequests), so an
    answer to its old key is one "not currently outstanding": the extension says a server
    SHOULD ignore it, and docs/mcp.md says such keys are ignored — an ack, no commit."""
    task_id = server.approval()["taskId"]
    assert server.ok("tasks/cancel", {"taskId": task_id}) == {"resultType": "complete"}
    got = server.ok("tasks/get", {"taskId": task_id})
    assert got["status"] == "cancelled" and "inputRequests" not in got, got
    tip = repo.tip()
    for responses in ({"approve": True}, {"approve": {"action": "accept", "content": {"confirmed": True}}}):
        reply = server.call("tasks/update", {"taskId": task_id, "inputResponses": responses})
        assert reply.get("result") == {"resultType": "complete"}, (
            "tasks/update with a key the cancelled task no longer asks was refused instead of ignored: "
            + json.dumps(reply)
        )
    assert repo.tip() == tip and repo.stored(task_id)["status"] == "cancelled"


# MARK: what needs the declaration, and what the extension does not have


def test_what_needs_the_declaration(server, repo):
    task_id = server.approval()["taskId"]
    tip = repo.tip()
    for meta in (None, {"io.modelcontextprotocol/clientCapabilities": {"extensions": {}}}):
        kwargs = {"declare": False} if meta is None else {"meta": meta}
        error = server.fails("tasks/update", {"taskId": task_id, "inputResponses": {"approve": True}}, **kwargs)
        assert error["code"] == MISSING_CAPABILITY, error
        assert EXTENSION in error["data"]["requiredCapabilities"]["extensions"], error
    # A client that declares capabilities per request, but not this extension.
    error = server.fails(
        "tools/call",
        {"name": "request_approval", "arguments": {"title": "x"}},
        meta={"io.modelcontextprotocol/clientCapabilities": {}},
    )
    assert error["code"] == MISSING_CAPABILITY, error
    # Not part of the extension.
    for method, params in (("tasks/result", {"taskId": task_id}), ("tasks/list", {})):
        assert server.fails(method, params)["code"] == METHOD_NOT_FOUND, method
    assert repo.tip() == tip
    assert repo.stored(task_id)["status"] == "input_required"


def test_bad_extension_requests_are_invalid_params(server, repo):
    task_id = server.approval()["taskId"]
    tip = repo.tip()
    for method, params in (
        ("tasks/get", {}),
        ("tasks/get", {"taskId": 5}),
        ("tasks/get", {"taskId": MISSING_ID}),
        ("tasks/cancel", {"taskId": MISSING_ID}),
        ("tasks/update", {"taskId": task_id}),
        ("tasks/update", {"taskId": task_id, "inputResponses": [True]}),
        ("tasks/update", {"taskId": MISSING_ID, "inputResponses": {"approve": True}}),
    ):
        assert server.fails(method, params)["code"] == INVALID_PARAMS, (method, params)
    assert repo.tip() == tip


def test_scope_in_extension_mode(repo):
    repo.tack("board", "add", "alpha")
    repo.tack("board", "add", "beta")
    repo.agent("a", ("alpha", (), ALL_GRANTS))
    repo.agent("b", ("beta", (), ALL_GRANTS))
    b = start(repo, "b", "--board", "beta")
    try:
        theirs = b.approval()["taskId"]
    finally:
        stop(b)
    assert repo.stored(theirs)["board"] == "beta"
    tip = repo.tip()

    a = start(repo, "a", "--board", "alpha")
    try:
        for method, params in (
            ("tasks/get", {}),
            ("tasks/cancel", {}),
            ("tasks/update", {"inputResponses": {"approve": {"action": "accept", "content": {"confirmed": True}}}}),
        ):
            missing = a.fails(method, {"taskId": MISSING_ID, **params})
            hidden = a.fails(method, {"taskId": theirs, **params})
            assert hidden["code"] == missing["code"] == INVALID_PARAMS, (method, hidden, missing)
            assert hidden["message"].replace(theirs, "<ID>") == missing["message"].replace(MISSING_ID, "<ID>")
            assert hidden.get("data") == missing.get("data")
        # The same through the utility (no declaration).
        assert a.fails("tasks/get", {"taskId": theirs}, declare=False)["code"] == INVALID_PARAMS
        listed = a.ok("tasks/list", {}, declare=False)["tasks"]
        assert theirs not in [t["taskId"] for t in listed]
    finally:
        stop(a)
    assert repo.tip() == tip
    assert repo.stored(theirs)["status"] == "input_required"


# MARK: the utility's parked tasks/result, byte by byte


def waiting_task(repo: Repo) -> str:
    """A board task made at the shell, waiting for an approval (not watched by any session)."""
    task_id = repo.add("Waiting")
    repo.tack("start", task_id)
    repo.tack("ask", task_id, "approve", "Ship?", "--approval")
    return task_id


def test_a_parked_result_is_answered_out_of_order(server, repo):
    task_id = waiting_task(repo)
    server.send({"jsonrpc": "2.0", "id": "wait", "method": "tasks/result", "params": {"taskId": task_id}})
    server.send({"jsonrpc": "2.0", "id": "wait-too", "method": "tasks/result", "params": {"taskId": task_id}})
    # Later requests are answered while the result waits.
    assert server.request("ping", None, id="p1") == {"jsonrpc": "2.0", "id": "p1", "result": {}}
    got = server.request("tasks/get", {"taskId": task_id})["result"]
    assert got["status"] == "input_required"
    repo.tack("answer", task_id, "approve=yes")
    replies = {}
    for _ in range(2):
        reply = server.recv(timeout=5)
        replies[reply["id"]] = reply
    assert set(replies) == {"wait", "wait-too"}
    for reply in replies.values():
        task = reply["result"]["structuredContent"]["task"]
        assert task["status"] == "completed" and task["inputResponses"]["approve"] == {"confirmed": True}
        assert reply["result"]["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task_id}
    server.no_reply()


def test_a_cancelled_parked_result_gets_no_reply(server, repo):
    """MCP cancellation: the receiver SHOULD not send a response for a cancelled request. A
    parked tasks/result is the one request this server has not answered yet when the client
    gives up on it, so `notifications/cancelled` must drop it."""
    task_id = waiting_task(repo)
    server.send({"jsonrpc": "2.0", "id": "gave-up", "method": "tasks/result", "params": {"taskId": task_id}})
    server.no_reply(
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "gave-up", "reason": "timeout"}}
    )
    repo.tack("answer", task_id, "approve=yes")
    time.sleep(0.8)  # several watch rounds of 200 ms
    server.counter += 1
    server.send({"jsonrpc": "2.0", "id": "after", "method": "ping"})
    reply = server.recv()
    assert reply == {"jsonrpc": "2.0", "id": "after", "result": {}}, (
        "the server answered a tasks/result the client had cancelled: " + json.dumps(reply)[:300]
    )


@pytest.mark.parametrize(
    "capabilities, asks",
    [
        ({}, False),
        ({"elicitation": {}}, True),  # the 2025-06-18 shape: form mode
        ({"elicitation": {"form": {}}}, True),
        ({"elicitation": {"form": {}, "url": {}}}, True),
        ({"elicitation": {"url": {}}}, False),  # URL mode only: a form must not be sent
    ],
    ids=["none", "empty", "form", "form-and-url", "url-only"],
)
def test_a_parked_result_elicits_only_a_form_capable_client(repo, capabilities, asks):
    """While tasks/result waits on an input_required task, the server asks with a form-mode
    elicitation/create (no `mode`: form) — only a client that declared form elicitation:
    MCP 2025-11-25 says `elicitation: {}` means form only, and a server must not send a
    client a mode it did not declare."""
    task_id = waiting_task(repo)
    srv = TaskServer(repo)
    try:
        params = dict(initialize(), capabilities=capabilities)
        srv.request("initialize", params)
        srv.send({"jsonrpc": "2.0", "id": "wait", "method": "tasks/result", "params": {"taskId": task_id}})
        time.sleep(0.5)  # a few watch rounds
        srv.send({"jsonrpc": "2.0", "id": "marker", "method": "ping"})
        first = srv.recv()
        if asks:
            assert first.get("method") == "elicitation/create", first
            assert first["params"].get("mode", "form") == "form"
            assert first["params"]["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task_id}
            assert set(first["params"]["requestedSchema"]["properties"]) == {"approve"}
            srv.send({"jsonrpc": "2.0", "id": first["id"], "result": {"action": "accept", "content": {"approve": True}}})
            assert srv.recv() == {"jsonrpc": "2.0", "id": "marker", "result": {}}
        else:
            assert first == {"jsonrpc": "2.0", "id": "marker", "result": {}}, (
                f"a client declaring {capabilities} was sent: " + json.dumps(first)[:300]
            )
            repo.tack("answer", task_id, "approve=yes")
        done = srv.recv(timeout=5)
        assert done["id"] == "wait", done
        task = done["result"]["structuredContent"]["task"]
        assert task["status"] == "completed" and task["inputResponses"]["approve"] == {"confirmed": True}
        author, _ = repo.last_commit()
        assert author == (HOST_USER if asks else "Ada Admin")
    finally:
        assert srv.finish() == 0, srv.stderr_path.read_text()


def test_end_of_input_with_a_parked_result_stops_cleanly(repo):
    task_id = waiting_task(repo)
    srv = TaskServer(repo)
    srv.request("initialize", initialize())
    srv.send({"jsonrpc": "2.0", "id": "wait", "method": "tasks/result", "params": {"taskId": task_id}})
    assert srv.request("ping", None, id="p")["result"] == {}
    started = time.monotonic()
    assert srv.finish(timeout=5) == 0, srv.stderr_path.read_text()
    assert time.monotonic() - started < 2
    srv.check_stdout()
    assert repo.stored(task_id)["status"] == "input_required"
