"""Shared fixtures: a throw-away board repository made with the real `tack` CLI, and an MCP
session with the official Python SDK (`mcp` on PyPI) against `tack mcp --as PRINCIPAL`.

The binary is $TACK_BINARY (scripts/mcp-tests.sh sets it); without it, the debug build in
.build/ of this checkout.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# A well-formed task id that names no task.
MISSING_ID = "task_" + "0" * 26


def _tack_binary() -> str:
    binary = os.environ.get("TACK_BINARY")
    if not binary:
        binary = str(ROOT / ".build" / "debug" / "tack")
    path = pathlib.Path(binary)
    if not path.is_absolute():
        path = (ROOT / path).resolve()
    if not os.access(path, os.X_OK):
        pytest.exit(f"no tack binary at {path}: build it, or set TACK_BINARY", returncode=2)
    return str(path)


TACK = _tack_binary()

try:
    from importlib.metadata import version as _version

    MCP_VERSION = _version("mcp")
except Exception:  # pragma: no cover - the venvs always have it
    MCP_VERSION = "0"
MCP_MAJOR = int(MCP_VERSION.split(".")[0])


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Repo:
    """A board repository in a temporary folder, driven by the real CLI and plain git."""

    def __init__(self, base: pathlib.Path):
        self.base = base
        self.dir = base / "repo"
        self.home = base / "home"
        self.home.mkdir()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        }
        # Nothing of the caller's git or Tack settings may leak in.
        self.run(["git", "init", "-q", "-b", "main", str(self.dir)], cwd=base)
        self.git("config", "user.name", "Ada Admin")
        self.git("config", "user.email", "ada@example.com")
        self.tack("init")

    def run(self, argv, cwd=None, check=True, input=None):
        result = subprocess.run(
            argv,
            cwd=cwd or self.dir,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{argv} exited {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def tack(self, *args, check=True):
        return self.run([TACK, *args], check=check)

    def git(self, *args, check=True) -> str:
        return self.run(["git", *args], check=check).stdout

    def add(self, title, board=None, labels=(), description=None, as_=None) -> str:
        """Creates a task with the CLI; returns its full id."""
        args = ["add", title]
        if board:
            args += ["--board", board]
        for label in labels:
            args += ["--label", label]
        if description is not None:
            args += ["--description", description]
        if as_:
            args += ["--as", as_]
        task_id = self.tack(*args).stdout.strip()
        assert task_id.startswith("task_"), task_id
        return task_id

    def agent(self, principal, *grants):
        """`tack scope add PRINCIPAL --kind agent`, then one `scope grant` per (board, labels, can)."""
        self.tack("scope", "add", principal, "--kind", "agent")
        for board, labels, can in grants:
            args = ["scope", "grant", principal, "--board", board]
            for label in labels:
                args += ["--label", label]
            self.tack(*args, "--can", can)

    def tip(self, ref="main") -> str:
        return self.git("rev-parse", ref).strip()

    def last_commit(self) -> tuple[str, str]:
        """(author name, message) of main's tip."""
        out = self.git("log", "-1", "--format=%an%n%B", "main")
        author, _, body = out.partition("\n")
        return author, body

    def commit_count(self) -> int:
        return int(self.git("rev-list", "--count", "main").strip())

    def path_of(self, task_id: str) -> str:
        names = self.git("ls-tree", "-r", "--name-only", "main").splitlines()
        found = [n for n in names if n.endswith(f"/{task_id}.json")]
        assert len(found) == 1, (task_id, found)
        return found[0]

    def stored(self, task_id: str) -> dict:
        """The task file as committed on main."""
        return json.loads(self.git("show", f"main:{self.path_of(task_id)}"))

    def fsck(self):
        result = self.run(["git", "fsck", "--full"], check=False)
        text = result.stdout + result.stderr
        bad = [
            line
            for line in text.splitlines()
            if line.startswith(("error", "missing", "broken", "fatal", "bad"))
        ]
        assert result.returncode == 0 and not bad, text


@pytest.fixture
def repo(tmp_path) -> Repo:
    """A fresh repository: boards main and ops, agent `bot` with every action on main."""
    r = Repo(tmp_path)
    r.tack("board", "add", "ops")
    r.agent("bot", ("main", (), "read,create,edit,transition,comment,claim,answer"))
    return r


def server_args(repo: Repo, principal: str, *extra: str) -> list[str]:
    return ["mcp", "--as", principal, "--repo", str(repo.dir), *extra]


@contextlib.asynccontextmanager
async def mcp_session(repo: Repo, principal: str = "bot", *extra: str):
    """`tack mcp --as PRINCIPAL` through the SDK's stdio client; yields (session, InitializeResult).

    mcp 1.x only (ClientSession over the stdio streams); the 2.x tests use `mcp.Client`.
    """
    from datetime import timedelta

    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=TACK, args=server_args(repo, principal, *extra), env=dict(repo.env)
    )
    with open(repo.base / f"mcp-{principal}.stderr", "a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            # A request never waits forever: a hung server fails the test instead of the run.
            async with ClientSession(
                read, write, read_timeout_seconds=timedelta(seconds=20)
            ) as session:
                init = await session.initialize()
                yield session, init


def structured(result) -> dict:
    """A successful tool result's structuredContent, checked against its text content."""
    assert not result.isError, result.content
    assert result.structuredContent is not None
    assert len(result.content) == 1 and result.content[0].type == "text"
    assert json.loads(result.content[0].text) == result.structuredContent
    return result.structuredContent


def refusal(result) -> str:
    """A domain refusal's text: isError true, one text block, no structured content."""
    assert result.isError is True, result
    assert result.content and result.content[0].type == "text"
    text = result.content[0].text
    assert text.strip(), "a refusal must say why"
    return text


def print_stderr(repo: Repo):  # for debugging a failing test
    for path in repo.base.glob("mcp-*.stderr"):
        sys.stderr.write(path.read_text())
