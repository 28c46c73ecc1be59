"""The JSON-RPC layer byte by byte: `tack mcp --as bot` under subprocess.Popen, frames written
to its stdin, replies read line by line from its stdout. No SDK involved.

Every server started here is checked when it stops: it exits 0 at end of input and every line
it wrote on stdout is one JSON-RPC 2.0 message. The repository must be unchanged by the whole
suite (the last test)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time

import pytest

from conftest import TACK, Repo, server_args

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
MIB = 1024 * 1024


class RawServer:
    """One `tack mcp` process; `replies` holds its stdout lines as they arrive."""

    def __init__(self, repo: Repo, *extra: str, principal: str = "bot"):
        self.stderr_path = repo.base / f"raw-{time.monotonic_ns()}.stderr"
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [TACK, *server_args(repo, principal, *extra)],
            cwd=repo.dir,
            env=repo.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            bufsize=0,
        )
        self.replies: queue.Queue[bytes | None] = queue.Queue()
        self.lines: list[bytes] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.counter = 0

    def _read(self):
        for line in iter(self.proc.stdout.readline, b""):
            self.lines.append(line)
            self.replies.put(line)
        self.replies.put(None)

    def write(self, data: bytes):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message, end: bytes = b"\n"):
        """Writes one frame: a dict (as compact JSON), a str or raw bytes, and its line end."""
        if isinstance(message, dict) or isinstance(message, list):
            data = json.dumps(message, ensure_ascii=False).encode()
        elif isinstance(message, str):
            data = message.encode()
        else:
            data = message
        self.write(data + end)

    def recv(self, timeout: float = 10) -> dict:
        try:
            line = self.replies.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no reply within {timeout} s") from None
        assert line is not None, "the server closed stdout"
        assert line.endswith(b"\n")
        message = json.loads(line)
        assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", line
        return message

    def request(self, method: str, params=None, id=None) -> dict:
        if id is None:
            self.counter += 1
            id = self.counter
        frame = {"jsonrpc": "2.0", "id": id, "method": method}
        if params is not None:
            frame["params"] = params
        self.send(frame)
        reply = self.recv()
        assert reply["id"] == id, reply
        return reply

    def error(self, frame, id=None, end: bytes = b"\n") -> dict:
        """Sends a frame that must get an error reply with this id; returns the error object."""
        self.send(frame, end)
        reply = self.recv()
        assert "result" not in reply, reply
        assert reply["id"] == id and type(reply["id"]) is type(id), reply
        error = reply["error"]
        assert isinstance(error["code"], int) and isinstance(error["message"], str) and error["message"]
        return error

    def no_reply(self, *frames):
        """Sends frames that must get no reply: the next reply is the ping's after them."""
        for frame in frames:
            self.send(frame)
        self.counter += 1
        marker = f"after-{self.counter}"
        self.send({"jsonrpc": "2.0", "id": marker, "method": "ping"})
        reply = self.recv()
        assert reply == {"jsonrpc": "2.0", "id": marker, "result": {}}, reply

    def finish(self, timeout: float = 5) -> int:
        """Closes stdin; the server must stop by itself, promptly."""
        if not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"the server did not stop within {timeout} s of end of input") from None
        self.reader.join(timeout=5)
        self.stderr.close()
        return code

    def check_stdout(self):
        for line in self.lines:
            message = json.loads(line)  # every line is JSON …
            assert isinstance(message, dict) and message["jsonrpc"] == "2.0", line  # … and JSON-RPC
            assert ("result" in message) != ("error" in message), line
            assert line.count(b"\n") == 1 and line.endswith(b"\n"), line


@pytest.fixture(scope="module")
def raw_repo(tmp_path_factory):
    repo = Repo(tmp_path_factory.mktemp("raw"))
    repo.agent("bot", ("main", (), "read,create,edit,transition,comment,claim,answer"))
    repo.task_id = repo.add("Raw target")
    repo.start_tip = repo.tip()
    repo.start_refs = repo.git("for-each-ref")
    repo.start_status = repo.git("status", "--porcelain", "--ignored")
    return repo


@pytest.fixture
def server(raw_repo):
    srv = RawServer(raw_repo)
    yield srv
    code = srv.finish()
    assert code == 0, srv.stderr_path.read_text()
    srv.check_stdout()


