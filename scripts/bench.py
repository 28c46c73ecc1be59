#!/usr/bin/env python3
"""Tack's benchmark: builds tack in release mode, seeds boards of N tasks, and prints one table
of p50/p95 per operation next to the git CLI doing the same work in the same run.

usage: scripts/bench.py [--sizes 1000,10000,100000] [--runs 30] [--bin DIR]
`make bench` runs it with the default sizes 1000 and 10000 (add 100000 with BENCH_SIZES).
Numbers, not a test: nothing here passes or fails on timing."""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
           GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1")


def run(args, cwd=None, check=True, **kw):
    return subprocess.run(args, cwd=cwd, env=ENV, check=check, capture_output=True, **kw)


def timed(fn, runs):
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, len(samples) * 95 // 100)]


def seed(tack, folder, n):
    """A checked-out board repository with n tasks (half todo, half working, 10 labels)."""
    run(["git", "init", "-q", "-b", "main", folder])
    run(["git", "config", "user.name", "b"], cwd=folder)
    run(["git", "config", "user.email", "b@x"], cwd=folder)
    run([tack, "init"], cwd=folder)
    lines = "".join(json.dumps({"title": f"task {i}", "status": ["todo", "working"][i % 2],
                                "labels": [f"l{i % 10}"]}) + "\n" for i in range(n))
    run([tack, "import", "-", "--batch", "10000"], cwd=folder, input=lines.encode())
    run([tack, "scope", "add", "bench", "--kind", "agent"], cwd=folder)
    run([tack, "scope", "grant", "bench", "--board", "main", "--can",
         "read,create,edit,transition,comment,claim,answer"], cwd=folder)
    tasks = [json.loads(l) for l in run([tack, "export"], cwd=folder).stdout.decode().splitlines()]
    return [t["taskId"] for t in tasks], {t["taskId"]: t for t in tasks}


def task_path(task):
    tid = task["taskId"]
    return f"boards/{task['board']}/tasks/{tid[-1]}/{tid[-2]}/{tid}.json"


