"""Scoping through MCP with the 1.x client: a label-scoped agent sees only its tasks, hidden
ones look exactly like missing ones, a read-only agent can change nothing, and an unknown
principal cannot start a server."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import MCP_MAJOR, MISSING_ID, TACK, mcp_session, refusal, server_args, structured

if MCP_MAJOR >= 2:
    pytest.skip("the 1.x client API (ClientSession over stdio streams)", allow_module_level=True)

from mcp.shared.exceptions import McpError  # noqa: E402
from pydantic import AnyUrl  # noqa: E402

pytestmark = pytest.mark.anyio

APPROVAL = {"approve": {"type": "confirmation", "message": "Ship?", "onConfirm": "completed", "onDecline": "failed"}}


@pytest.fixture
def scoped(repo):
    """main: one task; ops: deploy, secret and unlabelled tasks; agents narrow and reader."""
    repo.agent("narrow", ("ops", ("deploy",), "read,create"))
    repo.agent("reader", ("main", (), "read"))
    tasks = {
        "main": repo.add("Main task"),
        "deploy": repo.add("Deploy task", board="ops", labels=["deploy"]),
        "secret": repo.add("Secret task", board="ops", labels=["secret"]),
        "plain": repo.add("Plain ops task", board="ops"),
        "both": repo.add("Deploy and secret", board="ops", labels=["deploy", "secret"]),
    }
    # A task waiting for an answer, for answer_input.
    tasks["asking"] = repo.add("Asking")
    repo.tack("start", tasks["asking"])
    repo.tack("ask", tasks["asking"], "approve", "Ship?", "--approval")
    return repo, tasks


def shape(message: str, task_id: str) -> str:
    return message.replace(task_id, "<ID>")


async def test_narrow_agent_sees_only_its_board_and_label(scoped):
    repo, tasks = scoped
    before = repo.tip()
    async with mcp_session(repo, "narrow") as (session, init):
        assert init.serverInfo.name == "tack"
        boards = structured(await session.call_tool("list_boards", {}))["boards"]
        assert [b["name"] for b in boards] == ["ops"]

        for arguments in ({}, {"board": "ops"}, {"label": ["deploy"]}):
            listed = structured(await session.call_tool("list_tasks", arguments))["tasks"]
            assert [t["taskId"] for t in listed] == [tasks["deploy"], tasks["both"]], arguments
        listed = structured(await session.call_tool("list_tasks", {"label": ["secret"]}))["tasks"]
        assert [t["taskId"] for t in listed] == [tasks["both"]]
        listed = structured(await session.call_tool("list_tasks", {"text": "task"}))["tasks"]
        assert {t["taskId"] for t in listed} == {tasks["deploy"]}

        hidden = refusal(await session.call_tool("list_tasks", {"board": "main"}))
        missing = refusal(await session.call_tool("list_tasks", {"board": "nosuch"}))
        assert hidden.replace("main", "<B>") == missing.replace("nosuch", "<B>")

        task = structured(await session.call_tool("get_task", {"taskId": tasks["deploy"]}))["task"]
        assert task["labels"] == ["deploy"]

        resources = await session.list_resources()
        assert [str(r.uri) for r in resources.resources] == ["tack://board/ops"]
        board = json.loads((await session.read_resource(AnyUrl("tack://board/ops"))).contents[0].text)
        assert tasks["secret"] not in json.dumps(board) and tasks["plain"] not in json.dumps(board)
        assert tasks["deploy"] in json.dumps(board)
        for uri in ("tack://board/main", f"tack://task/{tasks['secret']}", f"tack://task/{tasks['main']}"):
            with pytest.raises(McpError) as caught:
                await session.read_resource(AnyUrl(uri))
            assert caught.value.error.code == -32002, uri
    assert repo.tip() == before


@pytest.mark.parametrize("tool", ["get_task", "task_history", "add_note"])
async def test_hidden_tasks_look_exactly_like_missing_ones(scoped, tool):
    repo, tasks = scoped
    before = repo.tip()
    async with mcp_session(repo, "narrow") as (session, _):

        async def failure(task_id):
            arguments = {"taskId": task_id}
            if tool == "add_note":
                arguments["text"] = "x"
            result = await session.call_tool(tool, arguments)
            refusal(result)
            return result.model_dump(mode="json")

        missing = await failure(MISSING_ID)
        assert "list_tasks" in missing["content"][0]["text"] and "tack" not in missing["content"][0]["text"]
        for name in ("main", "secret", "plain"):
            hidden = await failure(tasks[name])
            # Byte-identical but for the id given.
            assert shape(json.dumps(hidden), tasks[name]) == shape(json.dumps(missing), MISSING_ID), name

        # A short id of a hidden task is as unknown as any other prefix.
        prefix = tasks["secret"][5:21]
        hidden = await failure(prefix)
        unknown = await failure("7ZZZZZZZZZZZZZZZ")
        assert shape(json.dumps(hidden), prefix) == shape(json.dumps(unknown), "7ZZZZZZZZZZZZZZZ")
    assert repo.tip() == before


async def test_narrow_agent_creates_with_its_label(scoped):
    repo, _ = scoped
    before = repo.tip()
    async with mcp_session(repo, "narrow") as (session, _):
        task = structured(await session.call_tool("create_task", {"title": "Roll out", "board": "ops"}))["task"]
        assert task["labels"] == ["deploy"]
        assert task["board"] == "ops"
        listed = structured(await session.call_tool("list_tasks", {}))["tasks"]
        assert task["taskId"] in [t["taskId"] for t in listed]
    assert repo.git("rev-parse", "main~1").strip() == before
    author, body = repo.last_commit()
    assert author == "narrow"
    assert "Tack-Actor: agent:narrow" in body.splitlines()
    assert repo.stored(task["taskId"]) == task


async def test_narrow_agent_cannot_do_what_it_is_not_granted(scoped):
    repo, tasks = scoped
    deploy = tasks["deploy"]
    before = repo.tip()
    async with mcp_session(repo, "narrow") as (session, _):
        calls = [
            ("update_task", {"taskId": deploy, "title": "x"}),
            ("update_task", {"taskId": deploy, "labels": []}),
            ("transition_task", {"taskId": deploy, "status": "working"}),
            ("add_note", {"taskId": deploy, "text": "x"}),
            ("claim_task", {"taskId": deploy}),
        ]
        for tool, arguments in calls:
            text = refusal(await session.call_tool(tool, arguments))
            assert "narrow" in text and "read, create" in text, (tool, text)
    assert repo.tip() == before


WRITES = [
    ("create_task", lambda t: {"title": "Nope"}),
    ("update_task", lambda t: {"taskId": t["main"], "title": "Nope"}),
    ("transition_task", lambda t: {"taskId": t["main"], "status": "working"}),
    ("add_note", lambda t: {"taskId": t["main"], "text": "Nope"}),
    ("claim_task", lambda t: {"taskId": t["main"]}),
    ("release_task", lambda t: {"taskId": t["main"]}),
    ("request_input", lambda t: {"taskId": t["main"], "inputRequests": APPROVAL}),
    ("answer_input", lambda t: {"taskId": t["asking"], "inputResponses": {"approve": True}}),
]


async def test_read_only_agent_can_read_and_change_nothing(scoped):
    repo, tasks = scoped
    before = repo.tip()
    async with mcp_session(repo, "reader") as (session, _):
        listed = structured(await session.call_tool("list_tasks", {}))["tasks"]
        assert [t["taskId"] for t in listed] == [tasks["main"], tasks["asking"]]
        structured(await session.call_tool("get_task", {"taskId": tasks["main"]}))
        structured(await session.call_tool("task_history", {"taskId": tasks["main"]}))
        structured(await session.call_tool("list_boards", {}))

        for tool, arguments in WRITES:
            text = refusal(await session.call_tool(tool, arguments(tasks)))
            assert "reader" in text and "may not" in text and "read" in text, (tool, text)
    assert repo.tip() == before
    assert repo.stored(tasks["asking"])["status"] == "input_required"


def test_unknown_principal_cannot_start_a_server(repo):
    before = repo.tip()
    for principal in ("ghost", "../bot", ""):
        result = subprocess.run(
            [TACK, *server_args(repo, principal)],
            env=repo.env,
            cwd=repo.dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert result.returncode != 0, principal
        assert result.stdout == "", principal  # stdout is for the protocol only
        assert result.stderr.strip(), principal
        if principal:
            assert principal.strip("./") in result.stderr, result.stderr
    assert repo.tip() == before


def test_a_principal_is_required(repo):
    env = {k: v for k, v in repo.env.items() if k != "TACK_PRINCIPAL"}
    result = subprocess.run(
        [TACK, "mcp", "--repo", str(repo.dir)],
        env=env,
        cwd=repo.dir,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert "--as" in result.stderr, result.stderr


async def test_principal_and_repository_from_the_environment(repo, tmp_path):
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    task_id = repo.add("Found through TACK_REPO")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(repo.env, TACK_PRINCIPAL="bot", TACK_REPO=str(repo.dir))
    params = StdioServerParameters(command=TACK, args=["mcp"], env=env, cwd=str(elsewhere))
    with open(tmp_path / "env.stderr", "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                task = structured(await session.call_tool("add_note", {"taskId": task_id, "text": "hi"}))["task"]
    assert task["taskId"] == task_id
    author, body = repo.last_commit()
    assert author == "bot" and "Tack-Actor: agent:bot" in body.splitlines()


async def test_default_board_option(scoped):
    repo, tasks = scoped
    async with mcp_session(repo, "narrow", "--board", "ops") as (session, _):
        listed = structured(await session.call_tool("list_tasks", {}))["tasks"]
        assert [t["taskId"] for t in listed] == [tasks["deploy"], tasks["both"]]
        boards = structured(await session.call_tool("list_boards", {}))["boards"]
        assert [(b["name"], b["default"]) for b in boards] == [("ops", True)]
        task = structured(await session.call_tool("create_task", {"title": "Default board"}))["task"]
        assert task["board"] == "ops" and task["labels"] == ["deploy"]
    assert repo.stored(task["taskId"]) == task


async def test_an_answer_from_the_shell_is_seen_by_the_agent(repo):
    task_id = repo.add("Ask a person")
    async with mcp_session(repo) as (session, _):
        structured(await session.call_tool("transition_task", {"taskId": task_id, "status": "working"}))
        structured(await session.call_tool("request_input", {"taskId": task_id, "inputRequests": APPROVAL}))
        repo.tack("answer", task_id, "approve=yes")
        task = structured(await session.call_tool("get_task", {"taskId": task_id}))["task"]
        assert task["status"] == "completed"
        assert task["inputResponses"]["approve"]["confirmed"] is True
        author, _ = repo.last_commit()
        assert author == "Ada Admin"


async def test_a_label_scoped_editor_cannot_drop_its_label(scoped):
    repo, tasks = scoped
    repo.agent("editor", ("ops", ("deploy",), "read,create,edit"))
    deploy = tasks["deploy"]
    before = repo.tip()
    async with mcp_session(repo, "editor") as (session, _):
        for labels in ([], ["other"], ["secret"]):
            refusal(await session.call_tool("update_task", {"taskId": deploy, "labels": labels}))
        assert repo.tip() == before
        task = structured(await session.call_tool("update_task", {"taskId": deploy, "labels": ["deploy", "extra"]}))[
            "task"
        ]
        assert sorted(task["labels"]) == ["deploy", "extra"]
    assert repo.stored(deploy)["labels"] == task["labels"]