def ping(id):
    return {"jsonrpc": "2.0", "id": id, "method": "ping"}


def initialize(version="2025-11-25"):
    return {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "raw-test", "version": "0"},
    }


# MARK: the handshake


def test_initialize_negotiates_versions(server):
    for asked, expected in [
        ("2025-06-18", {"2025-06-18"}),
        ("2025-11-25", {"2025-11-25"}),
        ("2024-11-05", {"2025-11-25", "2025-06-18"}),
        ("2099-01-01", {"2025-11-25", "2025-06-18"}),
    ]:
        result = server.request("initialize", initialize(asked))["result"]
        assert result["protocolVersion"] in expected, (asked, result)
        assert result["serverInfo"]["name"] == "tack"
        assert "tools" in result["capabilities"]
    server.no_reply({"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert server.error({"jsonrpc": "2.0", "id": 9, "method": "initialize", "params": {}}, 9)["code"] == INVALID_PARAMS
    tools = server.request("tools/list", {})["result"]["tools"]
    assert len(tools) == 14


def test_server_discover_first_is_answered_at_once(raw_repo):
    srv = RawServer(raw_repo)
    try:
        started = time.monotonic()
        srv.send(
            {
                "jsonrpc": "2.0",
                "id": 0,
                "method": "server/discover",
                "params": {
                    "_meta": {
                        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "0"},
                    }
                },
            }
        )
        reply = srv.recv(timeout=5)
        elapsed = time.monotonic() - started
        # Answered (2026-07-28 is spoken here; test_raw_2026.py has the rest), at once.
        assert reply["id"] == 0 and "2026-07-28" in reply["result"]["supportedVersions"], reply
        assert elapsed < 1.0, f"server/discover took {elapsed:.3f} s"
    finally:
        assert srv.finish() == 0
    srv.check_stdout()
    # A bare probe (no _meta) fixes no era: the handshake still works after it.
    srv = RawServer(raw_repo)
    try:
        assert "supportedVersions" in srv.request("server/discover", {})["result"]
        assert srv.request("initialize", initialize())["result"]["serverInfo"]["name"] == "tack"
    finally:
        assert srv.finish() == 0


# MARK: malformed frames


@pytest.mark.parametrize(
    "frame",
    [
        b'{"jsonrpc":"2.0","id":1,"method":"ping"',
        b"{'jsonrpc':'2.0','id':1,'method':'ping'}",
        b"nonsense",
        b'{"jsonrpc":"2.0","id":1,"method":"ping"} trailing',
        b'{"jsonrpc":"2.0","id":1,"method":"ping",}',
        b'{"jsonrpc":"2.0","id":1,"method":"ping"}{"jsonrpc":"2.0","id":2,"method":"ping"}',
        b'{"jsonrpc":"2.0","id":01,"method":"ping"}',
        b'{"jsonrpc":"2.0","id":NaN,"method":"ping"}',
        b'"unterminated',
        b'{"jsonrpc":"2.0","id":"a\tb","method":"ping"}',  # a raw control character in a string
        b'{"jsonrpc":"2.0","id":1,"method":"ping"}\x00',
        b'{"jsonrpc":"2.0","id":1e400,"method":"ping"}',
        b'{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}',  # an unpaired surrogate escape
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":' + b"[" * 50_000 + b"]" * 50_000 + b"}}",
    ],
    ids=["truncated", "single-quotes", "not-json", "trailing", "trailing-comma", "two-objects",
         "leading-zero", "nan", "unterminated-string", "raw-tab", "nul-byte", "number-out-of-range",
         "lone-surrogate", "deep-array", "deep-object", "deep-params"],
)
def test_malformed_json_is_a_parse_error_with_null_id(server, frame):
    assert server.error(frame, None)["code"] == PARSE_ERROR
    server.no_reply()  # still serving


@pytest.mark.parametrize(
    "frame",
    [
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xff\xfe"}}',
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xc0\xaf"}}',  # overlong '/'
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xed\xa0\x80"}}',  # a surrogate
        b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xe2\x82"}}',  # cut short
        b'{"jsonrpc":"2.0","id":1,"method":"p\x80ng"}',
    ],
    ids=["ff-fe", "overlong", "surrogate", "truncated-sequence", "in-method"],
)
def test_invalid_utf8_is_a_parse_error(server, frame):
    assert server.error(frame, None)["code"] == PARSE_ERROR
    server.no_reply()


