"""The "git neighbours" conformance suite: real git commands around real `tack` processes
(and `tack mcp` driven by the official MCP SDK), in throw-away repositories.

Every scenario ends with `Board.assert_sound`: `git fsck --strict --full` clean, every
acknowledged Tack write present (through `tack list/show --json`, in `git log` and through
`tack log`), `tack check` clean, no orphan pack companions, and the user's own files, index,
refs, reflogs and worktrees as they were (`State`).

The binary is $TACK_BINARY (scripts/neighbour-tests.sh sets it); without it, the debug build
of this checkout. TACK_STRESS=1 (`make stress`) runs the concurrent scenarios 5 times with
bigger loops.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
import random
import re
import subprocess
import threading
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
STRESS = os.environ.get("TACK_STRESS", "") not in ("", "0")
# Every concurrent scenario runs this many times (make stress: 5).
ROUNDS = 5 if STRESS else 1
LAYOUTS = ("checkout", "bare")
# The main scenarios also run with the board on a branch of its own in a code checkout
# (`tack init --branch tack`, HEAD on main with the user's code): pass
# `@pytest.mark.parametrize("board", BOARD_LAYOUTS, indirect=True)`.
BOARD_LAYOUTS = LAYOUTS + ("branch",)
# What Tack owns in a checkout; everything else there is the user's.
BOARD_PATHS = (".tack/", "boards/")
ZERO = "0" * 40


def size(normal: int, stress: int) -> int:
    """A loop bound: `normal` for make test, `stress` for make stress."""
    return stress if STRESS else normal


def _tack_binary() -> str:
    binary = os.environ.get("TACK_BINARY") or str(ROOT / ".build" / "debug" / "tack")
    path = pathlib.Path(binary)
    if not path.is_absolute():
        path = (ROOT / path).resolve()
    if not os.access(path, os.X_OK):
        pytest.exit(f"no tack binary at {path}: build it, or set TACK_BINARY", returncode=2)
    return str(path)


TACK = _tack_binary()


class Failed(AssertionError):
    pass


def show(result: subprocess.CompletedProcess) -> str:
    argv = result.args if isinstance(result.args, str) else " ".join(map(str, result.args))
    return f"$ {argv}\nexit {result.returncode}\n--- stdout:\n{result.stdout}--- stderr:\n{result.stderr}"


class Ledger:
    """The writes Tack acknowledged (exit 0 / a successful tool result), thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.tasks: dict[str, str] = {}  # id -> title
        self.notes: dict[str, list[str]] = {}  # id -> texts
        self.failures: list[str] = []  # writes that should have succeeded but did not

    def task(self, task_id: str, title: str):
        with self.lock:
            self.tasks[task_id] = title

    def note(self, task_id: str, text: str):
        with self.lock:
            self.notes.setdefault(task_id, []).append(text)

    def failed(self, what: str):
        with self.lock:
            self.failures.append(what)

    def count(self) -> int:
        with self.lock:
            return len(self.tasks) + sum(len(v) for v in self.notes.values())


class State:
    """What the user owns, to compare before and after: refs (but the board branch),
    reflogs, worktrees, and in each checkout its files, index and status outside Tack's
    folders."""

    def __init__(self, data: dict):
        self.data = data

    def diff(self, after: "State") -> list[str]:
        problems = []
        a, b = self.data, after.data
        for key in sorted(set(a) | set(b)):
            if key.startswith("reflog:"):
                missing = [line for line in a.get(key, []) if line not in set(b.get(key, []))]
                if missing:
                    problems.append(f"{key}: entries gone: {missing[:5]}")
            elif a.get(key) != b.get(key):
                problems.append(f"{key} changed:\n  before: {a.get(key)!r}\n  after:  {b.get(key)!r}")
        return problems


