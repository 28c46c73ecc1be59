// The web board: plain HTML, CSS and JavaScript, served from the binary (no build step, no
// request to any other host). The page gets its CSRF token in a <meta> tag; app.js sends it
// back in X-Tack-CSRF with every write.

enum WebPage {
  enum LoginReason { case signedOut, usedOrWrong }

  static func login(reason: LoginReason) -> String {
    let message =
      switch reason {
      case .signedOut:
        "This board is private. Open the link <code>tack serve</code> printed in your terminal to sign in."
      case .usedOrWrong:
        "This sign-in link was already used, or is wrong. Stop <code>tack serve</code> and start it again for a new link."
      }
    return """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Tack: sign in</title><link rel="stylesheet" href="/app.css"></head>
      <body><main class="login"><h1>Tack</h1><p>\(message)</p></main></body></html>

      """
  }

  static func board(csrf: String) -> String {
    """
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="tack-csrf" content="\(csrf)">
    <title>Tack board</title><link rel="stylesheet" href="/app.css"></head>
    <body>
    <header>
      <h1>Tack</h1>
      <label>Board <select id="board"></select></label>
      <span id="live" class="live" aria-live="polite">connecting…</span>
    </header>
    <form id="create" class="create">
      <label for="new-title" class="hidden">New task title</label>
      <input id="new-title" placeholder="New task title" required maxlength="500">
      <input id="new-labels" placeholder="labels, comma separated" aria-label="Labels">
      <button type="submit">Add task</button>
    </form>
    <p id="message" class="message" role="alert"></p>
    <main id="columns" class="columns"></main>
    <dialog id="detail" aria-labelledby="detail-title">
      <form method="dialog" class="close"><button aria-label="Close">✕</button></form>
      <h2 id="detail-title"></h2>
      <div id="detail-body"></div>
    </dialog>
    <script src="/app.js"></script>
    </body></html>

    """
  }

