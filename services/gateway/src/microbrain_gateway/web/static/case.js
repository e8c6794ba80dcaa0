// Case detail: facts, SLA deadlines, evidence, timeline, and the desk's actions (assign, call, move, note).
(function () {
  "use strict";
  const grid = MB.grid, caseId = MB.caseId;
  const S = { c: null, timeline: [], dispatch: {}, units: [], snaps: {} };
  const $ = (id) => document.getElementById(id);
  const base = MB.gridPath(grid, "/cases/" + encodeURIComponent(caseId));
  const NEXT = {
    CASE_STATE_ASSIGNED: ["CASE_STATE_ACKNOWLEDGED"],
    CASE_STATE_ACKNOWLEDGED: ["CASE_STATE_ON_SITE"],
    CASE_STATE_ON_SITE: ["CASE_STATE_RESOLVED"],
    CASE_STATE_RESOLVED: ["CASE_STATE_CLOSED", "CASE_STATE_REOPENED"],
    CASE_STATE_CLOSED: ["CASE_STATE_REOPENED"],
    CASE_STATE_CANCELLED: ["CASE_STATE_REOPENED"],
  };
  const ASSIGNABLE = ["CASE_STATE_OPENED", "CASE_STATE_REOPENED", "CASE_STATE_ASSIGNED"];

  function renderHead() {
    const c = S.c, d = MB.isOpen(c) ? MB.nextDeadline(c) : null;
    $("case-head").innerHTML = '<a class="btn small ghost" href="/grids/' + encodeURIComponent(grid) + '">← ' + MB.t("case.back") +
      '</a><span class="badge sev sev-' + MB.esc(c.severity) + '">' + MB.esc(MB.label("sev", c.severity)) + "</span>" +
      "<div><h1>" + MB.esc(c.title || MB.label("type", c.case_type)) + '</h1><div class="ids">' + MB.esc(c.case_id) + " · " +
      MB.esc(c.grid_id) + '</div></div><div class="right"><span class="badge state" id="case-state" data-state="' + MB.esc(c.state) +
      '">' + MB.esc(MB.label("state", c.state)) + "</span>" + (d ? '<div style="text-align:right"><div class="muted" style="font-size:.8rem">' +
      MB.esc(MB.t("card.due", { stage: MB.label("stage", d.stage) })) + '</div><div class="big" id="head-countdown">' +
      MB.countdownHtml(d.due_at) + "</div></div>" : "") + "</div>";
  }

  function renderInfo() {
    const c = S.c;
    const row = (k, v) => "<dt>" + MB.t(k) + "</dt><dd>" + v + "</dd>";
    const esc = Number(c.escalation_level) > 0 ? MB.esc(MB.t("case.escalation.level", { n: c.escalation_level, to: c.escalated_to || "" }))
      : '<span class="dim">' + MB.t("case.escalation.none") + "</span>";
    const order = ["STAGE_DISCOVER", "STAGE_ASSIGN", "STAGE_ACKNOWLEDGE", "STAGE_ARRIVE", "STAGE_RESOLVE", "STAGE_CLOSE"];
    const sorted = (c.deadlines || []).slice().sort((a, b) => order.indexOf(a.stage) - order.indexOf(b.stage));
    const deadlines = sorted.map((d) => "<tr><td>" + MB.esc(MB.label("stage", d.stage)) + '</td><td class="mono">' +
      MB.fmtTime(d.due_at, true) + '</td><td class="ds-' + MB.esc(d.status) + '">' + MB.esc(MB.label("dstatus", d.status)) + "</td><td>" +
      (d.status === "STATUS_PENDING" && d.due_at ? MB.countdownHtml(d.due_at) : '<span class="mono dim">' + MB.fmtTime(d.done_at, true) +
      "</span>") + "</td></tr>").join("");
    const evidence = (c.evidence || []).map((e) => "<figure>" + ((e.content_type || "image/").startsWith("image/")
      ? '<img alt="" data-evidence="' + MB.esc(e.key) + '">' : '<div class="empty">' + MB.esc(e.content_type) + "</div>") +
      "<figcaption>" + MB.fmtTime(e.captured_at, true) + (e.video_url ? ' · <a href="' + MB.esc(e.video_url) +
      '" target="_blank" rel="noopener">▶</a>' : "") + "</figcaption></figure>").join("");
    $("case-info").innerHTML = '<dl class="kv">' +
      row("case.type", MB.esc(MB.label("type", c.case_type)) + ' <span class="dim mono">' + MB.esc(c.case_type) + "</span>") +
      row("case.place", MB.esc(c.place_id || "—")) +
      row("case.device", MB.esc((c.device && c.device.device_id) || "—")) +
      row("case.occurred", '<span class="mono">' + MB.fmtTime(c.occurred_at, true) + "</span>") +
      row("case.opened", '<span class="mono">' + MB.fmtTime(c.opened_at, true) + "</span>") +
      row("case.assignee", '<span id="case-assignee">' + MB.esc(c.assignee || "—") + "</span>") +
      row("case.occurrences", MB.esc(c.occurrences || 1)) +
      row("case.escalation", esc) +
      (c.description ? row("case.description", MB.esc(c.description)) : "") +
      (c.video_url ? row("case.video", '<a href="' + MB.esc(c.video_url) + '" target="_blank" rel="noopener">' + MB.esc(c.video_url) + "</a>") : "") +
      '</dl><div class="section-title">' + MB.t("case.deadlines") + '</div><table class="deadlines"><thead><tr><th>' +
      MB.t("case.deadline.stage") + "</th><th>" + MB.t("case.deadline.due") + "</th><th>" + MB.t("case.deadline.status") + "</th><th>" +
      MB.t("case.deadline.left") + "</th></tr></thead><tbody>" + deadlines + '</tbody></table><div class="section-title">' +
      MB.t("case.evidence") + '</div><div class="evidence" id="evidence">' + (evidence || '<div class="empty">' + MB.t("case.evidence.empty") +
      "</div>") + "</div>";
    $("case-info").querySelectorAll("img[data-evidence]").forEach((img) => {
      const key = img.dataset.evidence;
      if (!S.snaps[key]) S.snaps[key] = MB.blobUrl(MB.evidenceUrl(grid, key, c.case_id));
      S.snaps[key].then((url) => { img.src = url; }).catch(() => {});
    });
    MB.tick();
  }

  function renderTimeline() {
    const items = S.timeline.slice().sort((a, b) => new Date(b.at) - new Date(a.at));
    $("timeline").innerHTML = items.map((ch) => {
      const detail = [];
      if (ch.to_state && ch.to_state !== "CASE_STATE_UNSPECIFIED" && ch.action !== "note") detail.push("→ " + MB.label("state", ch.to_state));
      if (ch.stage && ch.stage !== "STAGE_UNSPECIFIED") detail.push(MB.label("stage", ch.stage));
      if (ch.escalation_level) detail.push(MB.t("case.escalation.level", { n: ch.escalation_level, to: "" }));
      if (ch.reason) detail.push(ch.reason);
      if (ch.note) detail.push(ch.note);
      return '<li class="a-' + MB.esc(ch.action) + '"><div class="when">' + MB.fmtTime(ch.at, true) + " · " + MB.esc(ch.actor || "") +
        '</div><div class="what">' + MB.esc(MB.label("action", ch.action)) + '</div><div class="detail">' + MB.esc(detail.join(" · ")) +
        "</div></li>";
    }).join("");
  }

  function renderActions() {
    const c = S.c;
    const sel = $("assign-unit");
    const current = sel.value;
    sel.innerHTML = '<option value="">' + MB.t("case.assign.pick") + "</option>" + S.units.map((u) => '<option value="' +
      MB.esc(u.unit_id) + '">' + MB.esc(u.unit_id + " · " + (u.members || []).join("、") + " · " + MB.label("unitstatus", u.status)) +
      "</option>").join("");
    sel.value = current;
    const canAssign = ASSIGNABLE.includes(c.state);
    sel.disabled = !canAssign; $("assign-submit").disabled = !canAssign;
    $("call-btn").disabled = !MB.isOpen(c);
    $("next-states").innerHTML = (NEXT[c.state] || []).map((st) => '<button class="btn" data-to="' + st + '">' +
      MB.esc(MB.label("to", st)) + "</button>").join("") || '<span class="dim">—</span>';
    const a = (S.dispatch.assignments || []).map((x) => '<div class="station"><span class="mono">' + MB.esc(x.unit_id) + "</span> · " +
      MB.esc(x.status) + '<div class="dim" style="font-size:.8rem">' + MB.esc(x.reason || "") + "</div></div>");
    const l = (S.dispatch.linkages || []).map((x) => '<div class="station"><span class="mono">' + MB.esc(x.device_id) + " " +
      MB.esc(x.command) + "</span> · " + MB.esc(x.status) + "</div>");
    $("dispatch").innerHTML = a.concat(l).join("") || '<span class="dim">' + MB.t("case.dispatch.empty") + "</span>";
  }

  function renderAll() { renderHead(); renderInfo(); renderTimeline(); renderActions(); }

  async function load() {
    const reply = await MB.api(base);
    S.c = reply.case; S.timeline = reply.timeline || []; S.dispatch = reply.dispatch || {};
    renderAll();
  }

  async function act(fn, button) {
    if (button) button.disabled = true;
    try { await fn(); await load(); } catch (e) {
      if (e.status !== 401) MB.toast(MB.t("error.action", { msg: e.message }), true);
    } finally { if (button) button.disabled = false; renderActions(); }
  }

  document.querySelector("#call-btn .phone").outerHTML = MB.ICON_PHONE;

  MB.boot(async () => {
    await MB.requireUser();
    await load();
    S.units = ((await MB.api(MB.gridPath(grid, "/units")).catch(() => ({ units: [] }))).units) || [];
    renderActions();
    $("assign-submit").addEventListener("click", (ev) => {
      const unit = $("assign-unit").value;
      if (!unit) { $("assign-unit").focus(); return; }
      act(async () => {
        await MB.post(base + "/transition", { to_state: "CASE_STATE_ASSIGNED", assignee: unit, reason: "" });
        MB.toast(MB.t("case.assign.done", { u: unit }));
      }, ev.currentTarget);
    });
    $("call-btn").addEventListener("click", (ev) => act(async () => {
      const reply = await MB.post(MB.gridPath(grid, "/calls"), { case_id: caseId, unit_ids: S.c.assignee ? [S.c.assignee] : [], radius_m: 800 });
      const units = ((reply.call || {}).unit_ids || []).join("、");
      MB.toast(units ? MB.t("call.started", { units }) : MB.t("call.none"));
    }, ev.currentTarget));
    $("next-states").addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-to]");
      if (!b) return;
      act(() => MB.post(base + "/transition", { to_state: b.dataset.to, reason: $("note-text").value.trim() }), b);
    });
    $("note-submit").addEventListener("click", (ev) => {
      const text = $("note-text").value.trim();
      if (!text) { $("note-text").focus(); return; }
      act(async () => { await MB.post(base + "/notes", { text }); $("note-text").value = ""; }, ev.currentTarget);
    });
    MB.events([grid], {
      case(d) { if (d.case && d.case.case_id === caseId) load().catch(() => {}); },
    });
    document.addEventListener("mb:lang", renderAll);
  });
})();
