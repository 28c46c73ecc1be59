"""MCP over Streamable HTTP with the official SDK's client (mcp 1.x,
`mcp.client.streamable_http.streamablehttp_client`) against a running `tack serve`.

It starts its own `tack serve` on a free loopback port and a new repository, unless
TACK_SERVE_URL is set: the base URL of a running server (its MCP endpoint is TACK_SERVE_URL +
"/mcp" unless the URL already ends in /mcp), serving the repository at TACK_SERVE_REPO, in
which the local git identity may manage scopes and tokens (the test adds its own principals,
with unique names, and their tokens through the CLI).
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid

import pytest

from conftest import MCP_MAJOR, MISSING_ID, TACK

if MCP_MAJOR >= 2:
    pytest.skip("the 1.x client API (streamablehttp_client)", allow_module_level=True)

URL = os.environ.get("TACK_SERVE_URL")
REPO = os.environ.get("TACK_SERVE_REPO")
SERVER = None

if not URL or not REPO:
    # No server given: start the real `tack serve` on a free loopback port, on a new board
    # repository, for this module (it is stopped, and the folder removed, at exit).
    import atexit
    import shutil
    import tempfile
    from urllib.parse import urlsplit

    REPO = tempfile.mkdtemp(prefix="tack-mcp-http-")
    for argv in (
        ["git", "init", "-q", "-b", "main", REPO],
        ["git", "-C", REPO, "config", "user.name", "Ada"],
        ["git", "-C", REPO, "config", "user.email", "ada@example.com"],
        [TACK, "init", "--repo", REPO],
    ):
        subprocess.run(argv, check=True, capture_output=True, timeout=30)
    SERVER = subprocess.Popen(
        [TACK, "serve", "--port", "0", "--repo", REPO],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    first = SERVER.stdout.readline().strip()
    assert first.startswith("http://"), f"tack serve printed {first!r}"
    parts = urlsplit(first)
    URL = f"{parts.scheme}://{parts.netloc}"

    def _stop():
        SERVER.terminate()
        try:
            SERVER.wait(timeout=10)
        except subprocess.TimeoutExpired:
            SERVER.kill()
        shutil.rmtree(REPO, ignore_errors=True)

    atexit.register(_stop)

from mcp import ClientSession  # noqa: E402
from mcp.client.streamable_http import streamablehttp_client  # noqa: E402

pytestmark = pytest.mark.anyio
ENDPOINT = URL.rstrip("/") if URL.rstrip("/").endswith("/mcp") else URL.rstrip("/") + "/mcp"


def tack(*args: str) -> str:
    result = subprocess.run(
        [TACK, *args, "--repo", REPO], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, f"tack {args}: {result.stderr}"
    return result.stdout


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", REPO, *args], capture_output=True, text=True, timeout=30, check=True
    ).stdout


@pytest.fixture(scope="module")
def cast():
    """Two boards and two agents: `mover` may work on its own board, `peeker` may only read it;
    a task on another board neither is granted. Returns their tokens and the task ids."""
    suffix = uuid.uuid4().hex[:8]
    own, other = f"http-{suffix}", f"hidden-{suffix}"
    tack("board", "add", own)
    tack("board", "add", other)
    mover, peeker = f"mover-{suffix}", f"peeker-{suffix}"
    tack("scope", "add", mover, "--kind", "agent", "--email", f"{mover}@agents.example")
    tack("scope", "grant", mover, "--board", own, "--can", "read,create,edit,transition,comment")
    tack("scope", "add", peeker, "--kind", "agent")
    tack("scope", "grant", peeker, "--board", own, "--can", "read")
    visible = tack("add", "Visible task", "--board", own).strip()
    hidden = tack("add", "Hidden task", "--board", other).strip()
    return {
        "board": own,
        "mover": mover,
        "mover_token": tack("token", "create", mover).strip(),
        "peeker_token": tack("token", "create", peeker).strip(),
        "visible": visible,
        "hidden": hidden,
    }


class session:
    """An initialized ClientSession over Streamable HTTP with a bearer token."""

    def __init__(self, token: str | None):
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def __aenter__(self) -> ClientSession:
        self._transport = streamablehttp_client(ENDPOINT, headers=self.headers)
        read, write, _ = await self._transport.__aenter__()
        self._session = ClientSession(read, write)
        await self._session.__aenter__()
        await self._session.initialize()
        return self._session

    async def __aexit__(self, *exc):
        await self._session.__aexit__(*exc)
        await self._transport.__aexit__(*exc)


async def test_no_or_a_bad_token_is_refused(cast):
    import anyio
    import httpx

    initialize = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    accept = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(timeout=10) as client:
        for extra in ({}, {"Authorization": "Bearer tack_" + "A" * 43}):
            reply = await client.post(ENDPOINT, json=initialize, headers={**accept, **extra})
            assert reply.status_code == 401, reply.text
            assert reply.headers["www-authenticate"].startswith("Bearer")
        reply = await client.post(
            ENDPOINT, json=initialize, headers={**accept, "Authorization": f"Bearer {cast['peeker_token']}"}
        )
        assert reply.status_code == 200 and reply.headers.get("mcp-session-id")
    # The SDK's client gets no session either (it fails, or gives up waiting).
    with pytest.raises(BaseException):
        with anyio.fail_after(10):
            async with session("tack_" + "A" * 43) as s:
                await s.list_tools()


async def test_a_scoped_agent_sees_only_its_board(cast):
    async with session(cast["peeker_token"]) as s:
        names = {tool.name for tool in (await s.list_tools()).tools}
        assert "list_tasks" in names and "create_task" not in names
        listed = await s.call_tool("list_tasks", {"board": cast["board"]})
        assert not listed.isError
        ids = [task["taskId"] for task in listed.structuredContent["tasks"]]
        assert cast["visible"] in ids and cast["hidden"] not in ids
        hidden = await s.call_tool("get_task", {"taskId": cast["hidden"]})
        missing = await s.call_tool("get_task", {"taskId": MISSING_ID})
        assert hidden.isError and missing.isError
        assert hidden.content[0].text.replace(cast["hidden"], "ID") == missing.content[0].text.replace(
            MISSING_ID, "ID"
        )
        refused = await s.call_tool("create_task", {"title": "no", "board": cast["board"]})
        assert refused.isError


async def test_a_write_is_a_commit_authored_by_the_principal(cast):
    async with session(cast["mover_token"]) as s:
        created = await s.call_tool("create_task", {"title": "Over HTTP", "board": cast["board"]})
        assert not created.isError, created.content
        task_id = created.structuredContent["task"]["taskId"]
    log = git("log", "--all", "-5", "--format=%ae %s")
    assert any(line.startswith(f"{cast['mover']}@agents.example ") for line in log.splitlines()), log
    shown = json.loads(tack("show", task_id, "--json"))
    assert shown["title"] == "Over HTTP"
