// Shared dashboard code: auth token, API calls, language, live events, countdowns, the top bar.
(function () {
  "use strict";
  const TOKEN_KEY = "mb.token";
  const USER_KEY = "mb.user";
  const LANG_KEY = "mb.lang";
  const LANGS = ["zh-CN", "en"];

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message || code || String(status));
      this.status = status;
      this.code = code;
    }
  }

  const MB = {
    ApiError,
    page: document.body.dataset.page,
    grid: document.body.dataset.grid || "",
    caseId: document.body.dataset.caseId || "",
  };

  // ---- language ----
  MB.lang = function () {
    const fromUrl = new URLSearchParams(location.search).get("lang");
    if (fromUrl && LANGS.includes(fromUrl)) localStorage.setItem(LANG_KEY, fromUrl);
    const stored = localStorage.getItem(LANG_KEY);
    return LANGS.includes(stored) ? stored : "zh-CN";
  };
  MB.t = function (key, vars) {
    const dict = window.MB_I18N[MB.lang()] || {};
    let text = key in dict ? dict[key] : (window.MB_I18N["zh-CN"][key] ?? key);
    if (vars) for (const [k, v] of Object.entries(vars)) text = text.split("{" + k + "}").join(String(v));
    return text;
  };
  // A label with a fallback: "type.foo" unknown -> "foo".
  MB.label = function (prefix, value) {
    const key = prefix + "." + value;
    const dict = window.MB_I18N[MB.lang()] || {};
    return key in dict ? dict[key] : value || "—";
  };
  MB.applyI18n = function (root) {
    (root || document).querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = MB.t(el.dataset.i18n); });
    (root || document).querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
      el.placeholder = MB.t(el.dataset.i18nPlaceholder);
    });
    document.documentElement.lang = MB.lang();
    const title = document.body.dataset.titleKey;
    if (title) document.title = MB.t(title) + " · " + MB.t("brand.name");
    document.querySelectorAll(".lang-switch button").forEach((b) => {
      b.classList.toggle("active", b.dataset.lang === MB.lang());
    });
  };
  MB.setLang = function (lang) {
    localStorage.setItem(LANG_KEY, lang);
    const url = new URL(location.href);
    if (url.searchParams.has("lang")) { url.searchParams.set("lang", lang); history.replaceState(null, "", url); }
    MB.applyI18n();
    document.dispatchEvent(new CustomEvent("mb:lang", { detail: lang }));
  };

  // ---- auth and API ----
  MB.token = () => sessionStorage.getItem(TOKEN_KEY);
  MB.user = function () {
    try { return JSON.parse(sessionStorage.getItem(USER_KEY) || "null"); } catch (e) { return null; }
  };
  MB.saveLogin = function (reply) {
    sessionStorage.setItem(TOKEN_KEY, reply.access_token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(reply.user || {}));
  };
  MB.logout = function () {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    location.href = "/login";
  };
  MB.toLogin = function () {
    sessionStorage.removeItem(TOKEN_KEY);
    const next = location.pathname + location.search;
    location.replace("/login?next=" + encodeURIComponent(next));
  };
  MB.homeFor = function (user) {
    if (!user) return "/login";
    const grids = user.grids || [];
    if (user.role === "grid_operator" || user.role === "field_unit") {
      return grids.length ? "/grids/" + encodeURIComponent(grids[0]) : "/town";
    }
    return "/town";
  };

  async function request(path, opts) {
    opts = opts || {};
    const headers = Object.assign({}, opts.headers || {});
    const token = MB.token();
    if (token) headers["Authorization"] = "Bearer " + token;
    let body = opts.body;
    if (body !== undefined && typeof body !== "string") {
      body = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    const resp = await fetch(path, { method: opts.method || "GET", headers, body });
    if (resp.status === 401 && !opts.noRedirect) {
      MB.toLogin();
      throw new ApiError(401, "UNAUTHENTICATED", "not signed in");
    }
    if (!resp.ok) {
      let code = "", message = resp.statusText;
      try {
        const err = (await resp.json()).error || {};
        code = err.code || ""; message = err.message || message;
      } catch (e) { /* not JSON */ }
      const error = new ApiError(resp.status, code, message);
      error.retryAfter = resp.headers.get("Retry-After");
      throw error;
    }
    return resp;
  }
  MB.api = async (path, opts) => (await request(path, opts)).json();
  MB.post = (path, body) => MB.api(path, { method: "POST", body: body || {} });
  // Fetches an image with the token and returns an object URL for an <img>.
  MB.blobUrl = async function (path) {
    const resp = await request(path);
    return URL.createObjectURL(await resp.blob());
  };
  MB.gridPath = (grid, rest) => "/api/v1/grids/" + encodeURIComponent(grid) + (rest || "");
  // Evidence is found by its case and key (the API checks the case belongs to the grid).
  MB.evidenceUrl = (grid, key, caseId) => MB.gridPath(grid, "/evidence/" + key.split("/").map(encodeURIComponent).join("/")) +
    "?case_id=" + encodeURIComponent(caseId);

  // Loads the user (from the login reply, refreshed from /me) or goes to /login.
  MB.requireUser = async function () {
    if (!MB.token()) { MB.toLogin(); throw new ApiError(401, "UNAUTHENTICATED", "not signed in"); }
    const me = await MB.api("/api/v1/me");
    sessionStorage.setItem(USER_KEY, JSON.stringify(me));
    renderUser(me);
    return me;
  };

  // Replaces the page with the clear "not allowed" message; no data is shown.
  MB.showForbidden = function () {
    const main = document.querySelector("main");
    const home = MB.homeFor(MB.user());
    main.className = "";
    if (MB.source) MB.source.close();
    document.getElementById("live")?.classList.add("hidden");
    main.innerHTML =
      '<div class="forbidden" id="forbidden"><div class="box"><div class="icon"><svg viewBox="0 0 24 24" width="48" height="48" aria-hidden="true">' +
      '<circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" stroke-width="2"/><path d="M7 12h10" stroke="currentColor" ' +
      'stroke-width="2.4" stroke-linecap="round"/></svg></div>' +
      '<h1 data-i18n="forbidden.title"></h1><p data-i18n="forbidden.body"></p>' +
      '<a class="btn primary" href="' + MB.esc(home) + '" data-i18n="forbidden.back"></a></div></div>';
    MB.applyI18n(main);
  };
  // Runs a page loader: 401 goes to /login, 403 shows "not allowed", anything else a toast.
  MB.boot = async function (loader) {
    MB.applyI18n();
    try {
      await loader();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (err instanceof ApiError && err.status === 403) { MB.showForbidden(); return; }
      console.error(err);
      MB.toast(MB.t("error.load", { msg: err.message }), true);
    }
  };

  // ---- live events ----
  // Opens /api/v1/events; handlers: {alarm, case, unit, crowd}. EventSource reconnects by itself and sends
  // Last-Event-ID, so the stream resumes where it stopped.
  MB.events = function (grids, handlers) {
    const params = new URLSearchParams();
    params.set("access_token", MB.token() || "");
    (grids || []).forEach((g) => params.append("grid", g));
    const source = new EventSource("/api/v1/events?" + params.toString());
    const live = document.querySelector(".live");
    const setLive = (on) => {
      if (!live) return;
      live.classList.toggle("on", on); live.classList.toggle("off", !on);
      live.querySelector("span").textContent = MB.t(on ? "live.on" : "live.off");
    };
    if (live) live.classList.remove("hidden");
    source.onopen = () => setLive(true);
    source.onerror = () => setLive(false);
    for (const name of ["alarm", "case", "unit", "crowd"]) {
      if (!handlers[name]) continue;
      source.addEventListener(name, (ev) => {
        let data;
        try { data = JSON.parse(ev.data); } catch (e) { return; }
        try { handlers[name](data, ev.lastEventId); } catch (e) { console.error(e); }
      });
    }
    window.addEventListener("beforeunload", () => source.close());
    MB.source = source;
    return source;
  };

  // ---- formatting ----
  MB.esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
    "'": "&#39;" }[c]));
  MB.fmtNum = (n, digits) => {
    const v = Number(n || 0);
    return v.toLocaleString(MB.lang(), { maximumFractionDigits: digits ?? (Number.isInteger(v) ? 0 : 1) });
  };
  MB.fmtPct = (share) => Math.round(Number(share || 0) * 100) + "%";
  MB.fmtDuration = function (seconds) {
    const s = Math.max(0, Math.round(Number(seconds || 0)));
    if (s < 60) return MB.t("dur.s", { n: s });
    if (s < 3600) return MB.t("dur.m", { n: Math.round(s / 60) });
    if (s < 86400) return MB.t("dur.h", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
    return MB.t("dur.d", { d: Math.floor(s / 86400), h: Math.floor((s % 86400) / 3600) });
  };
  const pad = (n) => String(n).padStart(2, "0");
  MB.fmtTime = function (iso, withDate) {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return "—";
    const hm = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    return withDate ? pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + hm : hm;
  };
  MB.isToday = function (iso) {
    const d = new Date(iso), n = new Date();
    return d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  };
  // "04:59" / "1:02:03" left; "-00:12" once past.
  MB.fmtCountdown = function (ms) {
    const neg = ms < 0;
    let s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60); s -= m * 60;
    const text = (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
    return (neg ? "-" : "") + text;
  };
  // The open case's nearest running deadline, or null.
  MB.nextDeadline = function (c) {
    const pending = (c.deadlines || []).filter((d) => d.status === "STATUS_PENDING" && d.due_at);
    pending.sort((a, b) => new Date(a.due_at) - new Date(b.due_at));
    return pending[0] || null;
  };
  MB.ICON_PHONE = '<svg class="icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"><path fill="currentColor" ' +
    'd="M6.6 10.8a15.1 15.1 0 0 0 6.6 6.6l2.2-2.2a1 1 0 0 1 1-.25 11.4 11.4 0 0 0 3.6.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 ' +
    '4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1z"/></svg>';
  MB.OPEN_STATES = ["CASE_STATE_OPENED", "CASE_STATE_REOPENED", "CASE_STATE_ASSIGNED", "CASE_STATE_ACKNOWLEDGED",
    "CASE_STATE_ON_SITE"];
  MB.isOpen = (c) => MB.OPEN_STATES.includes(c.state);
  MB.countdownHtml = (dueAt) =>
    '<span class="countdown" data-due="' + MB.esc(dueAt) + '">' + MB.fmtCountdown(new Date(dueAt) - Date.now()) + "</span>";

  // Every [data-due] element counts down once a second; under 5 minutes it turns amber, past due red.
  function tick() {
    const now = Date.now();
    document.querySelectorAll("[data-due]").forEach((el) => {
      const left = new Date(el.dataset.due) - now;
      el.textContent = MB.fmtCountdown(left);
      el.classList.toggle("breach", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 5 * 60 * 1000);
    });
    const clock = document.getElementById("clock");
    if (clock) {
      const d = new Date();
      clock.textContent = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
        pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
    }
  }
  setInterval(tick, 1000);
  MB.tick = tick;

  let toastTimer = null;
  MB.toast = function (text, isError) {
    let el = document.getElementById("toast");
    if (!el) { el = document.createElement("div"); el.id = "toast"; document.body.appendChild(el); }
    el.className = "toast" + (isError ? " err" : "");
    el.textContent = text;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => el.remove(), 5000);
  };

  // ---- top bar ----
  function renderUser(me) {
    const box = document.getElementById("user");
    if (!box || !me) return;
    box.innerHTML = '<span class="name">' + MB.esc(me.display_name || me.username) + "</span>" +
      '<span class="role" data-i18n="role.' + MB.esc(me.role) + '"></span>' +
      '<button class="btn small ghost" id="logout" data-i18n="user.logout"></button>';
    box.querySelector("#logout").addEventListener("click", MB.logout);
    const gridLink = document.getElementById("nav-grid");
    const grids = me.grids || [];
    if (gridLink) {
      const target = MB.grid || grids[0];
      if (target) gridLink.href = "/grids/" + encodeURIComponent(target); else gridLink.classList.add("hidden");
    }
    MB.applyI18n(box);
  }

  document.querySelectorAll(".lang-switch button").forEach((b) => {
    b.addEventListener("click", () => MB.setLang(b.dataset.lang));
  });
  MB.applyI18n();
  tick();
  window.MB = MB;
})();
