// 一屏管方圆: one grid's live alarms, case board with SLA clocks, schematic map and field units.
(function () {
  "use strict";
  const grid = MB.grid;
  const S = { cases: {}, units: {}, devices: [], feed: [], snaps: {}, map: null, name: grid };
  const $ = (id) => document.getElementById(id);
  const COLUMNS = [
    ["CASE_STATE_OPENED", ["CASE_STATE_OPENED", "CASE_STATE_REOPENED"]],
    ["CASE_STATE_ASSIGNED", ["CASE_STATE_ASSIGNED"]],
    ["CASE_STATE_ACKNOWLEDGED", ["CASE_STATE_ACKNOWLEDGED"]],
    ["CASE_STATE_ON_SITE", ["CASE_STATE_ON_SITE"]],
    ["CASE_STATE_RESOLVED", ["CASE_STATE_RESOLVED"]],
  ];
  const casePath = (c) => "/grids/" + encodeURIComponent(grid) + "/cases/" + encodeURIComponent(c.case_id);

  // Evidence images need the token: fetch each once and show it from a blob URL.
  // A live alarm's snapshot is shown once its case is known (evidence is fetched by case); until then, a placeholder.
  function caseOf(a) {
    if (a.case_id) return a.case_id;
    const id = a.meta && a.meta.event_id;
    const c = id && Object.values(S.cases).find((x) => (x.alarm_ids || []).includes(id));
    return c ? c.case_id : "";
  }
  function loadSnaps(root) {
    root.querySelectorAll("img[data-evidence]").forEach((img) => {
      const key = img.dataset.evidence;
      if (!S.snaps[key]) S.snaps[key] = MB.blobUrl(MB.evidenceUrl(grid, key, img.dataset.case));
      S.snaps[key].then((url) => { img.src = url; }).catch(() => { img.replaceWith(noSnap()); });
    });
  }
  function noSnap() {
    const d = document.createElement("div");
    d.className = "snap none"; d.textContent = MB.t("grid.nosnap");
    return d;
  }

  function feedCard(item, isNew) {
    const a = item;
    const ev = (a.evidence || []).find((e) => (e.content_type || "image/").startsWith("image/"));
    const time = (a.meta && a.meta.occurred_at) || a.occurred_at || a.opened_at;
    const type = a.type || a.case_type;
    const caseId = caseOf(a);
    const snap = ev && caseId
      ? '<img class="snap" alt="" data-evidence="' + MB.esc(ev.key) + '" data-case="' + MB.esc(caseId) + '">'
      : '<div class="snap none">' + MB.t(ev ? "grid.snap.pending" : "grid.nosnap") + "</div>";
    const link = a.case_id ? ' href="' + casePath(a) + '"' : "";
    return '<div class="alarm-card sev-' + MB.esc(a.severity) + (isNew ? " new" : "") + '" data-alarm="' +
      MB.esc((a.meta && a.meta.event_id) || a.case_id) + '">' + snap + '<div><div class="title">' +
      (link ? "<a" + link + ' style="color:inherit">' : "") + MB.esc(a.title || MB.label("type", type)) + (link ? "</a>" : "") +
      '</div><div class="sub"><span class="mono">' + MB.fmtTime(time) + "</span> · " + MB.esc(MB.label("type", type)) +
      '</div><div class="sub"><span class="badge sev">' + MB.esc(MB.label("sev", a.severity)) + "</span></div></div></div>";
  }
  function renderFeed() {
    const box = $("alarm-feed");
    $("feed-count").textContent = S.feed.length ? String(S.feed.length) : "";
    box.innerHTML = S.feed.length ? S.feed.slice(0, 40).map((x) => feedCard(x.a, x.isNew)).join("")
      : '<div class="empty">' + MB.t("grid.feed.empty") + "</div>";
    S.feed.forEach((x) => { x.isNew = false; });
    loadSnaps(box);
  }

  function caseCard(c, flash) {
    const d = MB.nextDeadline(c);
    const sla = d ? '<div class="sla"><span>' + MB.esc(MB.t("card.due", { stage: MB.label("stage", d.stage) })) + "</span>" +
      MB.countdownHtml(d.due_at) + "</div>" : '<div class="sla"><span>' + MB.t("card.nodue") + "</span></div>";
    const meta = ['<span class="badge sev">' + MB.esc(MB.label("sev", c.severity)) + "</span>",
      '<span class="mono">' + MB.esc(c.case_id) + "</span>"];
    if (c.assignee) meta.push("<span>" + MB.esc(MB.t("card.assignee", { a: c.assignee })) + "</span>");
    if (Number(c.occurrences) > 1) meta.push("<span>" + MB.esc(MB.t("card.repeats", { n: c.occurrences })) + "</span>");
    if (Number(c.escalation_level) > 0) meta.push('<span class="badge sev sev-SEVERITY_CRITICAL">↑' + c.escalation_level + "</span>");
    const open = MB.isOpen(c);
    return '<div class="case-card sev-' + MB.esc(c.severity) + (flash ? " flash" : "") + '" data-case="' + MB.esc(c.case_id) +
      '"><a class="title" href="' + casePath(c) + '">' + MB.esc(c.title || MB.label("type", c.case_type)) + "</a>" +
      '<div class="meta">' + meta.join("") + "</div>" + (open ? sla : "") + '<div class="actions">' +
      (open ? '<button class="btn small call" data-call="' + MB.esc(c.case_id) + '">' + MB.ICON_PHONE + " " + MB.t("card.call") + "</button>" : "") +
      '<a class="btn small" href="' + casePath(c) + '">' + MB.t("card.open") + "</a></div></div>";
  }
  function renderBoard(flashId) {
    const all = Object.values(S.cases);
    $("board-meta").textContent = MB.t("grid.board.meta", { n: all.filter(MB.isOpen).length });
    $("board").innerHTML = COLUMNS.map(([key, states]) => {
      const cards = all.filter((c) => states.includes(c.state)).sort((a, b) => {
        const da = MB.nextDeadline(a), db = MB.nextDeadline(b);
        if (da && db) return new Date(da.due_at) - new Date(db.due_at);
        return da ? -1 : db ? 1 : new Date(b.updated_at || 0) - new Date(a.updated_at || 0);
      });
      return '<div class="col" data-state="' + key + '"><div class="col-head"><i class="st-' + key + '"></i>' +
        MB.esc(MB.label("state", key)) + '<span class="count">' + cards.length + '</span></div><div class="cards">' +
        (cards.length ? cards.map((c) => caseCard(c, c.case_id === flashId)).join("") : '<div class="empty">' + MB.t("grid.col.empty") + "</div>") +
        "</div></div>";
    }).join("");
    MB.tick();
    if (S.map) S.map.setCases(all);
  }

  function renderUnits() {
    const units = Object.values(S.units).sort((a, b) => a.unit_id.localeCompare(b.unit_id));
    $("units-meta").textContent = units.filter((u) => u.status === "UNIT_STATUS_AVAILABLE").length + " / " + units.length;
    $("units").innerHTML = units.length ? units.map((u) => '<div class="unit-row" data-unit="' + MB.esc(u.unit_id) + '">' +
      '<span class="id">' + MB.esc(u.unit_id) + '</span><div><div>' + MB.esc((u.members || []).join("、")) + '</div><div class="sub">' +
      MB.esc((u.skills || []).join(" · ")) + (u.case_id ? " · " + MB.esc(u.case_id) : "") + (u.position_at ? " · " +
      MB.fmtTime(u.position_at) : "") + '</div></div><span class="badge us-' + MB.esc(u.status) + '">' +
      MB.esc(MB.label("unitstatus", u.status)) + "</span></div>").join("")
      : '<div class="empty">' + MB.t("grid.units.empty") + "</div>";
  }

  async function call(caseId, button) {
    button.disabled = true;
    try {
      const reply = await MB.post(MB.gridPath(grid, "/calls"), { case_id: caseId, unit_ids: [], radius_m: 800 });
      const units = ((reply.call || {}).unit_ids || []).join("、");
      MB.toast(units ? MB.t("call.started", { units }) : MB.t("call.none"));
    } catch (e) {
      if (e.status !== 401) MB.toast(MB.t("error.action", { msg: e.message }), true);
    } finally { button.disabled = false; }
  }

  MB.boot(async () => {
    await MB.requireUser();
    const states = MB.OPEN_STATES.concat(["CASE_STATE_RESOLVED"]).map((s) => "state=" + s).join("&");
    const [cases, units, devices, grids, alarms] = await Promise.all([
      MB.api(MB.gridPath(grid, "/cases?" + states + "&page_size=500")),
      MB.api(MB.gridPath(grid, "/units")),
      MB.api(MB.gridPath(grid, "/devices")).catch((e) => { if (e.status === 403 || e.status === 401) throw e; return { devices: [] }; }),
      MB.api("/api/v1/grids"),
      MB.api(MB.gridPath(grid, "/alarms?hours=24&limit=40")).catch(() => null),
    ]);
    const me = (grids.grids || []).find((g) => g.grid_id === grid);
    S.name = (me && me.name) || grid;
    $("grid-name").textContent = S.name;
    for (const c of cases.cases || []) S.cases[c.case_id] = c;
    for (const u of units.units || []) S.units[u.unit_id] = u;
    S.devices = devices.devices || [];
    // The last day's alarms (newest first; live ones go on top), or the open cases when the alarm list is not there.
    S.feed = alarms ? (alarms.alarms || []).map((a) => ({ a }))
      : Object.values(S.cases).filter(MB.isOpen).sort((a, b) => new Date(b.opened_at) - new Date(a.opened_at))
        .map((c) => ({ a: c }));
    const legend = document.createElement("div");
    legend.className = "map-legend";
    const drawMap = () => {
      S.map = MB.map.gridMap($("map"), { devices: S.devices, units: Object.values(S.units), cases: Object.values(S.cases) });
      $("map").appendChild(legend);
    };
    drawMap();
    let timer = null;
    window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(drawMap, 150); });
    const renderLegend = () => {
      legend.innerHTML = '<span><i style="background:#22d3ee"></i>' + MB.t("map.device") + '</span><span><i style="background:#22c55e"></i>' +
        MB.t("map.unit") + '</span><span><i style="background:#f43f5e"></i>' + MB.t("map.case") + "</span>";
    };
    renderLegend();
    renderFeed(); renderBoard(); renderUnits();

    $("board").addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-call]");
      if (b) call(b.dataset.call, b);
    });
    MB.events([grid], {
      alarm(d) {
        if (d.grid_id !== grid) return;
        S.feed.unshift({ a: d.alarm || {}, isNew: true });
        renderFeed();
      },
      case(d) {
        if (!d.case || d.case.grid_id !== grid) return;
        S.cases[d.case.case_id] = d.case;
        renderBoard(d.case.case_id);
        // A live alarm waiting for its case gets its snapshot now.
        const ids = d.case.alarm_ids || [];
        if (S.feed.some((x) => !x.a.case_id && x.a.meta && ids.includes(x.a.meta.event_id))) renderFeed();
      },
      unit(d) {
        if (d.grid_id !== grid) return;
        const u = (S.units[d.unit_id] = S.units[d.unit_id] || { unit_id: d.unit_id, grid_id: grid });
        u.position = d.position; u.position_at = d.at;
        S.map.setUnit(d.unit_id, d.position, u.status);
        renderUnits();
      },
    });
    // Unit status (available, en route…) changes with dispatch: refresh the list now and then.
    setInterval(() => MB.api(MB.gridPath(grid, "/units")).then((r) => {
      for (const u of r.units || []) {
        S.units[u.unit_id] = Object.assign(S.units[u.unit_id] || {}, u);
        S.map.setUnit(u.unit_id, S.units[u.unit_id].position, u.status);
      }
      renderUnits();
    }).catch(() => {}), 15000);
    document.addEventListener("mb:lang", () => { renderFeed(); renderBoard(); renderUnits(); renderLegend(); });
  });
})();
