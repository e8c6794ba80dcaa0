// Registry: livelihood projects against target, town targets, service stations and the 5-minute circle.
(function () {
  "use strict";
  const S = { projects: {}, progress: [], targets: [], stations: [], circle: null };
  const $ = (id) => document.getElementById(id);

  function renderProjects() {
    const first = S.progress[0];
    $("projects-meta").innerHTML = '<span class="mark-legend"><i class="m-target"></i>' + MB.t("reg.legend.target") +
      '<i class="m-stretch"></i>' + MB.t("reg.legend.stretch") + '<i class="m-plan"></i>' + MB.t("reg.legend.plan") + "</span>" +
      (first ? MB.esc(MB.t("reg.projects.meta", { y: (first.as_of || "").slice(0, 4), d: first.as_of })) : "");
    $("projects").innerHTML = S.progress.map((p) => {
      const proj = S.projects[p.project_id] || {};
      const t = p.target || {}, value = Number(p.value || 0), target = Number(t.value || 0), stretch = Number(t.stretch || 0);
      const top = Math.max(target, stretch, value, 1) * 1.06;
      const pct = (v) => Math.min(100, (100 * v) / top) + "%";
      const cls = p.target_met ? "ok" : p.behind_plan ? "warn" : "";
      const flags = (p.target_met ? '<span class="badge flag-met">' + MB.t("reg.met") + "</span>" : "") +
        (p.behind_plan && !p.target_met ? '<span class="badge flag-behind">⚑ ' + MB.t("reg.behind") + "</span>" : "");
      const overdue = (p.overdue_milestones || []).map((m) => m.name).join("、");
      return '<div class="project" data-project="' + MB.esc(p.project_id) + '"><div class="top"><span class="name">' +
        MB.esc(proj.name || p.project_id) + "</span>" + (proj.category ? '<span class="badge">' + MB.esc(proj.category) + "</span>" : "") +
        flags + '<span class="val"><b>' + MB.fmtNum(value) + '</b> <span class="dim">/ ' + MB.fmtNum(target) + " " + MB.esc(t.unit || "") +
        '</span></span></div><div class="bar"><div class="fill ' + cls + '" style="width:' + pct(value) + '"></div>' +
        (Number(p.planned_value) ? '<div class="mark plan" title="plan" style="left:' + pct(Number(p.planned_value)) + '"></div>' : "") +
        '<div class="mark" title="target" style="left:' + pct(target) + '"></div>' +
        (stretch ? '<div class="mark stretch" title="stretch" style="left:' + pct(stretch) + '"></div>' : "") +
        '</div><div class="foot"><span>' + MB.fmtPct(p.share_of_target) + "</span><span>" + MB.esc(MB.t("reg.target", { v: MB.fmtNum(target) })) +
        "</span>" + (stretch ? "<span>" + MB.esc(MB.t("reg.stretch", { v: MB.fmtNum(stretch) })) + "</span>" : "") +
        (Number(p.planned_value) ? "<span>" + MB.esc(MB.t("reg.plan", { v: MB.fmtNum(Number(p.planned_value), 1) })) + "</span>" : "") +
        "<span>" + MB.esc(MB.t("reg.entries", { n: p.entries || 0 })) + "</span>" +
        (overdue ? '<span style="color:var(--warn)">' + MB.esc(MB.t("reg.overdue", { m: overdue })) + "</span>" : "") + "</div></div>";
    }).join("") || '<div class="empty">—</div>';
  }

  function renderTargets() {
    $("targets").innerHTML = S.targets.map((t) => {
      const share = Number(t.share || 0);
      const atMost = t.comparison === "COMPARISON_AT_MOST";
      const cls = t.met ? "ok" : "warn";
      return '<div class="target"><div class="top"><span>' + MB.esc(t.name) + (t.met ? ' <span class="badge flag-met">' + MB.t("target.met") +
        "</span>" : "") + '</span><span class="val"><b>' + MB.fmtNum(t.actual, 2) + '</b> <span class="dim">' + (atMost ? "≤ " : "/ ") +
        MB.fmtNum(t.target, 2) + " " + MB.esc(t.unit || "") + '</span></span></div><div class="bar"><div class="fill ' + cls +
        '" style="width:' + Math.min(100, share * 100) + '%"></div><div class="mark" style="left:' + Math.min(100, 100 / Math.max(share, 1)) +
        '%"></div></div><div class="foot dim" style="font-size:.75rem;margin-top:4px">' + MB.fmtPct(share) +
        (t.actual_as_of ? " · " + MB.esc(MB.t("target.asof", { d: t.actual_as_of })) : "") + (t.note ? " · " + MB.esc(t.note) : "") +
        "</div></div>";
    }).join("") || '<div class="empty">' + MB.t("town.targets.empty") + "</div>";
  }

  function renderCircle() {
    const c = S.circle || { covered: [], gaps: [], open_station_ids: [] };
    const radius = Number(c.radius_m || 400);
    const open = new Set(c.open_station_ids || []);
    $("circle-meta").textContent = MB.t("reg.circle.meta", { r: MB.fmtNum(radius), n: open.size });
    const entry = (e) => '<li><div>' + MB.esc((e.building || {}).name || "") + '</div><div class="sub">' +
      (e.station_name ? MB.esc(e.station_name) + " · " + MB.fmtNum(Math.round(e.distance_m || 0)) + " m" : "") +
      (e.reason ? " · " + MB.esc(e.reason) : "") + "</div></li>";
    $("covered").innerHTML = '<h3><span class="badge flag-met">' + MB.esc(MB.t("reg.covered", { n: (c.covered || []).length })) +
      "</span></h3><ul>" + (c.covered || []).map(entry).join("") + "</ul>";
    $("gaps").innerHTML = '<h3><span class="badge flag-behind">' + MB.esc(MB.t("reg.gaps", { n: (c.gaps || []).length })) +
      "</span></h3><ul>" + (c.gaps || []).map(entry).join("") + "</ul>";

    const m = MB.map, box = $("circle-map");
    const [w, h] = m.size(box, 600, 340);
    const buildings = (c.covered || []).map((e) => [e, true]).concat((c.gaps || []).map((e) => [e, false]));
    const pts = S.stations.map((s) => s.location).concat(buildings.map(([e]) => (e.building || {}).location)).filter(Boolean);
    const proj = m.projection(pts, w, h, radius * 1.05);
    box.innerHTML = "";
    const labels = m.labeler();
    const svg = m.el("svg", { viewBox: "0 0 " + w + " " + h, preserveAspectRatio: "xMidYMid meet" }, box);
    m.base(svg, w, h, proj);
    for (const s of S.stations) {
      if (!s.location) continue;
      const [x, y] = proj(s.location);
      const isOpen = open.has(s.station_id);
      m.el("circle", { cx: x, cy: y, r: radius * proj.scale, fill: isOpen ? "rgba(34,197,94,.10)" : "rgba(139,160,196,.05)",
        stroke: isOpen ? "rgba(34,197,94,.7)" : "rgba(139,160,196,.45)", "stroke-dasharray": isOpen ? "" : "4 4" }, svg);
    }
    const stations = S.stations.filter((s) => s.location).map((s) => [s, proj(s.location)]);
    const blds = buildings.filter(([e]) => (e.building || {}).location).map(([e, ok]) => [e.building, ok, proj(e.building.location)]);
    for (const [, [x, y]] of stations) labels.block(x - 9, y - 10, x + 9, y + 6);
    for (const [, , [x, y]] of blds) labels.block(x - 5, y - 5, x + 5, y + 5);
    for (const [s, [x, y]] of stations) {
      const isOpen = open.has(s.station_id);
      const g = m.el("g", { transform: "translate(" + x + "," + y + ")", "data-station": s.station_id }, svg);
      m.el("path", { d: "M0,-9 L8,5 H-8 Z", fill: isOpen ? "#22c55e" : "#5d7297", stroke: "#08111f", "stroke-width": 1.5 }, g);
      const label = (s.name || s.station_id) + (isOpen ? "" : " (" + MB.t("reg.closed") + ")");
      const at = labels.place(x, y, label, 12, [[0, -14, "middle"], [0, 22, "middle"], [12, 4, "start"], [-12, 4, "end"]]);
      m.text(svg, at.x, at.y, label, { "text-anchor": at.anchor, "font-size": 12, "font-weight": 600,
        fill: isOpen ? "#bff5d2" : "#aab8d0", "paint-order": "stroke", stroke: "#08111f", "stroke-width": 3 });
    }
    for (const [b, ok, [x, y]] of blds) {
      m.el("rect", { x: x - 4, y: y - 4, width: 8, height: 8, rx: 1.5, fill: ok ? "#3aa0ff" : "#f43f5e" }, svg);
      const label = b.name || b.building_id;
      const at = labels.place(x, y, label, 11, [[8, 4, "start"], [-8, 4, "end"], [0, -8, "middle"], [0, 16, "middle"]]);
      m.text(svg, at.x, at.y, label, { "text-anchor": at.anchor, "font-size": 11, fill: ok ? "#9cc7f5" : "#ffb4c1",
        "paint-order": "stroke", stroke: "#08111f", "stroke-width": 3 });
    }
  }

  function renderAll() { renderProjects(); renderTargets(); renderCircle(); }

  MB.boot(async () => {
    await MB.requireUser();
    const soft = (p, empty) => p.catch((e) => { if (e.status === 401 || e.status === 403) throw e; console.warn(e); return empty; });
    const [projects, progress, targets, stations, circle] = await Promise.all([
      soft(MB.api("/api/v1/registry/projects"), { projects: [] }),
      soft(MB.api("/api/v1/registry/projects/progress"), { projects: [] }),
      soft(MB.api("/api/v1/registry/targets"), { targets: [] }),
      soft(MB.api("/api/v1/registry/stations"), { stations: [] }),
      soft(MB.api("/api/v1/registry/circle"), null),
    ]);
    for (const p of projects.projects || []) S.projects[p.project_id] = p;
    S.progress = progress.projects || [];
    S.targets = targets.targets || [];
    S.stations = stations.stations || [];
    S.circle = circle;
    renderAll();
    document.addEventListener("mb:lang", renderAll);
    let timer = null;
    window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(renderCircle, 150); });
  });
})();
