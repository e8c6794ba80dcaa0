// Schematic maps drawn from WGS84 coordinates (no tile server): a local metric projection into an SVG.
(function () {
  "use strict";
  const NS = "http://www.w3.org/2000/svg";
  const M_PER_DEG_LAT = 110574;

  // A projection that fits the points (and `padM` metres around them) into a w×h viewBox.
  function projection(points, w, h, padM) {
    const pts = points.filter((p) => p && isFinite(p.lat) && isFinite(p.lon) && (p.lat || p.lon));
    if (!pts.length) pts.push({ lat: 31.186, lon: 121.393 });
    const lat0 = pts.reduce((s, p) => s + p.lat, 0) / pts.length;
    const kx = 111320 * Math.cos((lat0 * Math.PI) / 180), ky = M_PER_DEG_LAT;
    const xs = pts.map((p) => p.lon * kx), ys = pts.map((p) => p.lat * ky);
    let minX = Math.min(...xs) - padM, maxX = Math.max(...xs) + padM;
    let minY = Math.min(...ys) - padM, maxY = Math.max(...ys) + padM;
    const scale = Math.min(w / (maxX - minX), h / (maxY - minY));
    const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
    const f = (p) => [w / 2 + (p.lon * kx - cx) * scale, h / 2 - (p.lat * ky - cy) * scale];
    f.scale = scale; // px per metre
    return f;
  }

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, content, attrs) {
    const node = el("text", Object.assign({ x, y, fill: "#cfe0ff", "font-size": 11 }, attrs || {}), parent);
    node.textContent = content;
    return node;
  }

  // The common background: a 100 m grid, a scale bar and a north arrow.
  function base(svg, w, h, proj) {
    const bg = el("g", {}, svg);
    el("rect", { x: 0, y: 0, width: w, height: h, fill: "#08111f" }, bg);
    const step = 100 * proj.scale;
    if (step > 6) {
      for (let x = (w / 2) % step; x < w; x += step) el("line", { x1: x, y1: 0, x2: x, y2: h, stroke: "#13223d", "stroke-width": 1 }, bg);
      for (let y = (h / 2) % step; y < h; y += step) el("line", { x1: 0, y1: y, x2: w, y2: y, stroke: "#13223d", "stroke-width": 1 }, bg);
    }
    const barM = step * 2 > w / 4 ? 100 : 200, barPx = barM * proj.scale;
    const g = el("g", { transform: "translate(" + (w - barPx - 16) + "," + (h - 16) + ")" }, svg);
    el("path", { d: "M0,-5 V0 H" + barPx + " V-5", stroke: "#8ba0c4", fill: "none", "stroke-width": 1.5 }, g);
    text(g, barPx / 2, -8, barM + " m", { "text-anchor": "middle", fill: "#8ba0c4", "font-size": 10 });
    const n = el("g", { transform: "translate(" + (w - 22) + ",24)" }, svg);
    el("path", { d: "M0,-12 L6,6 L0,2 L-6,6 Z", fill: "#8ba0c4" }, n);
    text(n, 0, 18, "N", { "text-anchor": "middle", fill: "#8ba0c4", "font-size": 10 });
  }

  // Greedy label placement: each label takes the first of its candidate spots that overlaps nothing placed so far.
  function labeler() {
    const boxes = [];
    const hit = (b) => boxes.some((o) => b[0] < o[2] && b[2] > o[0] && b[1] < o[3] && b[3] > o[1]);
    const width = (s, size) => [...s].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? size : size * 0.6), 0);
    return {
      block(x0, y0, x1, y1) { boxes.push([x0, y0, x1, y1]); },
      // candidates: [dx, dy, anchor]; returns {x, y, anchor}.
      place(x, y, content, size, candidates) {
        const w = width(content, size);
        let chosen = null;
        for (const [dx, dy, anchor] of candidates) {
          const lx = x + dx, ly = y + dy;
          const x0 = anchor === "start" ? lx : anchor === "end" ? lx - w : lx - w / 2;
          const box = [x0 - 2, ly - size, x0 + w + 2, ly + 3];
          if (!hit(box)) { chosen = { x: lx, y: ly, anchor, box }; break; }
          if (!chosen) chosen = { x: lx, y: ly, anchor, box, fallback: true };
        }
        boxes.push(chosen.box);
        return chosen;
      },
    };
  }

  // The container's size, for a viewBox that fills it (no letterboxing).
  function size(container, w, h) {
    const cw = container.clientWidth, ch = container.clientHeight;
    return cw > 80 && ch > 80 ? [cw, ch] : [w, h];
  }

  function commonPrefix(names) {
    if (!names.length) return "";
    let p = names[0];
    for (const n of names) while (!n.startsWith(p)) p = p.slice(0, -1);
    return p.trim();
  }

  const DEVICE_ICON = {
    DEVICE_KIND_CAMERA: "M-5,-4 H3 L6,-6 V6 L3,4 H-5 Z",
    DEVICE_KIND_ELEVATOR_CONTROLLER: "M-5,-6 H5 V6 H-5 Z M-2,-2 L0,-4 L2,-2 M-2,2 L0,4 L2,2",
    DEVICE_KIND_WIFI_PROBE: "M-6,-1 A8,8 0 0 1 6,-1 M-3.5,2 A4.5,4.5 0 0 1 3.5,2 M0,5 m-1,0 a1,1 0 1 0 2,0 a1,1 0 1 0 -2,0",
  };

  // The grid map: places (from the devices' place ids), devices, open cases and field units.
  // Returns {setUnit(unit_id, position, status), setCases(cases)}.
  function gridMap(container, data) {
    const [w, h] = size(container, 600, 400);
    // Field-unit radios move with their units: they are drawn as units, not as devices at a place.
    const devices = (data.devices || []).filter((d) => d.kind !== "DEVICE_KIND_FIELD_UNIT_RADIO");
    const units = data.units || [];
    const pts = devices.map((d) => d.location).concat(units.map((u) => u.position), (data.cases || []).map((c) => c.location));
    const proj = projection(pts.filter(Boolean), w, h, 150);
    container.innerHTML = "";
    const svg = el("svg", { viewBox: "0 0 " + w + " " + h, preserveAspectRatio: "xMidYMid meet", role: "img" }, container);
    base(svg, w, h, proj);
    const places = {};
    for (const d of devices) {
      if (!d.location) continue;
      const p = (places[d.place_id || d.device_id] = places[d.place_id || d.device_id] || { lat: 0, lon: 0, n: 0, names: [] });
      p.lat += d.location.lat; p.lon += d.location.lon; p.n += 1; p.names.push(d.name || d.device_id);
    }
    const gPlaces = el("g", {}, svg);
    const labels = labeler();
    const centres = Object.entries(places).map(([id, p]) => [id, p, proj({ lat: p.lat / p.n, lon: p.lon / p.n })]);
    for (const [, , [x, y]] of centres) labels.block(x - 14, y - 12, x + 14, y + 12);
    for (const [id, p, [x, y]] of centres) {
      el("circle", { cx: x, cy: y, r: 26, fill: "rgba(58,160,255,.08)", stroke: "rgba(58,160,255,.35)", "stroke-dasharray": "3 3" }, gPlaces);
      const label = (commonPrefix(p.names) || p.names[0] || id).replace(/\s*(轿厢)?(摄像头|探针|camera|probe)$/i, "")
        .replace(/[·\s]+$/, "");
      const at = labels.place(x, y, label, 12, [[0, 42, "middle"], [0, -32, "middle"], [32, 4, "start"], [-32, 4, "end"],
        [0, 58, "middle"], [0, -48, "middle"]]);
      text(gPlaces, at.x, at.y, label, { "text-anchor": at.anchor, "font-size": 12, fill: "#e6eefc",
        "paint-order": "stroke", stroke: "#08111f", "stroke-width": 3, class: "place-label", "data-place": id });
    }
    const gDevices = el("g", {}, svg);
    const seen = {};
    for (const d of devices) {
      if (!d.location) continue;
      let [x, y] = proj(d.location);
      const key = Math.round(x / 6) + ":" + Math.round(y / 6);
      seen[key] = (seen[key] || 0) + 1;
      x += (seen[key] - 1) * 14; // devices at one spot side by side
      const color = d.online === false ? "#f43f5e" : "#22d3ee";
      const g = el("g", { transform: "translate(" + x + "," + y + ")", class: "device", "data-device": d.device_id }, gDevices);
      el("circle", { r: 9, fill: "#0b1426", stroke: color, "stroke-width": 1.2 }, g);
      el("path", { d: DEVICE_ICON[d.kind] || "M-3,-3 H3 V3 H-3 Z", fill: "none", stroke: color, "stroke-width": 1.3 }, g);
      el("title", {}, g).textContent = (d.name || d.device_id) + (d.online === false ? " (offline)" : "");
    }
    const gCases = el("g", {}, svg);
    const gUnits = el("g", {}, svg);
    const unitNodes = {};
    function setUnit(id, pos, status) {
      if (!pos || !isFinite(pos.lat)) return;
      const [x, y] = proj(pos);
      let node = unitNodes[id];
      if (!node) {
        node = el("g", { class: "unit-dot", "data-unit": id }, gUnits);
        el("circle", { r: 11, fill: "#f5b73b", stroke: "#08111f", "stroke-width": 2 }, node);
        text(node, 0, 4, id.replace(/^unit-/, ""), { "text-anchor": "middle", fill: "#08111f", "font-size": 10, "font-weight": 700 });
        el("title", {}, node).textContent = id;
        unitNodes[id] = node;
      }
      if (status) node.firstChild.setAttribute("fill", status === "UNIT_STATUS_AVAILABLE" ? "#22c55e" : "#f5b73b");
      node.style.transform = "translate(" + x + "px," + y + "px)";
    }
    function setCases(cases) {
      gCases.innerHTML = "";
      for (const c of cases) {
        if (!c.location || !MB.isOpen(c)) continue;
        const [x, y] = proj(c.location);
        const g = el("g", { transform: "translate(" + x + "," + y + ")", "data-case": c.case_id }, gCases);
        const ring = el("circle", { r: 14, fill: "none", stroke: "#f43f5e", "stroke-width": 2 }, g);
        el("animate", { attributeName: "r", values: "10;22;10", dur: "2s", repeatCount: "indefinite" }, ring);
        el("animate", { attributeName: "opacity", values: "1;.2;1", dur: "2s", repeatCount: "indefinite" }, ring);
        el("circle", { r: 4, fill: "#f43f5e" }, g);
      }
    }
    for (const u of units) setUnit(u.unit_id, u.position, u.status);
    setCases(data.cases || []);
    return { setUnit, setCases, svg };
  }

  MB.map = { projection, el, text, base, gridMap, labeler, size };
})();
