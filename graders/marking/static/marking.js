// The marking page's one script: saving marks, rubric items, conflicts and keyboard shortcuts.
// No inline script anywhere (the Content-Security-Policy forbids it); data comes from data-*.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  const markerBox = $("marker");
  markerBox.value = localStorage.getItem("nngrader-marker") || "";
  markerBox.addEventListener("change", () => localStorage.setItem("nngrader-marker", markerBox.value.trim()));
  const marker = () => markerBox.value.trim() || "anonymous";

  async function post(url, data) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(Object.assign({ marker: marker() }, data)),
    });
    let body = {};
    try { body = await response.json(); } catch (e) { body = { error: response.statusText }; }
    return { status: response.status, body: body };
  }

  const help = $("help");
  function toggleHelp(show) { help.hidden = show === undefined ? !help.hidden : !show; }
  $("help-button").addEventListener("click", () => toggleHelp());

  const page = $("marking");
  let pending = null;  // the save waiting for the marker's choice after a conflict
  let rubricKey = false;

  function fmt(value) { return value === null || value === undefined ? "" : String(+value.toFixed(4)); }
  function go(url) { if (url) window.location.assign(url); }
  function say(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.className = "status " + (kind || "");
  }

  function showSaved(body) {
    const mark = body.mark;
    page.dataset.version = mark.version;
    $("final").textContent = "→ " + fmt(mark.marks);
    $("total").textContent = fmt(body.totals.total);
    $("by-hand").textContent = fmt(body.totals.by_hand);
    const current = document.querySelector(".roster li.current");
    if (current) { current.classList.add("done"); current.lastElementChild.textContent = fmt(mark.marks); }
    document.querySelectorAll(".rubric-item").forEach((box) => {
      box.checked = mark.items.includes(+box.dataset.item);
    });
    const group = $("group");
    if (group) {  // the group's versions include this student's, now one newer
      const versions = JSON.parse(group.dataset.versions);
      if (page.dataset.student in versions) versions[page.dataset.student] = mark.version;
      group.dataset.versions = JSON.stringify(versions);
    }
    $("conflict").hidden = true;
    say("saved " + fmt(mark.marks) + " by " + mark.marker, "ok");
  }

  function showConflict(body, retry) {
    const current = body.current;
    let text = body.error;
    if (current) {
      text += " (at " + current.entered_at.replace("T", " ").replace("+00:00", " UTC") + ")" +
        (current.note ? ' with the comment "' + current.note + '"' : "");
    }
    text += ". Yours: " + fmt(+$("marks").value) + ".";
    $("conflict-text").textContent = text;
    $("conflict").hidden = false;
    $("overwrite").focus();  // out of the marks box, so o and t answer the conflict
    pending = { retry: retry, version: current ? current.version : 0 };
    say("not saved: conflict", "bad");
  }

  async function send(url, data, after) {
    const result = await post(url, data);
    if (result.status === 200) { showSaved(result.body); if (after) after(); }
    else if (result.status === 409) { showConflict(result.body, (version) => send(url, Object.assign({}, data, { version: version }), after)); }
    else { say(result.body.error || ("error " + result.status), "bad"); }
    return result.status;
  }

  function save(advance) {
    const marks = $("marks").value.trim();
    if (marks === "") { say("type the marks first", "bad"); $("marks").focus(); return; }
    send("/api/mark", {
      student: page.dataset.student, part: page.dataset.part, marks: marks,
      note: $("note").value, version: +page.dataset.version,
    }, advance ? () => go(page.dataset.next) : null);
  }

  function toggleItem(box) {
    send("/api/rubric/apply", {
      student: page.dataset.student, item: +box.dataset.item, applied: box.checked,
      version: +page.dataset.version,
    });
  }

  async function markGroup() {
    const group = $("group");
    const marks = $("marks").value.trim();
    if (!group) { say("no other student gave the same answer", "bad"); return; }
    if (marks === "") { say("type the marks first", "bad"); $("marks").focus(); return; }
    const result = await post("/api/group", {
      part: page.dataset.part, marks: marks, note: $("note").value,
      versions: JSON.parse(group.dataset.versions),
    });
    if (result.status === 200) { window.location.reload(); return; }
    const names = (result.body.conflicts || []).map((c) => c.student).join(", ");
    say(result.body.error || ("marked " + result.body.marked.length + "; someone else changed " + names + " first, left as they are"), "bad");
  }

  if (page) {
    $("save").addEventListener("click", () => save(false));
    $("overwrite").addEventListener("click", () => { if (pending) pending.retry(pending.version); });
    $("keep").addEventListener("click", () => window.location.reload());
    document.querySelectorAll(".rubric-item").forEach((box) => box.addEventListener("change", () => toggleItem(box)));
    const groupButton = $("mark-group");
    if (groupButton) groupButton.addEventListener("click", markGroup);
    $("add-item").addEventListener("click", async () => {
      const result = await post("/api/rubric/new", {
        part: page.dataset.part, name: $("item-name").value, delta: $("item-delta").value,
        comment: $("item-comment").value,
      });
      if (result.status === 200) window.location.reload(); else say(result.body.error, "bad");
    });
    document.querySelectorAll(".edit-item").forEach((button) => button.addEventListener("click", () => {
      const input = document.createElement("input");
      input.size = 5; input.value = button.dataset.delta; input.className = "edit-delta";
      input.title = "new marks for this item; Enter saves and updates every student who has it";
      button.replaceWith(input);
      input.focus(); input.select();
      input.addEventListener("keydown", async (event) => {
        if (event.key !== "Enter") return;
        event.preventDefault();
        const result = await post("/api/rubric/" + button.dataset.item, { delta: input.value });
        if (result.status === 200) window.location.reload(); else say(result.body.error, "bad");
      });
    }));
  }

  function typing(target) {
    return target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA");
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.metaKey) return;
    const target = event.target;
    if (event.key === "Escape") { toggleHelp(false); if (typing(target)) target.blur(); rubricKey = false; return; }
    if (page && target.id === "marks" && event.key === "Enter") { event.preventDefault(); save(true); return; }
    if (page && target.id === "note" && event.key === "Enter" && event.ctrlKey) { event.preventDefault(); save(false); return; }
    if (typing(target) || event.ctrlKey) return;
    if (event.key === "?") { toggleHelp(); return; }
    if (event.key === "p") { go("/progress"); return; }
    const whole = $("whole");
    if (whole && (event.key === "j" || event.key === "k")) {
      go(event.key === "j" ? whole.dataset.next : whole.dataset.previous);
      return;
    }
    if (!page) return;
    if (rubricKey) {
      rubricKey = false;
      const boxes = document.querySelectorAll(".rubric-item");
      const number = parseInt(event.key, 10);
      if (number >= 1 && number <= boxes.length) {
        event.preventDefault();
        const box = boxes[number - 1];
        box.checked = !box.checked;
        toggleItem(box);
      } else { say("no rubric item " + event.key, "bad"); }
      return;
    }
    if (/^[0-9.]$/.test(event.key)) {
      event.preventDefault();
      $("marks").value = event.key;
      $("marks").focus();
      return;
    }
    const actions = {
      j: () => go(page.dataset.next), k: () => go(page.dataset.previous),
      n: () => page.dataset.nextUnmarked ? go(page.dataset.nextUnmarked) : say("every student has a mark for this part", "ok"),
      s: () => go(page.dataset.studentPage),
      c: () => $("note").focus(), g: markGroup, Enter: () => save(true),
      r: () => { rubricKey = true; say("rubric item number?", ""); },
      o: () => { if (pending && !$("conflict").hidden) pending.retry(pending.version); },
      t: () => { if (!$("conflict").hidden) window.location.reload(); },
    };
    if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
  });
})();