@pytest.mark.parametrize(
    "frame",
    [b'[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"ping"}]', b"[]"],
    ids=["batch", "empty-batch"],
)
def test_batches_are_invalid_requests(server, frame):
    assert server.error(frame, None)["code"] == INVALID_REQUEST
    server.no_reply()


@pytest.mark.parametrize("frame", [b"42", b'"ping"', b"null", b"true", b"3.5"])
def test_non_objects_are_invalid_requests(server, frame):
    assert server.error(frame, None)["code"] == INVALID_REQUEST
    server.no_reply()


@pytest.mark.parametrize(
    "frame",
    [
        {"id": 1, "method": "ping"},
        {"jsonrpc": "1.0", "id": 1, "method": "ping"},
        {"jsonrpc": 2.0, "id": 1, "method": "ping"},
        {"jsonrpc": "2.0 ", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "method": 7},
        {"jsonrpc": "2.0", "id": 1, "method": None},
    ],
    ids=["no-jsonrpc", "version-1.0", "version-number", "version-padded", "no-method",
         "method-number", "method-null"],
)
def test_bad_envelopes_are_invalid_requests_with_their_id(server, frame):
    assert server.error(frame, 1)["code"] == INVALID_REQUEST
    server.no_reply()


@pytest.mark.parametrize("bad_id", [{}, [], [1], True, None], ids=["object", "array", "array1", "bool", "null"])
def test_ids_of_the_wrong_type_are_invalid_requests(server, bad_id):
    error = server.error({"jsonrpc": "2.0", "id": bad_id, "method": "ping"}, None)
    assert error["code"] == INVALID_REQUEST
    server.no_reply()


def test_unknown_methods(server):
    for id in (5, "five"):
        for method in ("no/such/method", "tasks/nope", "server/nope", "", "PING"):
            error = server.error({"jsonrpc": "2.0", "id": id, "method": method, "params": {}}, id)
            assert error["code"] == METHOD_NOT_FOUND, (method, error)


@pytest.mark.parametrize("params", [[1, 2], "x", 5, True])
def test_params_that_are_not_an_object(server, params):
    for method in ("ping", "tools/list", "tools/call", "initialize"):
        error = server.error({"jsonrpc": "2.0", "id": 3, "method": method, "params": params}, 3)
        assert error["code"] == INVALID_PARAMS, (method, error)
    error = server.error({"jsonrpc": "2.0", "id": 4, "method": "no/such/method", "params": params}, 4)
    assert error["code"] in (INVALID_PARAMS, METHOD_NOT_FOUND), error


def test_bad_tool_and_resource_calls(server, raw_repo):
    server.request("initialize", initialize())
    bad = [
        ("tools/call", {}),
        ("tools/call", {"name": 5}),
        ("tools/call", {"name": "no_such_tool", "arguments": {}}),
        ("tools/call", {"name": "get_task", "arguments": [raw_repo.task_id]}),
        ("tools/call", {"name": "get_task", "arguments": "x"}),
        ("resources/read", {}),
        ("resources/read", {"uri": 5}),
    ]
    for method, params in bad:
        error = server.error({"jsonrpc": "2.0", "id": "e", "method": method, "params": params}, "e")
        assert error["code"] == INVALID_PARAMS, (method, params, error)
    error = server.error(
        {"jsonrpc": "2.0", "id": "r", "method": "resources/read", "params": {"uri": "tack://x/y"}}, "r"
    )
    assert error["code"] == -32002
    # A bad argument is the model's to correct: a tool result with isError, not a JSON-RPC error.
    refused = server.request("tools/call", {"name": "get_task", "arguments": {"taskId": raw_repo.task_id, "x": 1}})
    assert refused["result"]["isError"] is True and "x" in refused["result"]["content"][0]["text"], refused
    ok = server.request("tools/call", {"name": "get_task", "arguments": {"taskId": raw_repo.task_id}})
    assert ok["result"]["structuredContent"]["task"]["taskId"] == raw_repo.task_id


