// PortGate account page: your password, your sessions, your two-step login (TOTP); admins: reset links and TOTP resets.
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

  async function loadTotp() {
    const state = await PG.api("GET", "/api/v1/account/totp");
    let text;
    if (state.enabled) {
      text = PG.t("Two-step login is on. Recovery codes left: {left}.", { left: state.recovery_codes_left });
    } else if (state.required) {
      text = PG.t("Your role must use two-step login: set it up now.");
    } else {
      text = PG.t("Two-step login is off. Turn it on to protect your account beyond the password.");
    }
    $("totp-state").textContent = text;
    $("totp-start").hidden = state.enabled;
    document.body.dataset.totp = state.enabled ? "on" : "off";
  }

  async function startTotp() {
    try {
      const setup = await PG.api("POST", "/api/v1/account/totp/start");
      $("totp-qr").src = setup.qr_svg_data_uri;
      $("totp-secret").textContent = setup.secret;
      $("totp-setup").hidden = false;
      $("totp-start").hidden = true;
      $("totp-code").focus();
    } catch (error) {
      say(PG.t("Two-step login not set up: {reason}", { reason: error.message }), true);
    }
  }

  async function confirmTotp(event) {
    event.preventDefault();
    let answer;
    try {
      answer = await PG.api("POST", "/api/v1/account/totp/confirm", { code: $("totp-code").value.trim() });
    } catch (error) {
      say(PG.t("Two-step login not turned on: {reason}", { reason: error.message }), true);
      return;
    }
    $("totp-form").reset();
    $("totp-setup").hidden = true;
    $("totp-secret").textContent = "";
    $("totp-qr").removeAttribute("src");
    $("totp-codes").replaceChildren(...answer.recovery_codes.map((code) => PG.el("li", {}, PG.el("code", { text: code }))));
    $("totp-codes-box").hidden = false;
    say(PG.t("Two-step login is on."), false);
    await loadTotp();
  }

  async function resetTotp(event) {
    event.preventDefault();
    const name = $("tr-user").value.trim();
    try {
      await PG.api("POST", `/api/v1/users/${encodeURIComponent(name)}/totp-reset`);
      say(PG.t("Two-step login of {name} reset: they set it up again at their next login.", { name }), false);
    } catch (error) {
      say(PG.t("Two-step login not reset: {reason}", { reason: error.message }), true);
    }
  }

  const form = $("password-form");
  $("s-everywhere").addEventListener("click", logoutEverywhere);
  loadSessions().catch((error) => say(error.message, true));
  if (form) form.addEventListener("submit", changePassword);
  if (document.body.dataset.role === "admin") {
    $("reset-card").hidden = false;
    $("reset-form").addEventListener("submit", issueLink);
    $("totp-reset-card").hidden = false;
    $("totp-reset-form").addEventListener("submit", resetTotp);
  }
  $("totp-start").addEventListener("click", startTotp);
  $("totp-form").addEventListener("submit", confirmTotp);
  loadTotp().catch((error) => say(error.message, true));
})();
