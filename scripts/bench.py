#!/usr/bin/env python3
"""Tack's benchmark: builds tack in release mode, seeds boards of N tasks, and prints one table
of p50/p95 per operation next to the git CLI doing the same work in the same run, then the
concurrent writers (commits/s, and proof that no write was lost) and the repository's size
after many writes.

usage: scripts/bench.py [--sizes 1000,10000,100000] [--runs 30] [--bin DIR] [--smoke]
`make bench` runs it at 1000, 10000 and 100000 tasks (about 8 minutes here; BENCH_SIZES picks
others, e.g. BENCH_SIZES=1000,10000 for a quicker run).
Numbers, not a test: nothing here fails on timing. It fails (exit 1) when an operation errors
or a concurrent write is lost; `--smoke` (30 tasks, 2 runs, few writes; `make test` runs it
with the debug binaries) checks just that."""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@x", GIT_COMMITTER_NAME="b",
           GIT_COMMITTER_EMAIL="b@x", GIT_CONFIG_NOSYSTEM="1")


def run(args, cwd=None, check=True, **kw):
    return subprocess.run(args, cwd=cwd, env=ENV, check=check, capture_output=True, **kw)


def timed(fn, runs, before=None):
    """p50 and p95 in ms of fn(i); before(i), when given, runs first and is not timed."""
    samples = []
    for i in range(runs):
        if before:
            before(i)
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, len(samples) * 95 // 100)]


class BenchError(Exception):
    """An operation failed or a write was lost: the benchmark exits 1."""


def run_measured(args, cwd, stdin_path):
    """Runs a command with its stdin from a file; returns (seconds, peak RSS in KiB)."""
    start = time.perf_counter()
    with open(stdin_path, "rb") as stdin:
        process = subprocess.Popen(args, cwd=cwd, env=ENV, stdin=stdin, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        stderr = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, args, b"", stderr)
    return time.perf_counter() - start, usage.ru_maxrss


def seed(tack, folder, n, stats):
    """A checked-out board repository with n tasks (half todo, half working, 10 labels)."""
    run(["git", "init", "-q", "-b", "main", folder])
    run(["git", "config", "user.name", "b"], cwd=folder)
    run(["git", "config", "user.email", "b@x"], cwd=folder)
    run([tack, "init"], cwd=folder)
    lines_path = folder + ".jsonl"
    with open(lines_path, "w") as lines:
        for i in range(n):
            lines.write(json.dumps({"title": f"task {i}", "status": ["todo", "working"][i % 2],
                                    "labels": [f"l{i % 10}"]}) + "\n")
    stats["import_s"], stats["import_peak_kib"] = run_measured(
        [tack, "import", "-", "--batch", "10000"], folder, lines_path)
    os.unlink(lines_path)
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


def git_dir_of(repo):
    return repo if repo.endswith(".git") else os.path.join(repo, ".git")


def objects_of(repo):
    """git count-objects -v as a dict: count (loose), size (KiB), packs, size-pack (KiB)…"""
    out = run(["git", "--git-dir", git_dir_of(repo), "count-objects", "-v"]).stdout.decode()
    return {k: int(v) for k, v in (line.split(": ") for line in out.splitlines())}


def commit_count(repo):
    return int(run(["git", "--git-dir", git_dir_of(repo), "rev-list", "--count", "main"]).stdout)


def statuses_of(tack, repo):
    out = run([tack, "--repo", repo, "export"]).stdout.decode()
    return {t["taskId"]: t["status"] for t in map(json.loads, out.splitlines())}


