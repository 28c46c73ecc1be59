"""MCP 2026-07-28 frame by frame against `tack mcp` (subprocess.Popen), no SDK: each 2026
method, each 2026 error (unsupported version, missing `_meta`, a tampered or misbound
`requestState`, a late `initialize`), the era fixed by the first request, and
`subscriptions/listen` with the tasks extension's `taskIds`. Runs under either SDK line."""

from __future__ import annotations

import json
import time

import pytest

from conftest import MISSING_ID, Repo
from test_raw_frames import RawServer, initialize

VERSION = "2026-07-28"
UNSUPPORTED, INVALID_PARAMS, METHOD_NOT_FOUND, MISSING_CAPABILITY = -32022, -32602, -32601, -32021
EXTENSION = "io.modelcontextprotocol/tasks"
SERVER_INFO = "io.modelcontextprotocol/serverInfo"
SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
HOST_USER = "Host's user through elicitation on behalf of bot"


def meta(capabilities=None, version=VERSION):
    return {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "raw-2026", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": capabilities if capabilities is not None else {},
    }


ELICITS = {"elicitation": {"form": {}}}
TASKS = {"extensions": {EXTENSION: {}}}


class Modern(RawServer):
    def call(self, method, params=None, capabilities=None, **kwargs):
        params = dict(params or {})
        params.setdefault("_meta", meta(capabilities))
        return self.request(method, params, **kwargs)

    def ok(self, method, params=None, capabilities=None) -> dict:
        reply = self.call(method, params, capabilities)
        assert "result" in reply and "error" not in reply, reply
        result = reply["result"]
        # Every 2026 result: resultType, and the server's info in _meta.
        assert isinstance(result.get("resultType"), str), result
        assert result["_meta"][SERVER_INFO]["name"] == "tack", result
        return result

    def fails(self, method, params=None, capabilities=None) -> dict:
        reply = self.call(method, params, capabilities)
        assert "error" in reply and "result" not in reply, reply
        assert reply["error"]["message"], reply
        return reply["error"]


@pytest.fixture
def repo2026(tmp_path):
    repo = Repo(tmp_path)
    repo.agent("bot", ("main", (), "read,create,edit,transition,comment,claim,answer"))
    repo.task_id = repo.add("Raw 2026 target")
    return repo


@pytest.fixture
def server(repo2026):
    srv = Modern(repo2026)
    yield srv
    assert srv.finish() == 0, srv.stderr_path.read_text()
    srv.check_stdout_2026()


def check_stdout_2026(self):
    for line in self.lines:
        message = json.loads(line)
        assert isinstance(message, dict) and message["jsonrpc"] == "2.0", line
        if "id" in message:
            assert ("result" in message) != ("error" in message), line
        else:  # notifications of a subscription only
            assert message["params"]["_meta"][SUBSCRIPTION_ID] is not None, line


Modern.check_stdout_2026 = check_stdout_2026


def test_discover_without_initialize(server):
    result = server.ok("server/discover")
    assert result["resultType"] == "complete"
    assert result["supportedVersions"][0] == VERSION and "2025-11-25" in result["supportedVersions"]
    assert EXTENSION in result["capabilities"]["extensions"]
    assert result["ttlMs"] >= 0 and result["cacheScope"] == "private"
    assert "agent bot" in result["instructions"]


def test_discover_without_meta_is_the_probe_and_fixes_no_era(server):
    reply = server.request("server/discover", {})
    assert reply["result"]["supportedVersions"][0] == VERSION
    # A 2025 client may still open with initialize after a bare probe.
    assert server.request("initialize", initialize())["result"]["protocolVersion"] == "2025-11-25"


def test_tools_list_is_sorted_and_cacheable(server):
    result = server.ok("tools/list")
    names = [tool["name"] for tool in result["tools"]]
    assert names == sorted(names) and len(names) == 14
    assert result["cacheScope"] == "private" and result["ttlMs"] > 0
    assert all("execution" not in tool for tool in result["tools"])  # tasks are server-directed
    assert server.ok("tools/list") == result  # deterministic


def test_tools_call_results_and_errors(server, repo2026):
    got = server.ok("tools/call", {"name": "get_task", "arguments": {"taskId": repo2026.task_id}})
    assert got["resultType"] == "complete" and got["structuredContent"]["task"]["taskId"] == repo2026.task_id
    missing = server.ok("tools/call", {"name": "get_task", "arguments": {"taskId": MISSING_ID}})
    assert missing["isError"] is True and missing["resultType"] == "complete"
    assert server.fails("tools/call", {"name": "nope"})["code"] == INVALID_PARAMS
    # The 2025 params.task does not exist in 2026: a task only under the extension.
    plain = server.ok("tools/call", {"name": "list_boards", "arguments": {}, "task": {"ttl": 1000}})
    assert plain["resultType"] == "complete" and "task" not in plain


