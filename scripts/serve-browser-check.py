#!/usr/bin/env python3
"""The web board in a real browser: headless Debian `chromium` driven over the DevTools
protocol (`websocket-client` from PyPI). `make test` runs it through scripts/web-tests.sh
(which makes its venv; `make deps` installs chromium); by hand:

    python3 scripts/serve-browser-check.py --tack .build/debug/tack --out /tmp/serve-shots

It makes a board in a temporary repository, starts `tack serve --port 0`, opens the printed
URL and checks: the columns and seeded cards render; a move the rules refuse shows the
rule's message and writes nothing; a move by button is a commit authored by the local user;
a task added with the CLI appears in the page; a task waiting for an approval offers
Approve/Decline; an edit saved in the task's dialog is one commit. Screenshots at 1280 and 375 px go to --out. Exits 1 on a failed check.
"""
import argparse, base64, json, os, shutil, subprocess, sys, tempfile, time, urllib.request

try:
    import websocket  # websocket-client
except ImportError:
    sys.exit("serve-browser-check: needs websocket-client (pip install websocket-client)")

parser = argparse.ArgumentParser()
parser.add_argument("--tack", required=True)
parser.add_argument("--out", default="serve-shots")
parser.add_argument("--port", type=int, default=9339, help="chromium's DevTools port")
args = parser.parse_args()
tack = os.path.abspath(args.tack)
chromium = shutil.which("chromium") or sys.exit("serve-browser-check: needs chromium (apt-get install chromium)")
os.makedirs(args.out, exist_ok=True)
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


root = tempfile.mkdtemp(prefix="tack-serve-browser-")
repo = os.path.join(root, "repo")
os.mkdir(repo)
env = dict(os.environ, HOME=root, GIT_CONFIG_NOSYSTEM="1")
env = {k: v for k, v in env.items() if not k.startswith("TACK_")}


def sh(*argv):
    return subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=True).stdout.strip()


sh("git", "init", "-q")
sh("git", "config", "user.email", "ada@example.com")
sh("git", "config", "user.name", "Ada")
sh(tack, "init")
seeded = sh(tack, "add", "Seed demo tasks")
waiting = sh(tack, "add", "Write the docs", "--label", "docs")
sh(tack, "start", waiting)
sh(tack, "ask", waiting, "ship", "Ship the docs as they are?", "--approval")

server = subprocess.Popen([tack, "serve", "--port", "0"], cwd=repo, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
url = server.stdout.readline().strip()
profile = tempfile.mkdtemp(prefix="chromium-", dir=root)
browser = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                            f"--remote-debugging-port={args.port}", f"--user-data-dir={profile}",
                            "--window-size=1280,900", "about:blank"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(200):
        try:
            tabs = json.load(urllib.request.urlopen(f"http://127.0.0.1:{args.port}/json"))
            break
        except OSError:
            time.sleep(0.05)
    page = next(t for t in tabs if t["type"] == "page")
    ws = websocket.create_connection(page["webSocketDebuggerUrl"])
    counter = [0]

    def call(method, **params):
        counter[0] += 1
        ws.send(json.dumps({"id": counter[0], "method": method, "params": params}))
        while True:
            message = json.loads(ws.recv())
            if message.get("id") == counter[0]:
                return message.get("result", message)

    def js(expression):
        result = call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(expression, seconds=5):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if js(expression):
                return True
            time.sleep(0.02)
        return False

    def screenshot(name, width):
        call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=width < 600)
        time.sleep(0.3)
        data = call("Page.captureScreenshot")["data"]
        with open(os.path.join(args.out, name), "wb") as f:
            f.write(base64.b64decode(data))

    call("Page.enable")
    start = time.perf_counter()
    call("Page.navigate", url=url)
    check(wait_for("document.querySelectorAll('.card').length == 2"), "the seeded cards render")
    print(f"     board rendered {1000 * (time.perf_counter() - start):.0f} ms after navigating to the login URL")
    columns = js("[...document.querySelectorAll('.column')].map(c => c.getAttribute('aria-label')).join(',')")
    check(columns == "todo,working,input_required,completed,failed,cancelled", f"a column per status ({columns})")
    screenshot("board-1280.png", 1280)
    screenshot("board-375.png", 375)
    call("Emulation.clearDeviceMetricsOverride")

    commits = sh("git", "rev-list", "--count", "HEAD")
    js(f"write('task/{seeded}/move', {{status: 'failed'}}, '')")  # what a drop on 'failed' sends
    check(wait_for("document.getElementById('message').textContent.startsWith('Refused:')"), "an illegal move is refused visibly")
    message = js("document.getElementById('message').textContent")
    check("cannot move from todo to failed" in message, f"with the rule's message ({message})")
    check(sh("git", "rev-list", "--count", "HEAD") == commits, "and nothing is written")

    js("document.querySelector('.column[aria-label=todo] .card .moves button').click()")
    check(wait_for("document.querySelector('.column[aria-label=working] .card') !== null"), "a move by button shows")
    check(sh("git", "rev-list", "--count", "HEAD") == str(int(commits) + 1), "and is one commit")
    actor = sh("git", "log", "-1", "--format=%(trailers:key=Tack-Actor,valueonly)")
    check(actor == "person:ada@example.com", f"authored by the local user ({actor})")

    start = time.perf_counter()
    sh(tack, "add", "Added from the shell")
    check(wait_for("document.body.textContent.includes('Added from the shell')"), "a CLI change appears live")
    print(f"     visible {1000 * (time.perf_counter() - start):.0f} ms after starting tack add")

    js(f"openTask('{waiting}')")
    check(wait_for("document.getElementById('detail').open"), "a task opens")
    buttons = js("[...document.querySelectorAll('#detail button')].map(b => b.textContent).join(',')")
    check("Approve" in buttons and "Decline" in buttons, "an approval offers Approve and Decline")
    screenshot("task-1280.png", 1280)

    # Edit in the dialog: a new title saved is one commit, and the page shows it.
    before = sh("git", "rev-list", "--count", "HEAD")
    js("(() => { const t = document.querySelector('#detail input[aria-label=Title]');"
       " t.value = 'Write the docs, edited'; "
       "[...document.querySelectorAll('#detail button')].find(b => b.textContent === 'Save').click(); })()")
    check(wait_for("document.body.textContent.includes('Write the docs, edited')"), "an edit saved in the page shows")
    check(sh("git", "rev-list", "--count", "HEAD") == str(int(before) + 1), "and is one commit")
    ws.close()
finally:
    browser.terminate()
    browser.wait()
    server.terminate()
    server.wait()
    shutil.rmtree(root, ignore_errors=True)
check(server.returncode == 0, "tack serve exits 0 on SIGTERM")
print(f"screenshots in {args.out}")
sys.exit(1 if failures else 0)
