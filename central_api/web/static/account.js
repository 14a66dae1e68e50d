// PortGate account page: change your own password (more cards join it: reset, sessions, TOTP).
// Plain browser JavaScript over /api/v1/account with the session cookie (PG.api adds the CSRF token).
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);

  function say(text, bad) {
    const status = $("status");
    status.textContent = text;
    status.className = bad ? "bad" : "ok";
  }

  async function changePassword(event) {
    event.preventDefault();
    const body = { current_password: $("p-current").value, new_password: $("p-new").value };
    try {
      await PG.api("POST", "/api/v1/account/password", body);
    } catch (error) {
      say(PG.t("Password not changed: {reason}", { reason: error.message }), true);
      return;
    }
    $("password-form").reset();
    say(PG.t("Password changed. Every session has ended: log in again with the new password."), false);
    document.body.dataset.passwordChanged = "1";
  }

  async function issueLink(event) {
    event.preventDefault();
    const name = $("r-user").value.trim();
    try {
      const issued = await PG.api("POST", `/api/v1/users/${encodeURIComponent(name)}/reset-link`);
      $("r-link").textContent = issued.url;
      say(PG.t("Reset link for {name}, valid once until {until}.", { name, until: PG.fmtDateTime(issued.expires_at) }), false);
    } catch (error) {
      $("r-link").textContent = "";
      say(PG.t("No reset link: {reason}", { reason: error.message }), true);
    }
  }

  function sessionRow(item) {
    const action = item.current
      ? PG.el("span", { text: PG.t("this session") })
      : PG.el("button", { type: "button", text: PG.t("End"), on: { click: () => endSession(item.id) } });
    return PG.el(
      "tr",
      { dataset: { session: item.id, current: item.current ? "1" : "0" } },
      PG.el("td", { text: PG.fmtDateTime(item.created_at) }),
      PG.el("td", { text: PG.fmtAge(item.last_seen_at) }),
      PG.el("td", { text: item.address }),
      PG.el("td", { text: item.user_agent }),
      PG.el("td", {}, action),
    );
  }

  async function loadSessions() {
    const items = await PG.api("GET", "/api/v1/account/sessions");
    $("sessions-body").replaceChildren(...items.map(sessionRow));
    document.body.dataset.sessions = String(items.length);
  }

  async function endSession(id) {
    try {
      await PG.api("POST", `/api/v1/account/sessions/${encodeURIComponent(id)}/end`);
      say(PG.t("Session ended."), false);
    } catch (error) {
      say(PG.t("Session not ended: {reason}", { reason: error.message }), true);
    }
    await loadSessions();
  }

  async function logoutEverywhere() {
    try {
      await PG.api("POST", "/api/v1/account/logout-everywhere");
    } catch (error) {
      say(PG.t("Not logged out: {reason}", { reason: error.message }), true);
      return;
    }
    window.location.assign("/login");
  }

  const form = $("password-form");
  $("s-everywhere").addEventListener("click", logoutEverywhere);
  loadSessions().catch((error) => say(error.message, true));
  if (form) form.addEventListener("submit", changePassword);
  if (document.body.dataset.role === "admin") {
    $("reset-card").hidden = false;
    $("reset-form").addEventListener("submit", issueLink);
  }
})();
