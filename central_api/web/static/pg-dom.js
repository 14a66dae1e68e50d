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

  /**
   * A decision's reason text (the API's English: the reason's message, or "message: detail.")
   * in the page's language; the detail is data and stays as it came.
   */
  PG.reason = function (text) {
    if (!text) return "";
    PG.t(text);  // loads the catalog
    if (PG._catalog[text]) return PG._catalog[text];
    for (let at = text.indexOf(": "); at > 0; at = text.indexOf(": ", at + 1)) {
      const head = text.slice(0, at);
      const message = PG._catalog[head + "."] || PG._catalog[head];
      if (message) {
        const detail = text.slice(at + 2).replace(/\.$/, "");
        return PG.t("{reason}: {detail}.", { reason: message.replace(/\.$/, ""), detail });
      }
    }
    return text;
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
      throw new Error(PG.t("not logged in"));
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      let detail = data && data.detail !== undefined ? data.detail : response.statusText;
      if (Array.isArray(detail)) detail = detail.map((d) => d.msg || String(d)).join("; ");
      throw new Error(String(detail));
    }
    return data;
  };

  // Times in the page's language and the site's time zone (data-zone on <body>, set when
  // the page knows its site); without one, the browser's zone.
  PG.locale = function () { return document.documentElement.lang || "en"; };
  PG.zone = function () { return (document.body && document.body.dataset.zone) || undefined; };
  PG._format = function (options) {
    try { return new Intl.DateTimeFormat(PG.locale(), Object.assign({ timeZone: PG.zone() }, options)); }
    catch (err) { return new Intl.DateTimeFormat(PG.locale(), options); }  // an unknown zone
  };

  PG.fmtTime = function (iso) {
    if (!iso) return "";
    return PG._format({ hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(new Date(iso));
  };

  PG.fmtDateTime = function (iso) {
    if (!iso) return "";
    return PG._format({ month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(new Date(iso));
  };

  PG.fmtAge = function (iso) {
    if (!iso) return "";
    const s = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 1000));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.round(s / 60) + " min";
    if (s < 86400) return Math.round(s / 3600) + " h";
    return Math.round(s / 86400) + " d";
  };

  // The language menu stores the choice on the user (and the pg_lang cookie), then reloads
  // the page in it; a plain GET ?lang= (no script) would set the cookie only.
  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("pg-lang")) return;
    event.preventDefault();
    const select = form.querySelector("select");
    try {
      await PG.api("POST", "/api/v1/me/locale", { locale: select.value });
      window.location.reload();
    } catch (err) {
      window.alert(err.message);
    }
  });
  document.addEventListener("change", function (event) {
    const target = event.target;
    if (target instanceof HTMLSelectElement && target.id === "pg-lang" && target.form) target.form.requestSubmit();
  });

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