def test_resources(server, repo2026):
    listed = server.ok("resources/list")
    assert [r["uri"] for r in listed["resources"]] == ["tack://board/main"]
    assert listed["ttlMs"] == 0 and listed["cacheScope"] == "private"
    templates = server.ok("resources/templates/list")
    assert templates["cacheScope"] == "public" and len(templates["resourceTemplates"]) == 2
    read = server.ok("resources/read", {"uri": f"tack://task/{repo2026.task_id}"})
    assert json.loads(read["contents"][0]["text"])["taskId"] == repo2026.task_id
    assert server.fails("resources/read", {"uri": "tack://task/" + MISSING_ID})["code"] == INVALID_PARAMS


def test_unsupported_version(server):
    error = server.fails("tools/list", {"_meta": meta(version="2099-01-01")})
    assert error["code"] == UNSUPPORTED
    assert error["data"] == {"supported": [VERSION, "2025-11-25", "2025-06-18"], "requested": "2099-01-01"}
    # A handshake version is not a per-request version either.
    assert server.fails("tools/list", {"_meta": meta(version="2025-11-25")})["code"] == UNSUPPORTED
    bad = server.fails("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": 2026}})
    assert bad["code"] == INVALID_PARAMS


def test_missing_meta(server):
    server.ok("tools/list")  # the connection is 2026 from here on
    error = server.fails("tools/list", {"_meta": {}})
    assert error["code"] == INVALID_PARAMS and "protocolVersion" in error["message"]
    reply = server.request("tools/list", {})
    assert reply["error"]["code"] == INVALID_PARAMS
    no_caps = server.fails("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": VERSION}})
    assert no_caps["code"] == INVALID_PARAMS and "clientCapabilities" in no_caps["message"]
    late = server.request("initialize", initialize())["error"]
    assert late["code"] == UNSUPPORTED and late["data"]["supported"] == [VERSION]


def test_methods_gone_in_2026(server):
    for method in ("ping", "logging/setLevel", "tasks/list", "tasks/result", "resources/subscribe"):
        assert server.fails(method, {"taskId": "x", "level": "info", "uri": "x"})["code"] == METHOD_NOT_FOUND, method


def test_a_2025_session_is_unchanged_and_may_send_2026_requests(repo2026):
    srv = Modern(repo2026)
    try:
        init = srv.request("initialize", initialize())["result"]
        assert init["protocolVersion"] == "2025-11-25" and "resultType" not in init
        listed = srv.request("tools/list", {})["result"]
        assert "resultType" not in listed and "ttlMs" not in listed
        assert srv.request("ping", {})["result"] == {}
        # Each request is judged by its own _meta: a 2026 one is served as 2026.
        assert srv.ok("tools/list")["resultType"] == "complete"
    finally:
        assert srv.finish() == 0


def test_approval_round_trip(server, repo2026):
    before = repo2026.tip()
    call = {"name": "request_approval", "arguments": {"title": "Raw ship"}}
    asked = server.ok("tools/call", call, ELICITS)
    assert asked["resultType"] == "input_required"
    request = asked["inputRequests"]["approve"]
    assert request["method"] == "elicitation/create" and request["params"]["mode"] == "form"
    assert repo2026.tip() == before
    state = asked["requestState"]
    answer = {"approve": {"action": "accept", "content": {"confirmed": True}}}
    # Without the answer: asked again.
    again = server.ok("tools/call", {**call, "requestState": state, "inputResponses": {}}, ELICITS)
    assert again["resultType"] == "input_required"
    done = server.ok("tools/call", {**call, "requestState": state, "inputResponses": answer}, ELICITS)
    assert done["resultType"] == "complete" and "isError" not in done
    task = done["structuredContent"]["task"]
    assert task["status"] == "completed" and repo2026.stored(task["taskId"]) == task
    assert repo2026.last_commit()[0] == HOST_USER


def test_nobody_is_asked_about_a_task_that_cannot_be_made(server, repo2026):
    before = repo2026.tip()
    for arguments, mentions in (({"title": "x" * 301}, "title"), ({"title": "ok", "board": "nope"}, "nope")):
        refused = server.ok("tools/call", {"name": "request_approval", "arguments": arguments}, ELICITS)
        assert refused["resultType"] == "complete" and refused["isError"] is True, refused
        assert mentions in refused["content"][0]["text"], refused
    assert repo2026.tip() == before


