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
  const body = verb === "lift" ? { reason: window.prompt(PG.t("Why is the ban lifted?")) || "" } : {};
  if (verb === "lift" && !body.reason) return;
  try {
    await PG.api("POST", `/api/v1/bans/${encodeURIComponent(ban.id)}/${verb}`, body);
    say(verb === "lift" ? PG.t("Ban {id} lifted.", { id: ban.id }) : PG.t("Ban {id} confirmed.", { id: ban.id }));
  } catch (error) {
    say(error.message, true);
  }
  await loadBans();
}

function banRow(ban) {
  const actions = [];
  if (ban.status === "pending") {
    actions.push(PG.el("button", { type: "button", text: PG.t("Confirm"), on: { click: () => act(ban, "confirm") } }));
  }
  if (ban.status !== "lifted") {
    actions.push(PG.el("button", { type: "button", text: PG.t("Lift"), on: { click: () => act(ban, "lift") } }));
  }
  return PG.el(
    "tr",
    { dataset: { ban: ban.id, status: ban.status } },
    PG.el("td", { text: ban.id }),
    PG.el("td", { text: PG.t(ban.status) }),
    PG.el("td", { text: ban.person_id }),
    PG.el("td", { text: ban.legal_reference }),
    PG.el("td", { text: PG.fmtDateTime(ban.valid_from) }),
    PG.el("td", { text: ban.valid_until ? PG.fmtDateTime(ban.valid_until) : PG.t("open-ended") }),
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
    say(ban.status === "pending" ? PG.t("Ban {id} on {person}: waits for a second authority user.", { id: ban.id, person: ban.person_id }) : PG.t("Ban {id} on {person}: in force at every gate.", { id: ban.id, person: ban.person_id }));
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