def concurrent_writers(tack, bench_bin, repo, ids, writers, writes, smoke):
    """`writers` tack-bench processes, each changing the status of its own tasks `writes`
    times, all started at once. Proves that no write was lost: the branch gained exactly one
    commit per acknowledged write, and every task has the status its writer set last. Writes
    refused on contention (nothing written, the writer told so) are counted; a smoke run
    fails on them."""
    per = max(1, min(10, len(ids) // writers))
    if per * writers > len(ids):
        raise BenchError(f"{len(ids)} tasks are too few for {writers} writers")
    before = commit_count(repo)
    children = [subprocess.Popen([bench_bin, repo, "writers-child", str(writes), "--tasks",
                                  ",".join(ids[w * per:(w + 1) * per])],
                                 env=ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
                for w in range(writers)]
    for child in children:  # every writer has opened the repository and read its tasks
        if child.stdout.readline().strip() != b"ready":
            child.wait()
            raise BenchError(f"a writer did not start: {child.stderr.read().decode().strip()}")
    start = time.perf_counter()
    for child in children:
        child.stdin.write(b"go\n")
        child.stdin.flush()
    # Each writer prints its line when its last write is acknowledged, then lets its fold
    # finish before it exits: the clock stops at the last line.
    lines = [child.stdout.readline() for child in children]
    wall = time.perf_counter() - start
    outputs = [(line, child.stderr.read(), child.wait()) for line, child in zip(lines, children)]
    results, samples, expected = [], [], {}
    for out, err, status in outputs:
        if status != 0:
            raise BenchError(f"a writer failed (exit {status}): {err.decode().strip()}")
        if err.strip():
            print(f"writer's warnings: {err.decode().strip()}", file=sys.stderr)
        result = json.loads(out)
        results.append(result)
        samples += result["samples_ms"]
        expected.update(result["statuses"])
    acknowledged = sum(r["count"] for r in results)
    refused = sum(r["refused"] for r in results)
    refusal = next((r["refusal"] for r in results if r["refused"]), None)
    gained = commit_count(repo) - before
    actual = statuses_of(tack, repo)
    wrong = {tid: (status, actual.get(tid)) for tid, status in expected.items()
             if actual.get(tid) != status}
    if gained != acknowledged or wrong:
        raise BenchError(f"writes lost on {repo}: {acknowledged} acknowledged, the branch gained "
                         f"{gained} commits; statuses not as last set: {wrong}")
    if refused and smoke:
        raise BenchError(f"{refused} concurrent writes were refused on {repo}: {refusal}")
    samples.sort()
    return {"writers": writers, "commits": acknowledged, "refused": refused, "refusal": refusal,
            "wall_s": wall,
            "commits_per_s": acknowledged / wall, "tasks": len(expected),
            "p50_ms": samples[len(samples) // 2],
            "p95_ms": samples[min(len(samples) - 1, len(samples) * 95 // 100)]}


def size_after_writes(bench_bin, repo, rounds, limit):
    """`rounds` in-process status changes per task (the first `limit` tasks), no manual gc:
    the repository's size and loose objects before and after (Tack packs by itself)."""
    before = objects_of(repo)
    before_kib = du_kib(repo)
    result = json.loads(run([bench_bin, repo, "sweep", str(rounds), "--limit", str(limit)]).stdout)
    after, after_kib = objects_of(repo), du_kib(repo)
    cache = os.path.join(repo, "tack")  # Tack's read and history indexes, not git's objects
    cache_kib = du_kib(cache) if os.path.isdir(cache) else 0
    # For scale, not part of the row: what git's own gc makes of the same objects.
    run(["git", "--git-dir", repo, "gc", "-q", "--prune=now"])
    return {"writes": result["count"], "rounds": rounds, "tasks": result["count"] // rounds,
            "seconds": result["seconds"], "p50_ms": result["p50_ms"], "p95_ms": result["p95_ms"],
            "before_kib": before_kib, "after_kib": after_kib, "cache_kib": cache_kib,
            "loose_before": before["count"], "loose_after": after["count"],
            "packs_after": after["packs"], "pack_kib_after": after["size-pack"],
            "git_gc_kib": du_kib(repo)}


def bench_size(tack, bench_bin, n, runs, options):
    folder = tempfile.mkdtemp(prefix=f"tack-bench-{n}-")
    bare, bare_size = folder + "-bare.git", folder + "-size.git"
    branch = folder + "-branch"
    rows = []
    smoke = options.smoke
    at_least = lambda k: runs if smoke else max(runs, k)  # tiny in a smoke run
    few = runs if smoke else max(5, runs // 3)  # slow rows
    stats = {}
    try:
        t0 = time.perf_counter()
        ids, tasks = seed(tack, folder, n, stats)
        stats["seed_s"] = time.perf_counter() - t0
        git_dir = os.path.join(folder, ".git")
        # Bare clones of the board as seeded: one for the bare rows, one to grow by writes.
        run(["git", "clone", "-q", "--bare", folder, bare])
        run(["git", "clone", "-q", "--bare", folder, bare_size])
        # A code repository (main checked out, with a file of its own) holding the same board
        # on a branch of its own, as `tack init --branch tack` makes it.
        run(["git", "init", "-q", "-b", "main", branch])
        with open(os.path.join(branch, "README.md"), "w") as f:
            f.write("code\n")
        run(["git", "add", "README.md"], cwd=branch)
        run(["git", "commit", "-qm", "code"], cwd=branch)
        run(["git", "fetch", "-q", folder, "main:tack"], cwd=branch)
        run(["git", "config", "tack.branch", "tack"], cwd=branch)

        def row(name, tack_fn, git_fn, runs=runs, before=None, git_before=None):
            tp50, tp95 = timed(tack_fn, runs, before)
            gp50, gp95 = timed(git_fn, runs, git_before) if git_fn else (None, None)
            rows.append((name, tp50, tp95, gp50, gp95))

        # Tack's writes use the first half of the tasks, git's the second, so neither meets a
        # task the other moved (git's edits set statuses tack's state machine would refuse).
        half = len(ids) // 2
        pick = lambda i: ids[(i * 7919) % half]
        pick_git = lambda i: ids[half + (i * 7919) % (len(ids) - half)]
        state, git_state = {}, {}

        def tack_write(i):
            tid = pick(i)
            status = state.get(tid, tasks[tid]["status"])
            target = "todo" if status == "working" else "working"
            run([tack, "move", tid, target], cwd=folder)
            state[tid] = target

        def git_write(i):
            task = dict(tasks[pick_git(i)])
            # Always a change (git commit refuses an empty one), whatever the task was.
            current = git_state.get(task["taskId"], task["status"])
            task["status"] = "completed" if current != "completed" else "working"
            git_state[task["taskId"]] = task["status"]
            path = os.path.join(folder, task_path(task))
            with open(path, "w") as f:
                f.write(json.dumps(task, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
            run(["git", "add", task_path(task)], cwd=folder)
            run(["git", "commit", "-qm", f"{task['taskId']} status"], cwd=folder)

        row("status write (process)", tack_write, git_write)
        branch_state = {}

        def branch_write(i):
            tid = pick(i)
            status = branch_state.get(tid, tasks[tid]["status"])
            target = "todo" if status == "working" else "working"
            run([tack, "move", tid, target], cwd=branch)
            branch_state[tid] = target

        row("status write (process, board branch)", branch_write, None)
        row("create (process)", lambda i: run([tack, "add", f"bench {i}"], cwd=folder),
            lambda i: (open(os.path.join(folder, f"new-{i}.json"), "w").write("{}\n"),
                       run(["git", "add", f"new-{i}.json"], cwd=folder),
                       run(["git", "commit", "-qm", "new"], cwd=folder)))
        row("list --status working", lambda i: run([tack, "list", "--status", "working", "--json"], cwd=folder),
            lambda i: run(["git", "grep", "-l", '"status": "working"', "HEAD", "--", "boards"], cwd=folder), few)
        row("list --label l3", lambda i: run([tack, "list", "--label", "l3", "--json"], cwd=folder),
            lambda i: run(["git", "grep", "-l", '"l3"', "HEAD", "--", "boards"], cwd=folder), few)
        # What an agent does: change a task, then list (the write itself not timed).
        row("list --status after a write",
            lambda i: run([tack, "list", "--status", "working", "--json"], cwd=folder),
            lambda i: run(["git", "grep", "-l", '"status": "working"', "HEAD", "--", "boards"], cwd=folder),
            few, before=lambda i: tack_write(1000 + i), git_before=lambda i: git_write(1000 + i))
        row("show", lambda i: run([tack, "show", pick(i), "--json"], cwd=folder),
            lambda i: run(["git", "show", f"HEAD:{task_path(tasks[pick(i)])}"], cwd=folder))
        row("log ID", lambda i: run([tack, "log", pick(i), "--json"], cwd=folder),
            lambda i: run(["git", "log", "--format=%H %an %s", "--", task_path(tasks[pick(i)])], cwd=folder),
            few)

        def in_process(name, repo, operation, count):
            result = json.loads(run([bench_bin, repo, operation, str(count)]).stdout)
            rows.append((name, result["p50_ms"], result["p95_ms"], None, None))

        in_process("status write (in-process)", folder, "write", at_least(50))
        in_process("status write (in-process, bare)", bare, "write", at_least(50))
        in_process("status write (in-process, board branch)", branch, "write", at_least(50))
        in_process("get task (in-process)", folder, "read", at_least(50))

        starts = []
        for _ in range(2 if smoke else 5):
            server = MCP(tack, folder)
            starts.append(server.startup_ms)
            server.close()
        starts.sort()
        rows.append(("MCP start → initialize", starts[len(starts) // 2], starts[-1], None, None))
        server = MCP(tack, folder)
        row("MCP get_task", lambda i: server.call("tools/call", {"name": "get_task", "arguments": {"taskId": pick(i)}}), None, at_least(100))
        mcp_state = {}

        def mcp_write(i):
            tid = pick(i + 11)
            current = mcp_state.get(tid) or server.call("tools/call", {"name": "get_task", "arguments": {"taskId": tid}})["structuredContent"]["task"]["status"]
            target = "todo" if current == "working" else "working"
            server.call("tools/call", {"name": "transition_task", "arguments": {"taskId": tid, "status": target}})
            mcp_state[tid] = target

        row("MCP transition_task", mcp_write, None, at_least(100))
        stats["mcp_peak_kib"] = server.peak_rss_kib()
        server.close()

        # The writers share the first half of the tasks, which every row above only toggles
        # between todo and working.
        for name, repo in (("bare", bare), ("checked out", folder)):
            result = concurrent_writers(tack, bench_bin, repo, ids[:half], options.writers,
                                        options.writer_writes, smoke)
            stats["writers " + name] = result
            rows.append((f"status write, {options.writers} writers ({name})", result["p50_ms"],
                         result["p95_ms"], None, None))
        # The work queue, after the writers (a claim by `next` changes statuses they toggle).
        # `ready` reads what `list --status todo` reads, and every todo task's file.
        row("list --status todo", lambda i: run([tack, "list", "--status", "todo", "--json"], cwd=folder),
            lambda i: run(["git", "grep", "-l", '"status": "todo"', "HEAD", "--", "boards"], cwd=folder), few)
        row("ready", lambda i: run([tack, "ready", "--json"], cwd=folder),
            lambda i: run(["git", "grep", "-l", '"status": "todo"', "HEAD", "--", "boards"], cwd=folder), few)
        row("next (claims one)", lambda i: run([tack, "next", "--json"], cwd=folder), None, few)
        stats["repo_kib"] = du_kib(git_dir)
        stats["loose_objects"] = objects_of(folder)["count"]
        stats["size"] = size_after_writes(bench_bin, bare_size, options.size_rounds,
                                          options.size_tasks)
        return rows, stats
    finally:
        for path in (folder, bare, bare_size, branch):
            shutil.rmtree(path, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES", "1000,10000,100000"))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "30")))
    parser.add_argument("--bin", default=None, help="folder with tack and tack-bench (default: build release)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer processes")
    parser.add_argument("--writer-writes", type=int, default=100, help="status changes per writer")
    parser.add_argument("--size-rounds", type=int, default=5,
                        help="status changes per task for the repository size row")
    parser.add_argument("--size-tasks", type=int, default=10000,
                        help="at most this many tasks take part in the size row")
    parser.add_argument("--smoke", action="store_true",
                        help="prove that every operation works: 30 tasks, 2 runs, 3 writes per writer")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.runs, args.writer_writes, args.size_rounds = "30", 2, 3, 2
    if args.bin is None:
        subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        args.bin = subprocess.run(["swift", "build", "-c", "release", "--static-swift-stdlib", "--show-bin-path"],
                                  cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    args.bin = os.path.abspath(args.bin)  # commands run in the seeded folders
    tack, bench_bin = os.path.join(args.bin, "tack"), os.path.join(args.bin, "tack-bench")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    load = lambda: " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# Tack benchmark — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"{run(['git', '--version']).stdout.decode().strip()}, {args.runs} runs per row, "
          f"load average {load()} at the start", flush=True)
    results = {}
    for n in sizes:
        print(f"seeding and measuring {n} tasks …", file=sys.stderr)
        results[n] = bench_size(tack, bench_bin, n, args.runs, args)
    names = [r[0] for r in results[sizes[0]][0]]
    header = "| operation | " + " | ".join(f"{n} tasks: tack p50 / p95 | git p50 | × git" for n in sizes) + " |"
    print()
    print(header)
    print("|" + "---|" * (1 + 3 * len(sizes)))
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
        print(f"- {n} tasks: seeded in {extra['seed_s']:.1f} s (tack import {extra['import_s']:.1f} s, "
              f"peak RSS {extra['import_peak_kib'] / 1024:.1f} MiB); .git {extra['repo_kib'] / 1024:.1f} MiB "
              f"({extra['loose_objects']} loose objects) after the benchmark's writes; "
              f"MCP server peak RSS {extra['mcp_peak_kib'] / 1024:.1f} MiB")
        for name in ("bare", "checked out"):
            w = extra["writers " + name]
            print(f"- {n} tasks, {w['writers']} concurrent writers ({name}): {w['commits_per_s']:.0f} commits/s "
                  f"({w['commits']} commits in {w['wall_s']:.2f} s, on {w['tasks']} tasks); none lost: the "
                  f"branch gained {w['commits']} commits for {w['commits']} acknowledged writes, and every "
                  f"task has the status its writer set last"
                  + (f"; {w['refused']} write(s) refused, the writer told: {w['refusal']}" if w["refused"] else ""))
        s = extra["size"]
        print(f"- {n} tasks, repository size after {s['writes']} writes ({s['rounds']} per task × {s['tasks']} "
              f"of {n} tasks, in-process on a bare clone, no manual gc): {s['before_kib'] / 1024:.1f} → "
              f"{s['after_kib'] / 1024:.1f} MiB (Tack's caches in .git/tack: {s['cache_kib'] / 1024:.1f} MiB), loose objects {s['loose_before']} → {s['loose_after']}, "
              f"{s['packs_after']} pack(s) of {s['pack_kib_after'] / 1024:.1f} MiB; {s['seconds']:.1f} s "
              f"({s['writes'] / s['seconds']:.0f} writes/s, {s['p50_ms']:.2f} / {s['p95_ms']:.2f} ms p50 / p95); "
              f"git gc would make it {s['git_gc_kib'] / 1024:.1f} MiB")
    print(f"\nload average {load()} at the end")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as error:
        print(f"bench: {' '.join(map(str, error.cmd))} failed (exit {error.returncode}):\n"
              f"{(error.stdout or b'').decode(errors='replace').strip()}\n"
              f"{(error.stderr or b'').decode(errors='replace').strip()}", file=sys.stderr)
        sys.exit(1)
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        sys.exit(1)