def test_tampered_or_misbound_request_state(server, repo2026):
    before = repo2026.tip()
    call = {"name": "request_approval", "arguments": {"title": "Raw ship"}}
    state = server.ok("tools/call", call, ELICITS)["requestState"]
    answer = {"approve": {"action": "accept", "content": {"confirmed": True}}}
    prefix, payload, mac = state.split(".")
    forged_payload = bytes.fromhex(payload).replace(b'"approve"', b'"approvf"').hex()
    for forged in (
        state[:-2] + ("00" if not state.endswith("00") else "11"),  # MAC changed
        f"{prefix}.{forged_payload}.{mac}",  # payload changed
        "garbage",
        "s1..",
    ):
        error = server.fails("tools/call", {**call, "requestState": forged, "inputResponses": answer}, ELICITS)
        assert error["code"] == INVALID_PARAMS and "requestState" in error["message"], forged
    # Bound to the arguments and the tool's principal.
    other = {"name": "request_approval", "arguments": {"title": "Raw ship", "message": "other"}}
    error = server.fails("tools/call", {**other, "requestState": state, "inputResponses": answer}, ELICITS)
    assert error["code"] == INVALID_PARAMS
    assert repo2026.tip() == before


def test_request_state_of_another_principal_is_refused(repo2026):
    repo2026.agent("bot2", ("main", (), "read,create,edit,transition,comment,claim,answer"))
    call = {"name": "request_approval", "arguments": {"title": "Mine"}}
    first = Modern(repo2026)
    try:
        state = first.ok("tools/call", call, ELICITS)["requestState"]
    finally:
        assert first.finish() == 0
    second = Modern(repo2026, principal="bot2")
    try:
        answer = {"approve": {"action": "accept", "content": {"confirmed": True}}}
        error = second.fails("tools/call", {**call, "requestState": state, "inputResponses": answer}, ELICITS)
        assert error["code"] == INVALID_PARAMS
    finally:
        assert second.finish() == 0


def test_request_approval_needs_elicitation_or_the_extension(server, repo2026):
    error = server.fails("tools/call", {"name": "request_approval", "arguments": {"title": "x"}})
    assert error["code"] == MISSING_CAPABILITY and "elicitation" in error["data"]["requiredCapabilities"]
    # With the tasks extension it runs as a task, as before.
    created = server.ok("tools/call", {"name": "request_approval", "arguments": {"title": "x"}}, TASKS)
    assert created["resultType"] == "task" and created["status"] == "working"
    got = server.ok("tasks/get", {"taskId": created["taskId"]}, TASKS)
    assert got["status"] == "input_required" and "approve" in got["inputRequests"]
    assert server.fails("tasks/get", {"taskId": created["taskId"]})["code"] == MISSING_CAPABILITY
    answer = {"approve": {"action": "accept", "content": {"confirmed": True}}}
    updated = server.ok("tasks/update", {"taskId": created["taskId"], "inputResponses": answer}, TASKS)
    assert updated["resultType"] == "complete"
    done = server.ok("tasks/get", {"taskId": created["taskId"]}, TASKS)
    assert done["status"] == "completed" and done["result"]["structuredContent"]["task"]["status"] == "completed"
    assert repo2026.last_commit()[0] == HOST_USER
    other = server.ok("tools/call", {"name": "request_approval", "arguments": {"title": "y"}}, TASKS)
    assert server.ok("tasks/cancel", {"taskId": other["taskId"]}, TASKS)["resultType"] == "complete"
    assert repo2026.stored(other["taskId"])["status"] == "cancelled"


def test_listen_for_a_task_status(server, repo2026):
    created = server.ok("tools/call", {"name": "request_approval", "arguments": {"title": "Watch me"}}, TASKS)
    task_id = created["taskId"]
    params = {"notifications": {"taskIds": [task_id, MISSING_ID], "resourceSubscriptions": ["tack://nothing"]}}
    params["_meta"] = meta(TASKS)
    server.send({"jsonrpc": "2.0", "id": "listen-1", "method": "subscriptions/listen", "params": params})
    ack = server.recv()
    assert ack["method"] == "notifications/subscriptions/acknowledged", ack
    assert ack["params"]["notifications"] == {"taskIds": [task_id]}  # what it honors
    assert ack["params"]["_meta"][SUBSCRIPTION_ID] == "listen-1"
    started = time.monotonic()
    repo2026.tack("answer", task_id, "approve=yes")
    note = server.recv(timeout=10)
    assert note["method"] == "notifications/tasks/status", note
    assert note["params"]["taskId"] == task_id and note["params"]["status"] == "completed"
    assert note["params"]["_meta"][SUBSCRIPTION_ID] == "listen-1"
    assert note["params"]["result"]["structuredContent"]["task"]["status"] == "completed"
    assert time.monotonic() - started < 5
    # Cancelled: no reply, no more notifications; other requests go on.
    server.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": "listen-1"}})
    assert server.ok("tools/list")["resultType"] == "complete"


def test_listen_needs_a_filter(server):
    assert server.fails("subscriptions/listen", {})["code"] == INVALID_PARAMS
    bad = server.fails("subscriptions/listen", {"notifications": {"taskIds": "x"}})
    assert bad["code"] == INVALID_PARAMS