SCANS = {
    "list_tasks": ("tools/call", {"name": "list_tasks", "arguments": {"text": "raw"}},
                   lambda result: [task["taskId"] for task in result["structuredContent"]["tasks"]]),
    "tasks/list": ("tasks/list", {}, lambda result: [task["taskId"] for task in result["tasks"]]),
    "board resource": ("resources/read", {"uri": "tack://board/main"},
                       lambda result: [task["taskId"] for task in json.loads(result["contents"][0]["text"])["tasks"]]),
}


@pytest.mark.parametrize("scan", SCANS)
def test_a_cancelled_scan_stops_and_gets_no_reply(server, raw_repo, scan):
    """Every scan of a board (`list_tasks`, `tasks/list`, a board resource) asks now and then
    whether its request was cancelled: a cancellation that is already waiting when the scan
    starts (sent in the same write as the request) stops it, the request gets no reply (as
    the protocol asks), and the server answers what comes next. A cancellation of another
    request, or none, leaves the request to finish."""
    server.request("initialize", initialize())
    method, params, task_ids = SCANS[scan]
    call = {"jsonrpc": "2.0", "id": "scan", "method": method, "params": params}
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled",
              "params": {"requestId": "scan", "reason": "the user moved on"}}
    server.write(json.dumps(call).encode() + b"\n" + json.dumps(cancel).encode() + b"\n")
    server.send({"jsonrpc": "2.0", "id": "after", "method": "ping"})
    assert server.recv() == {"jsonrpc": "2.0", "id": "after", "result": {}}

    other = dict(cancel, params={"requestId": "another"})
    server.write(json.dumps(call).encode() + b"\n" + json.dumps(other).encode() + b"\n")
    reply = server.recv()
    assert reply["id"] == "scan", reply
    assert task_ids(reply["result"]) == [raw_repo.task_id], reply


# MARK: what gets no reply


def test_notifications_get_no_reply(server, raw_repo):
    server.no_reply(
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "method": "notifications/initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1, "reason": "x"}},
        {"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": 1, "progress": 1}},
        {"jsonrpc": "2.0", "method": "notifications/no-such-thing"},
        {"jsonrpc": "2.0", "method": "notifications/no-such-thing", "params": [1]},
        {"jsonrpc": "2.0", "method": "ping"},
        {"jsonrpc": "2.0", "method": "no/such/method"},
        # A tool call without an id is a notification: it must not run (nothing is committed).
        {
            "jsonrpc": "2.0",
            "method": "tools/call",
            "params": {"name": "add_note", "arguments": {"taskId": raw_repo.task_id, "text": "must not land"}},
        },
        b"",
        b"   ",
        b"\t",
    )
    assert raw_repo.tip() == raw_repo.start_tip


def test_responses_from_the_client_get_no_reply(server):
    server.no_reply(
        {"jsonrpc": "2.0", "id": 5, "result": {}},
        {"jsonrpc": "2.0", "id": "s", "result": {"roots": []}},
        {"jsonrpc": "2.0", "id": 6, "error": {"code": -32601, "message": "no"}},
    )


# MARK: framing


def test_crlf_line_endings(server):
    server.send(ping(7), end=b"\r\n")
    assert server.recv() == {"jsonrpc": "2.0", "id": 7, "result": {}}
    server.send(b'{"jsonrpc":"2.0","id":8,"method":"tools/list"}', end=b"\r\n")
    reply = server.recv()
    assert reply["id"] == 8 and len(reply["result"]["tools"]) == 14
    server.no_reply()


def test_ids_are_echoed_exactly(server):
    ids = [
        "abc", "", "1", "ü-ñ 🙂", 'quote " backslash \\ newline \n tab \t', "x" * 1000,
        0, 1, -1, 42, 2**31, 2**32 + 1, 2**53 + 1, 2**63 - 1, -(2**63),
    ]
    for id in ids:
        server.send(ping(id))
        reply = server.recv()
        assert reply["id"] == id and type(reply["id"]) is type(id), (id, reply)
        assert reply["result"] == {}
    # The id text itself comes back unchanged, byte for byte, for integers.
    for text in ("9007199254740993", "9223372036854775807", "-9223372036854775808", "0"):
        server.send(b'{"jsonrpc":"2.0","id":' + text.encode() + b',"method":"ping"}')
        server.recv()
        assert b'"id":' + text.encode() + b"," in server.lines[-1] or server.lines[-1].rstrip().endswith(
            b'"id":' + text.encode() + b"}"
        ), server.lines[-1]