class Board:
    """A board repository (checked out or bare) in a temporary folder, driven by the real
    `tack` and `git`, with a ledger of Tack's acknowledged writes."""

    def __init__(self, base: pathlib.Path, layout: str = "checkout", init: bool = True, dir=None):
        self.base = base
        self.layout = layout
        self.bare = layout == "bare"
        # The branch Tack writes: main, or in the "branch" layout `tack` beside the code's main.
        self.board_branch = "tack" if layout == "branch" else "main"
        # Refs the scenario itself moves (besides the board branch), left out of `capture`.
        self.moving_refs: set[str] = set()
        self.dir = pathlib.Path(dir) if dir else base / "repo"
        self.home = base / "home"
        (self.home / ".config").mkdir(parents=True, exist_ok=True)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": "UTC",
        }
        self.ledger = Ledger()
        self.user_dirs: list[pathlib.Path] = []  # linked worktrees the scenario made
        self._counter = 0
        self._count_lock = threading.Lock()
        if init:
            flags = ["--bare"] if self.bare else []
            self.run(["git", "init", "-q", "-b", "main", *flags, str(self.dir)], cwd=base)
            self.identity()
            if layout == "branch":
                (self.dir / "README.md").write_text("the code\n")
                self.git("add", "README.md")
                self.git("commit", "-q", "-m", "code")
                self.tack("init", "--branch", self.board_branch)
            else:
                self.tack("init")

    def identity(self, cwd=None):
        self.git("config", "user.name", "Ada Admin", cwd=cwd)
        self.git("config", "user.email", "ada@example.com", cwd=cwd)

    # MARK: running programs

    def run(self, argv, cwd=None, check=True, input=None, env=None, timeout=120):
        result = subprocess.run(
            [str(a) for a in argv],
            cwd=cwd or self.dir,
            env={**self.env, **(env or {})},
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise Failed(show(result))
        return result

    def tack(self, *args, check=True, cwd=None, env=None, timeout=120):
        return self.run([TACK, *args], check=check, cwd=cwd, env=env, timeout=timeout)

    def git(self, *args, check=True, cwd=None, env=None) -> str:
        return self.run(["git", *args], check=check, cwd=cwd, env=env).stdout

    def gitdir(self) -> pathlib.Path:
        return self.dir if self.bare else self.dir / ".git"

    def packdir(self) -> pathlib.Path:
        return self.gitdir() / "objects" / "pack"

    def unique(self, stem: str) -> str:
        with self._count_lock:
            self._counter += 1
            return f"{stem} {self._counter}"

    # MARK: Tack writes, recorded when acknowledged

    def add(self, title=None, board=None, strict=True, env=None) -> str | None:
        """`tack add`; the id when acknowledged (recorded in the ledger), else None (with
        `strict`, a failure is recorded as one)."""
        title = title or self.unique("task")
        args = ["add", title] + (["--board", board] if board else [])
        result = self.tack(*args, check=False, env=env)
        task_id = result.stdout.strip()
        if result.returncode == 0 and task_id.startswith("task_"):
            self.ledger.task(task_id, title)
            return task_id
        if strict:
            self.ledger.failed(show(result))
        return None

    def note(self, task_id: str, text=None, strict=True, env=None) -> bool:
        text = text or self.unique("note")
        result = self.tack("note", task_id, text, check=False, env=env)
        if result.returncode == 0:
            self.ledger.note(task_id, text)
            return True
        if strict:
            self.ledger.failed(show(result))
        return False

    def tip(self, ref="main") -> str:
        return self.git("rev-parse", ref).strip()

    # MARK: what the user owns

    def worktrees(self) -> list[pathlib.Path]:
        """Every checkout: the main one (unless bare) and the linked ones."""
        out = self.git("worktree", "list", "--porcelain")
        return [
            pathlib.Path(line[len("worktree "):])
            for line in out.splitlines()
            if line.startswith("worktree ") and not (self.bare and pathlib.Path(line[9:]) == self.dir)
        ]

    def capture(self, exclude=()) -> State:
        data = {}
        refs = self.git("for-each-ref", "--format=%(refname) %(objectname)").splitlines()
        moving = {f"refs/heads/{self.board_branch}", *self.moving_refs}
        data["refs"] = sorted(r for r in refs if r.split(" ", 1)[0] not in moving)
        data["worktrees"] = _worktree_stanzas(self.git("worktree", "list", "--porcelain"), moving)
        data["shallow"] = _read(self.gitdir() / "shallow")
        logs = self.gitdir() / "logs"
        for path in sorted(logs.rglob("*")) if logs.exists() else []:
            if path.is_file():
                data[f"reflog:{path.relative_to(logs)}"] = _reflog_entries(path)
        keep = sorted(p.name for p in self.packdir().glob("*.keep"))
        data["keep-packs"] = keep
        for wt in self.worktrees():
            mine = lambda p: not p.startswith(BOARD_PATHS) and p not in exclude  # noqa: E731
            status = self.git("status", "--porcelain", "--untracked-files=all", cwd=wt)
            data[f"{wt}:status"] = status
            stage = self.git("ls-files", "-s", "-v", cwd=wt).splitlines()
            data[f"{wt}:index"] = [e for e in stage if mine(e.split("\t", 1)[-1])]
            data[f"{wt}:cached"] = self.git("diff", "--cached", "--binary", cwd=wt)
            files = {}
            for path in sorted(wt.rglob("*")):
                rel = path.relative_to(wt).as_posix()
                if rel == ".git" or rel.startswith(".git/") or not mine(rel):
                    continue
                if path.is_symlink():
                    files[rel] = "-> " + os.readlink(path)
                elif path.is_file():
                    files[rel] = hashlib.sha1(path.read_bytes()).hexdigest()
            data[f"{wt}:files"] = files
        return State(data)

    # MARK: the end of every scenario

    def fsck(self):
        result = self.run(["git", "fsck", "--strict", "--full", "--no-progress"], check=False)
        text = result.stdout + result.stderr
        bad = [
            line
            for line in text.splitlines()
            if not line.startswith(("dangling ", "notice:", "Checking", "warning: reflog"))
        ]
        assert result.returncode == 0 and not bad, f"git fsck --strict --full failed:\n{text}"

    def orphan_companions(self) -> list[str]:
        """Pack companions (.idx, .rev, .bitmap, .keep, .mtimes, .promisor) without their
        pack, and MIDX companions without the MIDX: what `git count-objects -v` calls
        garbage, and what a fold must not leave behind."""
        folder = self.packdir()
        names = {p.name for p in folder.iterdir()} if folder.exists() else set()
        orphans = []
        for name in sorted(names):
            m = re.fullmatch(r"(pack-[0-9a-f]+)\.(idx|rev|bitmap|keep|mtimes|promisor)", name)
            if m and f"{m.group(1)}.pack" not in names:
                orphans.append(name)
            m = re.fullmatch(r"multi-pack-index-[0-9a-f]+\.(rev|bitmap)", name)
            if m and "multi-pack-index" not in names:
                orphans.append(name)
        return orphans

    def assert_sound(self, before: State | None = None, clean=True, exclude=(), allow_failures=False):
        """Everything a scenario must end with (see the module's docstring)."""
        problems = []
        if self.ledger.failures and not allow_failures:
            problems.append(
                f"{len(self.ledger.failures)} Tack write(s) failed that should have landed; the first:\n"
                + self.ledger.failures[0]
            )
        result = self.run(["git", "fsck", "--strict", "--full", "--no-progress"], check=False)
        text = result.stdout + result.stderr
        bad = [l for l in text.splitlines() if not l.startswith(("dangling ", "notice:", "Checking"))]
        if result.returncode != 0 or bad:
            problems.append(f"git fsck --strict --full exited {result.returncode}:\n{text[:3000]}")
        problems += self._acknowledged_writes_present()
        check = self.tack("check", check=False)
        if check.returncode != 0:
            problems.append("tack check is not clean:\n" + show(check))
        orphans = self.orphan_companions()
        if orphans:
            problems.append(f"pack companions without their pack: {orphans}")
        if (self.packdir() / "multi-pack-index").exists():
            verify = self.run(["git", "multi-pack-index", "verify"], check=False)
            if verify.returncode != 0:
                problems.append("git multi-pack-index verify failed:\n" + show(verify))
        problems += self._reflog_objects_present()
        if clean and not self.bare:
            status = self.run(
                ["git", "status", "--porcelain", "--untracked-files=no", "--", *BOARD_PATHS], check=False
            )
            if status.returncode != 0 or status.stdout:
                problems.append("Tack's files are not clean in git status:\n" + show(status))
        if before is not None:
            try:
                problems += before.diff(self.capture(exclude=exclude))
            except Failed as error:
                problems.append(f"reading the user's state failed:\n{error}")
        assert not problems, "\n\n".join(problems)

    def _acknowledged_writes_present(self) -> list[str]:
        problems = []
        ledger = self.ledger
        listed = self.tack("list", "--json", check=False)
        if listed.returncode != 0:
            return ["tack list --json failed:\n" + show(listed)]
        tasks = {t["taskId"]: t for t in json.loads(listed.stdout)["tasks"]}
        for task_id, title in ledger.tasks.items():
            if task_id not in tasks:
                problems.append(f"acknowledged task {task_id} ({title!r}) is not in tack list")
            elif tasks[task_id]["title"] != title:
                problems.append(f"task {task_id}: title {tasks[task_id]['title']!r}, acknowledged {title!r}")
        for task_id, texts in ledger.notes.items():
            shown = self.tack("show", "--json", task_id, check=False)
            if shown.returncode != 0:
                problems.append(f"tack show {task_id} failed:\n" + show(shown))
                continue
            stored = [n["text"] for n in json.loads(shown.stdout)["notes"]]
            lost = [t for t in texts if t not in stored]
            if lost:
                problems.append(
                    f"task {task_id}: {len(lost)} of {len(texts)} acknowledged notes lost: {lost[:5]}"
                )
        # In git log: one create commit per task, at least one note commit per note.
        log = self.run(["git", "log", "--format=%x1e%B", self.board_branch], check=False)
        if log.returncode != 0:
            problems.append(f"git log {self.board_branch} failed:\n" + show(log))
        log = log.stdout
        creates, notes = set(), {}
        for body in log.split("\x1e"):
            trailers = dict(re.findall(r"^(Tack-Task|Tack-Action): (\S+)$", body, re.M))
            task_id, action = trailers.get("Tack-Task"), trailers.get("Tack-Action")
            if action == "create":
                creates.add(task_id)
            elif action == "note":
                notes[task_id] = notes.get(task_id, 0) + 1
        for task_id in ledger.tasks:
            if task_id not in creates:
                problems.append(
                    f"git log {self.board_branch} has no create commit for acknowledged task {task_id}"
                )
        for task_id, texts in ledger.notes.items():
            if notes.get(task_id, 0) < len(texts):
                problems.append(
                    f"git log {self.board_branch} has {notes.get(task_id, 0)} note commits for {task_id}, "
                    f"{len(texts)} notes were acknowledged"
                )
        # History stays readable: `tack log` of a few tasks with notes.
        for task_id in sorted(ledger.notes)[:3]:
            history = self.tack("log", task_id, check=False)
            if history.returncode != 0:
                problems.append(f"tack log {task_id} failed:\n" + show(history))
        return problems

    def _reflog_objects_present(self) -> list[str]:
        logs = self.gitdir() / "logs"
        wanted = set()
        for path in logs.rglob("*") if logs.exists() else []:
            if path.is_file():
                for line in _reflog_entries(path):
                    wanted.update(x for x in line.split()[:2] if x != ZERO)
        for wt in self.gitdir().glob("worktrees/*/logs/HEAD"):
            for line in _reflog_entries(wt):
                wanted.update(x for x in line.split()[:2] if x != ZERO)
        if not wanted:
            return []
        out = self.run(
            ["git", "cat-file", "--batch-check"], input="\n".join(sorted(wanted)) + "\n", check=False
        ).stdout
        missing = [line for line in out.splitlines() if line.endswith(" missing")]
        return [f"objects in reflogs are gone: {missing[:5]}"] if missing else []


def _worktree_stanzas(porcelain: str, moving: set[str]) -> list[str]:
    """`git worktree list --porcelain`, without the HEAD of a worktree on the board branch
    (Tack moves it) or on another branch the scenario moves."""
    stanzas = []
    for stanza in porcelain.strip().split("\n\n"):
        lines = stanza.splitlines()
        if any(f"branch {ref}" in lines for ref in moving):
            lines = [line for line in lines if not line.startswith("HEAD ")]
        stanzas.append("\n".join(lines))
    return stanzas


def _read(path: pathlib.Path):
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def _reflog_entries(path: pathlib.Path) -> list[str]:
    """'old new' of each entry (the rest of the line — who and when — is not compared)."""
    return [" ".join(line.split()[:2]) for line in path.read_text().splitlines() if line.strip()]


def age_packs(board: Board, seconds: int = 7200):
    """Dates every file in the pack folder `seconds` into the past, past any grace period."""
    then = time.time() - seconds
    for path in board.packdir().iterdir():
        os.utime(path, (then, then))


@pytest.fixture(params=LAYOUTS)
def board(request, tmp_path) -> Board:
    """A fresh board repository, checked out and bare."""
    return Board(tmp_path, request.param)


@pytest.fixture
def checkout(tmp_path) -> Board:
    return Board(tmp_path, "checkout")


class Loop:
    """A command run over and over on a thread until stopped; keeps count and failures."""

    def __init__(self, name, step, pause=0.0):
        self.name, self.step, self.pause = name, step, pause
        self.stop = threading.Event()
        self.runs = 0
        self.failures: list[str] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)

    def _main(self):
        try:
            while not self.stop.is_set():
                problem = self.step()
                self.runs += 1
                if problem:
                    self.failures.append(problem)
                if self.pause:
                    self.stop.wait(self.pause * random.uniform(0.5, 1.5))
        except BaseException as error:  # noqa: BLE001 - reported by join
            self.error = error

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=180)
        if self.error:
            raise self.error

    def summary(self) -> str:
        first = f"; first failure:\n{self.failures[0]}" if self.failures else ""
        return f"{self.name}: {self.runs} runs, {len(self.failures)} failed{first}"


def run_threads(*targets):
    """Runs each callable on its own thread; re-raises the first exception."""
    errors = []

    def wrap(fn):
        try:
            fn()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=wrap, args=(fn,)) for fn in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if errors:
        raise errors[0]


@contextlib.asynccontextmanager
async def mcp_session(board: Board, principal: str = "bot"):
    """`tack mcp --as PRINCIPAL --repo DIR` through the official SDK's stdio client (mcp 1.x)."""
    from datetime import timedelta

    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=TACK, args=["mcp", "--as", principal, "--repo", str(board.dir)], env=dict(board.env)
    )
    with open(board.base / f"mcp-{principal}.stderr", "a") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write, read_timeout_seconds=timedelta(seconds=60)) as session:
                await session.initialize()
                yield session


def structured(result) -> dict | None:
    if result.isError or result.structuredContent is None:
        return None
    return result.structuredContent


def agent(board: Board, principal="bot"):
    """An agent that may create tasks and add notes on board main."""
    board.tack("scope", "add", principal, "--kind", "agent")
    board.tack("scope", "grant", principal, "--board", "main", "--can", "read,create,comment")
