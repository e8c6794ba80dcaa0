// 一屏观全镇: every grid's tiles, open cases, SLA clocks, alarms, crowd zones and the town targets.
(function () {
  "use strict";
  const S = { grids: [], kpis: {}, cases: {}, zones: {}, targets: [], feed: [], trendGrid: "", trendUrl: null };
  const $ = (id) => document.getElementById(id);
  const gridName = (id) => (S.grids.find((g) => g.grid_id === id) || {}).name || id;
  const isoDate = (d) => d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" +
    String(d.getDate()).padStart(2, "0");

  async function loadGrid(grid) {
    const states = MB.OPEN_STATES.map((s) => "state=" + s).join("&");
    const [kpis, cases, crowd] = await Promise.all([
      MB.api(MB.gridPath(grid, "/analytics/kpis")),
      MB.api(MB.gridPath(grid, "/cases?" + states + "&page_size=500")),
      MB.api(MB.gridPath(grid, "/analytics/crowd")).catch(() => ({ zones: [] })),
    ]);
    S.kpis[grid] = kpis.kpis || {};
    for (const c of cases.cases || []) S.cases[c.case_id] = c;
    for (const z of crowd.zones || []) S.zones[grid + "/" + z.zone_id] = Object.assign({ grid_id: grid }, z);
  }

  function renderKpis() {
    $("kpis").innerHTML = S.grids.map((g) => {
      const k = S.kpis[g.grid_id] || {};
      const tile = (label, value, sub, cls) => '<div class="tile ' + (cls || "") + '"><div class="label">' + label +
        '</div><div class="value">' + value + '</div><div class="sub">' + (sub || "&nbsp;") + "</div></div>";
      const mttr = Number(k.mean_time_to_resolve_s || 0);
      const mttrText = mttr ? MB.esc(MB.fmtDuration(mttr)) : "—";
      return '<div class="kpi-grid" data-grid="' + MB.esc(g.grid_id) + '"><div class="gname"><a href="/grids/' +
        encodeURIComponent(g.grid_id) + '">' + MB.esc(g.name || g.grid_id) + '</a></div><div class="kpi-tiles">' +
        tile(MB.t("kpi.open"), '<span class="kpi-open">' + MB.fmtNum(k.open_cases) + "</span>", "",
          Number(k.open_cases) > 0 ? "alert" : "") +
        tile(MB.t("kpi.closed7"), MB.fmtNum(k.closed_last_7_days),
          MB.t("kpi.closed7.sub", { p: MB.fmtPct(k.closed_within_7_days_share) })) +
        tile(MB.t("kpi.mttr"), '<span style="font-size:.8em">' + mttrText + "</span>", MB.t("kpi.mttr.sub")) +
        tile(MB.t("kpi.alarms"), '<span class="kpi-alarms">' + MB.fmtNum(k.alarms_today) + "</span>",
          MB.t("kpi.alarms.sub", { n: MB.fmtNum(k.alarms_yesterday) })) +
        "</div></div>";
    }).join("");
  }

  function renderCases() {
    const open = Object.values(S.cases).filter(MB.isOpen);
    $("cases-total").textContent = MB.t("town.cases.total", { n: open.length });
    const max = Math.max(1, ...S.grids.map((g) => open.filter((c) => c.grid_id === g.grid_id).length));
    const rows = S.grids.map((g) => {
      const mine = open.filter((c) => c.grid_id === g.grid_id);
      const segs = MB.OPEN_STATES.map((st) => {
        const n = mine.filter((c) => c.state === st).length;
        return n ? '<span class="st-' + st + '" style="width:' + (100 * n / max) + '%" title="' +
          MB.esc(MB.label("state", st)) + " " + n + '"></span>' : "";
      }).join("");
      const counts = MB.OPEN_STATES.map((st) => [st, mine.filter((c) => c.state === st).length])
        .filter(([, n]) => n).map(([st, n]) => MB.esc(MB.label("state", st)) + " " + n).join(" · ");
      return '<div class="state-row"><div class="top"><span>' + MB.esc(g.name || g.grid_id) + ' <span class="dim">' +
        (counts || "") + "</span></span><b>" + mine.length + '</b></div><div class="stack">' + segs + "</div></div>";
    }).join("");
    const legend = MB.OPEN_STATES.map((st) => '<span><i class="st-' + st + '"></i>' + MB.esc(MB.label("state", st)) +
      "</span>").join("");
    const byType = {};
    for (const c of open) byType[c.case_type] = (byType[c.case_type] || 0) + 1;
    const types = Object.entries(byType).sort((a, b) => b[1] - a[1]);
    const tmax = Math.max(1, ...types.map(([, n]) => n));
    const typeRows = types.map(([t, n]) => '<div class="type-row"><span>' + MB.esc(MB.label("type", t)) +
      '</span><div class="bar"><div class="fill" style="width:' + (100 * n / tmax) + '%"></div></div><b class="num">' + n + "</b></div>").join("");
    $("cases-by-grid").innerHTML = '<div class="state-rows">' + rows + '</div><div class="legend">' + legend + "</div>" +
      (types.length ? '<div class="section-title" style="margin-top:16px">' + MB.t("town.cases.bytype") + '</div><div class="type-rows">' +
      typeRows + "</div>" : "");
  }

  function renderSla() {
    const items = Object.values(S.cases).filter(MB.isOpen)
      .map((c) => ({ c, d: MB.nextDeadline(c) })).filter((x) => x.d)
      .sort((a, b) => new Date(a.d.due_at) - new Date(b.d.due_at)).slice(0, 30);
    if (!items.length) { $("sla-list").innerHTML = '<li class="empty">' + MB.t("town.sla.empty") + "</li>"; return; }
    $("sla-list").innerHTML = items.map(({ c, d }) =>
      '<li class="sla-item sev-' + MB.esc(c.severity) + '" data-case="' + MB.esc(c.case_id) + '"><span class="stripe"></span>' +
      '<div><div class="title"><a href="/grids/' + encodeURIComponent(c.grid_id) + "/cases/" + encodeURIComponent(c.case_id) +
      '" style="color:inherit">' + MB.esc(c.title || MB.label("type", c.case_type)) + '</a></div><div class="sub">' +
      MB.esc(gridName(c.grid_id)) + " · " + MB.esc(MB.label("state", c.state)) + " · " + MB.esc(c.case_id) +
      "</div></div><div>" + MB.countdownHtml(d.due_at) + '<span class="stage">' +
      MB.esc(MB.t("card.due", { stage: MB.label("stage", d.stage) })) + "</span></div></li>").join("");
    MB.tick();
  }

  function feedItem(a, grid, isNew) {
    const time = (a.meta && a.meta.occurred_at) || a.opened_at || a.occurred_at;
    return '<li class="feed-item sev-' + MB.esc(a.severity) + (isNew ? " new" : "") + '"><span class="stripe"></span>' +
      '<span class="time">' + MB.fmtTime(time) + '</span><div><div class="title">' +
      MB.esc(a.title || MB.label("type", a.type || a.case_type)) + '</div><div class="sub">' + MB.esc(gridName(grid)) +
      " · " + MB.esc(MB.label("type", a.type || a.case_type)) + '</div></div><span class="badge sev">' +
      MB.esc(MB.label("sev", a.severity)) + "</span></li>";
  }
  function renderFeed() {
    $("feed-count").textContent = S.feed.length ? String(S.feed.length) : "";
    $("feed").innerHTML = S.feed.length ? S.feed.slice(0, 60).map((x) => feedItem(x.a, x.grid, x.isNew)).join("")
      : '<li class="empty">' + MB.t("town.feed.empty") + "</li>";
    S.feed.forEach((x) => { x.isNew = false; });
  }

  function renderCrowd() {
    const zones = Object.values(S.zones);
    if (!zones.length) { $("crowd").innerHTML = '<div class="empty">' + MB.t("town.crowd.empty") + "</div>"; return; }
    $("crowd").innerHTML = zones.map((z) => {
      const crit = Number(z.critical || 0), warn = Number(z.warning || 0), est = Number(z.estimate || 0);
      const top = Math.max(crit * 1.15, est, 1);
      const cls = z.level === "CROWD_LEVEL_CRITICAL" ? "crit" : z.level === "CROWD_LEVEL_WARNING" ? "warn" : "ok";
      return '<div class="zone" data-zone="' + MB.esc(z.zone_id) + '"><div class="top"><span class="name">' + MB.esc(z.name || z.zone_id) +
        '</span><span class="badge lvl-' + MB.esc(z.level) + '">' + MB.esc(MB.label("level", z.level)) + "</span>" +
        '<span class="est">' + MB.fmtNum(Math.round(est)) + " <small>" + MB.t("crowd.people") + "</small></span></div>" +
        '<div class="bar"><div class="fill ' + cls + '" style="width:' + Math.min(100, 100 * est / top) + '%"></div>' +
        (warn ? '<div class="mark warn" style="left:' + 100 * warn / top + '%"></div>' : "") +
        (crit ? '<div class="mark crit" style="left:' + 100 * crit / top + '%"></div>' : "") + "</div>" +
        '<div class="scale"><span>' + MB.esc(gridName(z.grid_id)) + (z.sources ? " · " + MB.esc(MB.t("crowd.sources", { s: z.sources })) : "") +
        "</span><span>" + MB.esc(MB.t("crowd.warning", { n: MB.fmtNum(warn) })) + " · " +
        MB.esc(MB.t("crowd.critical", { n: MB.fmtNum(crit) })) + "</span></div></div>";
    }).join("");
  }

  function renderTargets() {
    if (!S.targets.length) { $("targets").innerHTML = '<div class="empty">' + MB.t("town.targets.empty") + "</div>"; return; }
    $("targets-year").textContent = S.targets[0].year ? String(S.targets[0].year) : "";
    $("targets").innerHTML = S.targets.map((t) => {
      const share = Number(t.share || (t.target ? t.actual / t.target : 0));
      const cls = t.met ? "ok" : share >= 0.9 ? "" : "warn";
      return '<div class="target"><div class="top"><span>' + MB.esc(t.name) + (t.met ? ' <span class="badge flag-met">' +
        MB.t("target.met") + "</span>" : "") + '</span><span class="val"><b>' + MB.fmtNum(t.actual, 2) + '</b> <span class="dim">/ ' +
        MB.fmtNum(t.target, 2) + " " + MB.esc(t.unit || "") + '</span></span></div><div class="bar"><div class="fill ' + cls +
        '" style="width:' + Math.min(100, share * 100) + '%"></div><div class="mark" style="left:' + Math.min(100, 100 / Math.max(share, 1)) +
        '%"></div></div></div>';
    }).join("");
  }

  async function loadTrend() {
    const grid = S.trendGrid;
    if (!grid) return;
    $("trend-tabs").innerHTML = S.grids.map((g) => '<button data-grid="' + MB.esc(g.grid_id) + '" class="' +
      (g.grid_id === grid ? "active" : "") + '">' + MB.esc(g.name || g.grid_id) + "</button>").join("");
    $("trend-tabs").querySelectorAll("button").forEach((b) => b.addEventListener("click", () => {
      S.trendGrid = b.dataset.grid; loadTrend();
    }));
    const end = new Date(), start = new Date(Date.now() - 13 * 86400000);
    const q = "?start_date=" + isoDate(start) + "&end_date=" + isoDate(end) + "&language=" + encodeURIComponent(MB.lang());
    try {
      const url = await MB.blobUrl(MB.gridPath(grid, "/charts/trend.svg" + q));
      if (S.trendUrl) URL.revokeObjectURL(S.trendUrl);
      S.trendUrl = url;
      $("trend-img").src = url;
    } catch (e) { if (e.status !== 401) $("trend-img").alt = MB.t("error.load", { msg: e.message }); }
  }

  function renderAll() { renderKpis(); renderCases(); renderSla(); renderFeed(); renderCrowd(); renderTargets(); }

  MB.boot(async () => {
    await MB.requireUser();
    S.grids = (await MB.api("/api/v1/grids")).grids || [];
    await Promise.all(S.grids.map((g) => loadGrid(g.grid_id).catch((e) => {
      if (e.status === 401) throw e;
      console.warn("grid", g.grid_id, e);
    })));
    S.targets = ((await MB.api("/api/v1/registry/targets").catch(() => ({ targets: [] }))).targets) || [];
    // Today's alarms so far, every grid's, newest first; live alarms go on top.
    const lists = await Promise.all(S.grids.map((g) => MB.api(MB.gridPath(g.grid_id, "/alarms?hours=24&limit=60"))
      .then((r) => (r.alarms || []).map((a) => ({ a, grid: g.grid_id }))).catch(() => [])));
    const when = (x) => new Date(x.a.meta && x.a.meta.occurred_at);
    S.feed = lists.flat().filter((x) => MB.isToday(x.a.meta && x.a.meta.occurred_at)).sort((x, y) => when(y) - when(x));
    S.trendGrid = (S.grids[0] || {}).grid_id || "";
    renderAll();
    loadTrend();
    MB.events(S.grids.map((g) => g.grid_id), {
      alarm(d) {
        S.feed.unshift({ a: d.alarm || {}, grid: d.grid_id, isNew: true });
        const k = S.kpis[d.grid_id];
        if (k) k.alarms_today = Number(k.alarms_today || 0) + 1;
        renderFeed(); renderKpis();
      },
      case(d) {
        if (!d.case) return;
        const before = S.cases[d.case.case_id];
        S.cases[d.case.case_id] = d.case;
        const k = S.kpis[d.case.grid_id];
        if (k && before && MB.isOpen(before) !== MB.isOpen(d.case)) k.open_cases = Number(k.open_cases) + (MB.isOpen(d.case) ? 1 : -1);
        if (k && !before && MB.isOpen(d.case)) k.open_cases = Number(k.open_cases || 0) + 1;
        renderKpis(); renderCases(); renderSla();
      },
      crowd(d) {
        if (!d.occupancy) return;
        S.zones[d.grid_id + "/" + d.occupancy.zone_id] = Object.assign({ grid_id: d.grid_id }, d.occupancy);
        renderCrowd();
      },
    });
    document.addEventListener("mb:lang", () => { renderAll(); loadTrend(); });
    // The tiles' figures come from analytics' roll-ups: refresh them every minute.
    setInterval(() => S.grids.forEach((g) => MB.api(MB.gridPath(g.grid_id, "/analytics/kpis"))
      .then((r) => { S.kpis[g.grid_id] = r.kpis || {}; renderKpis(); }).catch(() => {})), 60000);
  });
})();
