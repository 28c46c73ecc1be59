#!/usr/bin/env python3
"""MCP numbers over the official Python SDK (mcp 1.x): the size of `tools/list` per grant,
the size of a default `list_tasks` page (and a brief one), and the latency of `get_task` and
`transition_task` (median and p95 of N calls each, client round trip included).

    TACK_BINARY=.build/debug/tack .build/venv-mcp1/bin/python scripts/mcp-bench.py [N]
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

TACK = os.path.abspath(os.environ.get("TACK_BINARY", ".build/debug/tack"))
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
GRANTS = {
    "reader": "read",
    "worker": "read,create,edit,transition,comment,claim",
    "full": "read,create,edit,transition,comment,claim,answer",
}


def run(env, *argv, cwd):
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)


async def session(env, repo, principal, body):
    params = StdioServerParameters(
        command=TACK, args=["mcp", "--as", principal, "--repo", repo], env=env
    )
    async with stdio_client(params, errlog=open(os.devnull, "w")) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            return await body(s)


def ms(samples):
    samples = sorted(samples)
    return f"median {statistics.median(samples) * 1000:.2f} ms, p95 {samples[int(len(samples) * 0.95)] * 1000:.2f} ms"


async def main():
    base = tempfile.mkdtemp(prefix="tack-mcp-bench-")
    repo = os.path.join(base, "repo")
    env = dict(os.environ, HOME=base, GIT_CONFIG_NOSYSTEM="1")
    run(env, "git", "init", "-q", "-b", "main", repo, cwd=base)
    run(env, "git", "config", "user.name", "Bench", cwd=repo)
    run(env, "git", "config", "user.email", "bench@example.com", cwd=repo)
    run(env, TACK, "init", cwd=repo)
    for name, can in GRANTS.items():
        run(env, TACK, "scope", "add", name, "--kind", "agent", cwd=repo)
        run(env, TACK, "scope", "grant", name, "--board", "main", "--can", can, cwd=repo)

    for name in GRANTS:
        async def tools(s):
            listed = await s.list_tools()
            return len(listed.tools), len(json.dumps([t.model_dump(mode="json", exclude_none=True) for t in listed.tools]))

        count, size = await session(env, repo, name, tools)
        print(f"tools/list as {name} ({GRANTS[name]}): {count} tools, {size} bytes")

    async def work(s):
        ids = []
        for i in range(N):
            r = await s.call_tool("create_task", {"title": f"Task {i}", "description": "Some words " * 20})
            ids.append(r.structuredContent["task"]["taskId"])
        page = await s.call_tool("list_tasks", {})
        print(f"list_tasks default page: {len(page.content[0].text)} bytes")
        try:
            brief = await s.call_tool("list_tasks", {"limit": 200, "brief": True})
            if not brief.isError:
                print(f"list_tasks 200 brief: {len(brief.content[0].text)} bytes")
        except Exception as error:  # before brief existed: a protocol error
            print(f"list_tasks brief: {error}")
        gets = []
        for task_id in ids:
            t = time.perf_counter()
            await s.call_tool("get_task", {"taskId": task_id})
            gets.append(time.perf_counter() - t)
        moves = []
        for task_id in ids:
            t = time.perf_counter()
            await s.call_tool("transition_task", {"taskId": task_id, "status": "working"})
            moves.append(time.perf_counter() - t)
        print(f"get_task ×{N}: {ms(gets)}")
        print(f"transition_task ×{N}: {ms(moves)}")

    await session(env, repo, "full", work)


asyncio.run(main())
