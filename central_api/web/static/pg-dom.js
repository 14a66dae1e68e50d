/* PortGate shared page helpers: safe DOM building (text nodes only, no HTML parsing) and API calls. */
"use strict";
(function () {
  const PG = (window.PG = window.PG || {});

  /** Build an element. attrs: {class, text, title, dataset: {...}, on: {event: fn}, <attr>: value}. */
  PG.el = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = String(value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  };

  /**
   * A user-facing text in the page's language: `text` is the English message id, `vars`
   * fills its {name} placeholders. The catalog is the page's JSON data block #pg-i18n
   * (a data block, not a script, so the CSP allows it); without one the English stands.
   */
  PG.t = function (text, vars) {
    if (PG._catalog === undefined) {
      const block = document.getElementById("pg-i18n");
      PG._catalog = block ? JSON.parse(block.textContent || "{}") : {};
    }
    const message = PG._catalog[text] || text;
    return message.replace(/\{([a-z_]+)\}/g, (whole, name) => (vars && name in vars ? String(vars[name]) : whole));
  };

  /** The "Report incident" link of an alarm or event row: the incidents page, prefilled. */
  PG.incidentLink = function (param, id) {
    return PG.el("a", { class: "report-incident", href: `/dashboard/incidents?${param}=${encodeURIComponent(id)}`, text: PG.t("Report incident") });
  };

  PG.csrfToken = function () {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  };

  /** Call the API with the session cookie; JSON in and out; throws Error(detail) on 4xx/5xx. */
  PG.api = async function (method, url, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = PG.csrfToken();
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    const response = await fetch(url, options);
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
      throw new Error("not logged in");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      let detail = data && data.detail !== undefined ? data.detail : response.statusText;
      if (Array.isArray(detail)) detail = detail.map((d) => d.msg || String(d)).join("; ");
      throw new Error(String(detail));
    }
    return data;
  };

  // Times are shown in the site's zone (the layout's meta tag), not the browser's.
  const siteZoneMeta = document.querySelector('meta[name="site-timezone"]');
  PG.timeZone = (siteZoneMeta && siteZoneMeta.content) || undefined;

  PG.fmtTime = function (iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: PG.timeZone });
  };

  PG.fmtDateTime = function (iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.toLocaleDateString([], { month: "short", day: "numeric", timeZone: PG.timeZone }) + " " + PG.fmtTime(iso);
  };

  PG.fmtAge = function (iso) {
    if (!iso) return "";
    const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.round(s / 60) + " min";
    if (s < 86400) return Math.round(s / 3600) + " h";
    return Math.round(s / 86400) + " d";
  };

  // Logging out is a cookie-authenticated change like any other: it carries the CSRF token,
  // which a plain form post cannot send as a header (central_api.security.csrf).
  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("pg-logout")) return;
    event.preventDefault();
    await fetch("/logout", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": PG.csrfToken() },
    }).catch(() => null);
    window.location.assign("/login");
  });
})();