  static let style = #"""
    :root { color-scheme: light dark; --bg: #f6f6f4; --fg: #1d1d1b; --card: #fff; --line: #d4d4cf;
      --muted: #66665f; --accent: #2456b3; --bad: #b3261e; --good: #1f7a3a; }
    @media (prefers-color-scheme: dark) {
      :root { --bg: #17181a; --fg: #e8e8e3; --card: #232528; --line: #3a3d41; --muted: #a5a59d;
        --accent: #8fb3ff; --bad: #ff8a80; --good: #7fd19b; } }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
    header, .create { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; padding: .5rem 1rem; }
    header h1 { font-size: 1.2rem; margin: 0 1rem 0 0; }
    input, select, button, textarea { font: inherit; color: inherit; background: var(--card);
      border: 1px solid var(--line); border-radius: 6px; padding: .3rem .5rem; }
    button { cursor: pointer; }
    button:focus-visible, input:focus-visible, select:focus-visible, .card:focus-visible {
      outline: 3px solid var(--accent); outline-offset: 1px; }
    #new-title { flex: 1 1 12rem; min-width: 0; }
    .hidden { position: absolute; left: -9999px; }
    .live { color: var(--muted); font-size: .85rem; }
    .message { margin: 0 1rem; min-height: 1.4em; color: var(--bad); }
    .message.ok { color: var(--good); }
    .columns { display: flex; gap: .75rem; padding: .5rem 1rem 2rem; overflow-x: auto; align-items: flex-start; }
    .column { flex: 1 1 0; min-width: 11rem; background: color-mix(in srgb, var(--bg) 70%, var(--line)); border-radius: 8px; padding: .5rem; }
    .column.drop { outline: 2px dashed var(--accent); }
    .column h2 { font-size: .95rem; margin: 0 0 .5rem; display: flex; justify-content: space-between; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; margin-bottom: .5rem; }
    .card .id { font-family: ui-monospace, monospace; color: var(--muted); font-size: .8rem; }
    .card .title { display: block; margin: .2rem 0; font-weight: 600; overflow-wrap: anywhere; color: var(--fg); }
    .meta { display: flex; flex-wrap: wrap; gap: .25rem; font-size: .8rem; color: var(--muted); }
    .tag { border: 1px solid var(--line); border-radius: 99px; padding: 0 .4rem; }
    .tag.blocked { color: var(--bad); border-color: var(--bad); }
    .tag.ready { color: var(--good); border-color: var(--good); }
    .tag.input { color: var(--accent); border-color: var(--accent); }
    .moves { display: flex; flex-wrap: wrap; gap: .25rem; margin-top: .4rem; }
    .moves button { font-size: .8rem; padding: .1rem .4rem; }
    dialog { width: min(40rem, 96vw); background: var(--card); color: var(--fg); border: 1px solid var(--line); border-radius: 8px; }
    dialog .close { float: right; }
    dialog textarea, dialog input { width: 100%; margin: .25rem 0; }
    .history { list-style: none; padding: 0; font-size: .85rem; }
    .history li { border-top: 1px solid var(--line); padding: .3rem 0; }
    .login { max-width: 30rem; margin: 4rem auto; padding: 1rem; }
    @media (max-width: 600px) {
      .columns { flex-direction: column; }
      .column { flex: 1 1 auto; width: 100%; min-width: 0; } }
    """#

  static let script = #"""
    "use strict";
    const csrf = document.querySelector('meta[name="tack-csrf"]').content;
    const $ = (id) => document.getElementById(id);
    let current = null;
    let detailId = null;

    function el(tag, attrs, ...children) {
      const node = document.createElement(tag);
      for (const [key, value] of Object.entries(attrs || {})) {
        if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
        else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
      }
      for (const child of children.flat()) {
        if (child !== null && child !== undefined) node.append(child.nodeType ? child : String(child));
      }
      return node;
    }

    function say(text, ok) {
      const message = $("message");
      message.textContent = text || "";
      message.className = ok ? "message ok" : "message";
    }

    async function api(method, path, body) {
      const options = { method, headers: { "X-Tack-CSRF": csrf }, credentials: "same-origin" };
      if (body !== undefined) {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      const response = await fetch("/api/" + path, options);
      const data = await response.json().catch(() => ({ error: "the server sent no JSON" }));
      if (!response.ok) throw new Error(data.error || response.statusText);
      return data;
    }

    async function write(path, body, done) {
      try {
        await api("POST", path, body || {});
        say(done, true);
        await load();
        if (detailId) await openTask(detailId);
      } catch (error) {
        say("Refused: " + error.message);
      }
    }

    async function loadBoards() {
      const data = await api("GET", "boards");
      const select = $("board");
      select.replaceChildren(...data.boards.map((b) => el("option", { value: b.name }, b.name)));
      const wanted = new URLSearchParams(location.hash.slice(1)).get("board");
      current = wanted || data.defaultBoard || (data.boards[0] && data.boards[0].name);
      select.value = current;
    }

    function card(task, column) {
      const tags = [];
      if (task.priority !== null) tags.push(el("span", { class: "tag" }, "P" + task.priority));
      for (const label of task.labels) tags.push(el("span", { class: "tag" }, label));
      if (task.assignee) tags.push(el("span", { class: "tag" }, "@" + task.assignee.replace(/^[a-z]+:/, "")));
      if (task.leaseExpiresAt) tags.push(el("span", { class: "tag", title: "lease expires" }, "lease until " + task.leaseExpiresAt.slice(11, 16) + " UTC"));
      if (task.blockedBy.length) tags.push(el("span", { class: "tag blocked", title: "waits for " + task.blockedBy.join(", ") }, "blocked"));
      if (task.ready) tags.push(el("span", { class: "tag ready" }, "ready"));
      if (task.pendingInput.length) tags.push(el("span", { class: "tag input" }, "needs input"));
      const moves = column.next.map((status) =>
        el("button", { type: "button", title: "Move to " + status,
          onclick: () => write("task/" + task.id + "/move", { status }, task.shortId + " moved to " + status) }, "→ " + status));
      return el("article", { class: "card", draggable: "true", "data-id": task.id,
          ondragstart: (event) => event.dataTransfer.setData("text/plain", task.id) },
        el("span", { class: "id" }, task.shortId),
        el("a", { class: "title", href: "#task=" + task.id, onclick: (event) => { event.preventDefault(); openTask(task.id); } }, task.title),
        el("div", { class: "meta" }, tags),
        el("div", { class: "moves" }, moves));
    }

    function render(board) {
      const columns = board.columns.map((column) => {
        const section = el("section", { class: "column", "aria-label": column.name },
          el("h2", {}, el("span", {}, column.name), el("span", { class: "count" }, column.count)),
          column.tasks.map((task) => card(task, column)));
        section.addEventListener("dragover", (event) => { event.preventDefault(); section.classList.add("drop"); });
        section.addEventListener("dragleave", () => section.classList.remove("drop"));
        section.addEventListener("drop", (event) => {
          event.preventDefault();
          section.classList.remove("drop");
          const id = event.dataTransfer.getData("text/plain");
          if (id) write("task/" + id + "/move", { status: column.name }, "moved to " + column.name);
        });
        return section;
      });
      $("columns").replaceChildren(...columns);
    }

    async function load() {
      if (!current) return;
      try {
        render(await api("GET", "board/" + encodeURIComponent(current)));
      } catch (error) {
        say(error.message);
      }
    }

    async function openTask(id) {
      detailId = id;
      let data;
      try { data = await api("GET", "task/" + encodeURIComponent(id)); }
      catch (error) { say(error.message); return; }
      const task = data.task;
      $("detail-title").textContent = (data.shortId || id) + " " + task.title;
      const parts = [
        el("p", {}, "Status: " + task.status + (task.assignee ? " · assigned to " + task.assignee : "")),
        task.description ? el("p", {}, task.description) : null,
        el("div", { class: "moves" },
          data.next.map((status) => el("button", { type: "button",
            onclick: () => write("task/" + id + "/move", { status }, "moved to " + status) }, "→ " + status)),
          el("button", { type: "button", onclick: () => write("task/" + id + "/claim", {}, "claimed") }, "Claim")),
      ];
      const requests = task.inputRequests || {};
      const responses = task.inputResponses || {};
      for (const key of Object.keys(requests)) {
        if (key in responses) continue;
        const request = requests[key];
        const field = el("input", { "aria-label": "Answer " + key, placeholder: "your answer" });
        const answer = (value) => write("task/" + id + "/answer", { responses: { [key]: value } }, "answered " + key);
        const controls = request.type === "confirmation"
          ? [el("button", { type: "button", onclick: () => answer({ confirmed: true }) }, "Approve"),
             el("button", { type: "button", onclick: () => answer({ confirmed: false }) }, "Decline")]
          : [field, el("button", { type: "button", onclick: () => answer({ text: field.value }) }, "Answer")];
        parts.push(el("section", { class: "input" }, el("h3", {}, "Input requested: " + key),
          el("p", {}, request.message), controls));
      }
      // Edit: title, description, labels (the set as typed) and priority, in one form.
      const editTitle = el("input", { "aria-label": "Title", value: task.title });
      const editDescription = el("textarea", { "aria-label": "Description", rows: "3" });
      editDescription.value = task.description || "";
      const editLabels = el("input", { "aria-label": "Labels, comma separated", value: (task.labels || []).join(", ") });
      const editPriority = el("select", { "aria-label": "Priority" },
        ["0 critical", "1 high", "2 medium", "3 low", "4 backlog"].map((name, value) =>
          el("option", { value: String(value) }, name)));
      editPriority.value = String(task.priority ?? 2);
      const save = () => {
        const wanted = editLabels.value.split(",").map((s) => s.trim()).filter(Boolean);
        const had = task.labels || [];
        const body = {
          addLabels: wanted.filter((label) => !had.includes(label)),
          removeLabels: had.filter((label) => !wanted.includes(label)),
        };
        if (editTitle.value.trim() !== task.title) body.title = editTitle.value.trim();
        if (editDescription.value !== (task.description || "")) body.description = editDescription.value;
        if (Number(editPriority.value) !== (task.priority ?? 2)) body.priority = Number(editPriority.value);
        write("task/" + id + "/edit", body, "saved");
      };
      parts.push(el("section", { class: "edit" }, el("h3", {}, "Edit"), editTitle, editDescription,
        editLabels, editPriority, el("button", { type: "button", onclick: save }, "Save")));
      const note = el("textarea", { "aria-label": "Note", rows: "2", placeholder: "Add a note" });
      parts.push(note, el("button", { type: "button",
        onclick: () => note.value.trim() && write("task/" + id + "/note", { text: note.value }, "note added") }, "Add note"));
      const notes = task.notes || [];
      if (notes.length) parts.push(el("h3", {}, "Notes"), el("ul", {}, notes.map((n) => el("li", {}, n.by + ": " + n.text))));
      parts.push(el("h3", {}, "History"), el("ol", { class: "history" }, data.history.map((entry) =>
        el("li", {}, el("code", {}, entry.commit.slice(0, 8)), " ", entry.at.slice(0, 16).replace("T", " "), " ",
          entry.actor || entry.author.name, ": ", entry.subject))));
      $("detail-body").replaceChildren(...parts.filter(Boolean));
      if (!$("detail").open) $("detail").showModal();
    }

    $("detail").addEventListener("close", () => { detailId = null; });
    $("board").addEventListener("change", (event) => {
      current = event.target.value;
      location.hash = "board=" + encodeURIComponent(current);
      load();
    });
    $("create").addEventListener("submit", async (event) => {
      event.preventDefault();
      const title = $("new-title").value.trim();
      if (!title) return;
      const labels = $("new-labels").value.split(",").map((s) => s.trim()).filter(Boolean);
      try {
        const data = await api("POST", "tasks", { title, board: current, labels });
        $("new-title").value = "";
        $("new-labels").value = "";
        say("added " + data.task.title, true);
        await load();
      } catch (error) {
        say("Refused: " + error.message);
      }
    });

    function listen() {
      const events = new EventSource("/api/events");
      events.addEventListener("hello", () => { $("live").textContent = "live"; });
      events.addEventListener("change", () => { load(); if (detailId) openTask(detailId); });
      events.onerror = () => { $("live").textContent = "reconnecting…"; };
    }

    // #task=ID opens that task once the board is shown (a link to it can be shared locally).
    const linked = new URLSearchParams(location.hash.slice(1)).get("task");
    loadBoards().then(load).then(listen).then(() => linked && openTask(linked))
      .catch((error) => say(error.message));
    """#
}
