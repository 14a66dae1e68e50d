// PortGate port authority: list, issue, confirm and lift port bans; every site's open alarms.
// Plain browser JavaScript over /api/v1 with the session cookie (PG.api adds the CSRF token).
"use strict";

const $ = (id) => document.getElementById(id);

function say(text, bad = false) {
  const status = $("status");
  status.textContent = text;
  status.className = bad ? "bad" : "";
}

function isoOrNull(value) {
  return value ? new Date(value).toISOString() : null;
}

async function act(ban, verb) {
  const body = verb === "lift" ? { reason: window.prompt("Why is the ban lifted?") || "" } : {};
  if (verb === "lift" && !body.reason) return;
  try {
    await PG.api("POST", `/api/v1/bans/${encodeURIComponent(ban.id)}/${verb}`, body);
    say(`Ban ${ban.id} ${verb === "lift" ? "lifted" : "confirmed"}.`);
  } catch (error) {
    say(error.message, true);
  }
  await loadBans();
}

function banRow(ban) {
  const actions = [];
  if (ban.status === "pending") {
    actions.push(PG.el("button", { type: "button", text: "Confirm", on: { click: () => act(ban, "confirm") } }));
  }
  if (ban.status !== "lifted") {
    actions.push(PG.el("button", { type: "button", text: "Lift", on: { click: () => act(ban, "lift") } }));
  }
  return PG.el(
    "tr",
    { dataset: { ban: ban.id, status: ban.status } },
    PG.el("td", { text: ban.id }),
    PG.el("td", { text: ban.status }),
    PG.el("td", { text: ban.person_id }),
    PG.el("td", { text: ban.legal_reference }),
    PG.el("td", { text: PG.fmtDateTime(ban.valid_from) }),
    PG.el("td", { text: ban.valid_until ? PG.fmtDateTime(ban.valid_until) : "open-ended" }),
    PG.el("td", { text: ban.issued_by }),
    PG.el("td", {}, actions),
  );
}

async function loadBans() {
  const all = $("b-all").checked ? "?include_lifted=true" : "";
  try {
    const bans = await PG.api("GET", `/api/v1/bans${all}`);
    $("bans-body").replaceChildren(...bans.map(banRow));
  } catch (error) {
    say(error.message, true);
  }
}

async function loadAlarms() {
  try {
    const alarms = await PG.api("GET", "/api/v1/alarms");
    $("alarms-body").replaceChildren(
      ...alarms.map((a) =>
        PG.el(
          "tr",
          { dataset: { kind: a.kind } },
          PG.el("td", { text: PG.fmtDateTime(a.raised_at) }),
          PG.el("td", { text: a.site_id }),
          PG.el("td", { text: a.gate_id || "" }),
          PG.el("td", { text: a.kind }),
          PG.el("td", { text: a.person_id || "" }),
          PG.el("td", { text: a.detail }),
        ),
      ),
    );
  } catch (error) {
    say(error.message, true);
  }
}

$("ban-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = {
    person_id: $("b-person").value.trim(),
    reason: $("b-reason").value.trim(),
    legal_reference: $("b-reference").value.trim(),
    valid_from: isoOrNull($("b-from").value),
    valid_until: isoOrNull($("b-until").value),
  };
  try {
    const ban = await PG.api("POST", "/api/v1/bans", body);
    say(`Ban ${ban.id} on ${ban.person_id}: ${ban.status === "pending" ? "waits for a second authority user" : "in force at every gate"}.`);
    event.target.reset();
  } catch (error) {
    say(error.message, true);
  }
  await loadBans();
});
$("b-all").addEventListener("change", loadBans);
loadBans();
loadAlarms();
setInterval(loadAlarms, 10000);