def test_ids_beyond_64_bits_are_echoed_exactly(server):
    for id in (2**64 + 1, -(2**64) - 7, 10**30, int("9" * 400)):
        server.send(ping(id))
        reply = server.recv()
        assert reply["id"] == id and type(reply["id"]) is int, (id, reply)


def test_fractional_ids_are_echoed_by_value(server):
    for id in (1.5, -2.25, 1e-3):
        server.send(ping(id))
        reply = server.recv()
        assert reply["id"] == id, (id, reply)


def test_pipelined_requests_are_answered_in_order(server):
    count = 300
    server.write(b"".join(json.dumps(ping(i)).encode() + b"\n" for i in range(count)))
    assert [server.recv()["id"] for _ in range(count)] == list(range(count))


def test_large_frames_under_the_limit_are_served(server):
    text = "y" * (3 * MIB)
    reply = server.request("ping", {"padding": text})
    assert reply["result"] == {}


@pytest.mark.parametrize("size", [5 * MIB, 4 * MIB + 1], ids=["5MiB", "4MiB+1"])
def test_oversize_frames_are_refused_and_the_server_goes_on(server, size):
    """Frames over 4 MiB are refused with -32700 (id null), even by one byte."""
    head = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"'
    tail = b'"}}'
    frame = head + b"z" * (size - len(head) - len(tail)) + tail
    assert len(frame) == size
    started = time.monotonic()
    server.send(frame)
    reply = server.recv()
    assert "result" not in reply, (
        f"a {size}-byte frame (limit {4 * MIB}) was served instead of refused: the limit is only "
        "checked while no newline is buffered (Transport.next)"
    )
    assert reply["id"] is None and reply["error"]["code"] == PARSE_ERROR, reply
    reply = server.request("ping", None, id="next")
    assert reply["result"] == {}
    # Generous: a debug build scans slowly (about 1 s per MiB here).
    assert time.monotonic() - started < 30


def test_a_last_frame_without_newline_is_answered(raw_repo):
    srv = RawServer(raw_repo)
    srv.write(json.dumps(ping("last")).encode())
    srv.proc.stdin.close()
    assert srv.recv() == {"jsonrpc": "2.0", "id": "last", "result": {}}
    assert srv.finish() == 0
    srv.check_stdout()


def test_eof_in_the_middle_of_a_frame(raw_repo):
    srv = RawServer(raw_repo)
    srv.send(ping(1))
    assert srv.recv()["id"] == 1
    srv.write(b'{"jsonrpc":"2.0","id":2,"meth')
    started = time.monotonic()
    assert srv.finish(timeout=5) == 0
    assert time.monotonic() - started < 2, "the server took long to stop at end of input"
    # The cut frame is at most reported as unparseable, never run.
    for line in srv.lines[1:]:
        assert json.loads(line)["error"]["code"] == PARSE_ERROR
    srv.check_stdout()


def test_eof_at_once(raw_repo):
    srv = RawServer(raw_repo)
    assert srv.finish() == 0
    assert srv.lines == []


def test_stdout_carries_only_protocol_even_when_logging(raw_repo):
    srv = RawServer(raw_repo, "--log-level", "debug")
    srv.request("initialize", initialize())
    srv.no_reply({"jsonrpc": "2.0", "method": "notifications/initialized"})
    srv.request("tools/list", {})
    srv.request("tools/call", {"name": "get_task", "arguments": {"taskId": "task_" + "0" * 26}})
    srv.request("tools/call", {"name": "list_tasks", "arguments": {}})
    srv.send(b"garbage")
    srv.recv()
    assert srv.finish() == 0
    srv.check_stdout()
    log = srv.stderr_path.read_text()
    assert log.strip(), "debug logging writes to stderr"
    assert all(not line.startswith("{") for line in log.splitlines()), log


def test_repository_unchanged_after_the_raw_suite(raw_repo):
    assert raw_repo.tip() == raw_repo.start_tip
    assert raw_repo.git("for-each-ref") == raw_repo.start_refs
    assert raw_repo.git("status", "--porcelain", "--ignored") == raw_repo.start_status
    raw_repo.fsck()