class MCP:
    """A long-lived `tack mcp` with newline JSON-RPC frames."""

    def __init__(self, tack, folder):
        start = time.perf_counter()
        self.process = subprocess.Popen([tack, "mcp", "--as", "bench"], cwd=folder, env=ENV,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
        self.next = 0
        self.call("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                 "clientInfo": {"name": "bench", "version": "1"}})
        self.startup_ms = (time.perf_counter() - start) * 1000

    def call(self, method, params):
        self.next += 1
        frame = json.dumps({"jsonrpc": "2.0", "id": self.next, "method": method, "params": params})
        self.process.stdin.write(frame.encode() + b"\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        if "error" in reply or reply.get("result", {}).get("isError"):
            raise RuntimeError(f"{method}: {reply}")
        return reply["result"]

    def peak_rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)


def du_kib(path):
    return int(run(["du", "-sk", path]).stdout.split()[0])


def bench_size(tack, bench_bin, n, runs):
    folder = tempfile.mkdtemp(prefix=f"tack-bench-{n}-")
    rows = []
    try:
        t0 = time.perf_counter()
        ids, tasks = seed(tack, folder, n)
        seed_s = time.perf_counter() - t0
        git_dir = os.path.join(folder, ".git")

        def row(name, tack_fn, git_fn, runs=runs):
            tp50, tp95 = timed(tack_fn, runs)
            gp50, gp95 = timed(git_fn, runs) if git_fn else (None, None)
            rows.append((name, tp50, tp95, gp50, gp95))

        # Tack's writes use the first half of the tasks, git's the second, so neither meets a
        # task the other moved (git's edits set statuses tack's state machine would refuse).
        half = len(ids) // 2
        pick = lambda i: ids[(i * 7919) % half]
        pick_git = lambda i: ids[half + (i * 7919) % (len(ids) - half)]
        state = {}

        def tack_write(i):
            tid = pick(i)
            status = state.get(tid, tasks[tid]["status"])
            target = "todo" if status == "working" else "working"
            run([tack, "move", tid, target], cwd=folder)
            state[tid] = target

        def git_write(i):
            task = dict(tasks[pick_git(i)])
            task["status"] = "completed" if i % 2 else "working"
            path = os.path.join(folder, task_path(task))
            with open(path, "w") as f:
                f.write(json.dumps(task, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
            run(["git", "add", task_path(task)], cwd=folder)
            run(["git", "commit", "-qm", f"{task['taskId']} status"], cwd=folder)

        row("status write (process)", tack_write, git_write)
        row("create (process)", lambda i: run([tack, "add", f"bench {i}"], cwd=folder),
            lambda i: (open(os.path.join(folder, f"new-{i}.json"), "w").write("{}\n"),
                       run(["git", "add", f"new-{i}.json"], cwd=folder),
                       run(["git", "commit", "-qm", "new"], cwd=folder)))
        row("list --status working", lambda i: run([tack, "list", "--status", "working", "--json"], cwd=folder),
            lambda i: run(["git", "grep", "-l", '"status": "working"', "HEAD", "--", "boards"], cwd=folder), max(5, runs // 3))
        row("list --label l3", lambda i: run([tack, "list", "--label", "l3", "--json"], cwd=folder),
            lambda i: run(["git", "grep", "-l", '"l3"', "HEAD", "--", "boards"], cwd=folder), max(5, runs // 3))
        row("show", lambda i: run([tack, "show", pick(i), "--json"], cwd=folder),
            lambda i: run(["git", "show", f"HEAD:{task_path(tasks[pick(i)])}"], cwd=folder))
        row("log ID", lambda i: run([tack, "log", pick(i), "--json"], cwd=folder),
            lambda i: run(["git", "log", "--format=%H %an %s", "--", task_path(tasks[pick(i)])], cwd=folder),
            max(5, runs // 3))
        inproc = json.loads(run([bench_bin, folder, "write", str(max(runs, 50))]).stdout)
        rows.append(("status write (in-process)", inproc["p50_ms"], inproc["p95_ms"], None, None))
        inread = json.loads(run([bench_bin, folder, "read", str(max(runs, 50))]).stdout)
        rows.append(("get task (in-process)", inread["p50_ms"], inread["p95_ms"], None, None))

        starts = []
        for _ in range(5):
            server = MCP(tack, folder)
            starts.append(server.startup_ms)
            server.close()
        starts.sort()
        rows.append(("MCP start → initialize", starts[2], starts[-1], None, None))
        server = MCP(tack, folder)
        row("MCP get_task", lambda i: server.call("tools/call", {"name": "get_task", "arguments": {"taskId": pick(i)}}), None, max(runs, 100))
        mcp_state = {}

        def mcp_write(i):
            tid = pick(i + 11)
            current = mcp_state.get(tid) or server.call("tools/call", {"name": "get_task", "arguments": {"taskId": tid}})["structuredContent"]["task"]["status"]
            target = "todo" if current == "working" else "working"
            server.call("tools/call", {"name": "transition_task", "arguments": {"taskId": tid, "status": target}})
            mcp_state[tid] = target

        row("MCP transition_task", mcp_write, None, max(runs, 100))
        peak = server.peak_rss_kib()
        server.close()
        return rows, {"seed_s": seed_s, "repo_kib": du_kib(git_dir), "mcp_peak_kib": peak,
                      "loose_objects": int(run(["git", "count-objects"], cwd=folder).stdout.split()[0])}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000,10000"))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "30")))
    parser.add_argument("--bin", default=None, help="folder with tack and tack-bench (default: build release)")
    args = parser.parse_args()
    if args.bin is None:
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        args.bin = subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"],
                                  cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    tack, bench_bin = os.path.join(args.bin, "tack"), os.path.join(args.bin, "tack-bench")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    print(f"# Tack benchmark — {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"{run(['git', '--version']).stdout.decode().strip()}, {args.runs} runs per row")
    results = {}
    for n in sizes:
        print(f"seeding and measuring {n} tasks …", file=sys.stderr)
        results[n] = bench_size(tack, bench_bin, n, args.runs)
    names = [r[0] for r in results[sizes[0]][0]]
    header = "| operation | " + " | ".join(f"{n} tasks: tack p50 / p95 | git p50 | × git" for n in sizes) + " |"
    print()
    print(header)
    print("|" + "---|" * (1 + 4 * len(sizes)))
    for index, name in enumerate(names):
        cells = []
        for n in sizes:
            _, tp50, tp95, gp50, _ = results[n][0][index]
            cells += [f"{tp50:.2f} / {tp95:.2f} ms", f"{gp50:.2f} ms" if gp50 else "—",
                      f"{tp50 / gp50:.2f}" if gp50 else "—"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    for n in sizes:
        extra = results[n][1]
        print(f"- {n} tasks: seeded in {extra['seed_s']:.1f} s; .git {extra['repo_kib'] / 1024:.1f} MiB "
              f"({extra['loose_objects']} loose objects) after the benchmark's writes; "
              f"MCP server peak RSS {extra['mcp_peak_kib'] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
