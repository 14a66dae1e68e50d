// PortGate incidents: the reports list and the report form, prefilled from an alarm or an
// event (?alarm_id= / ?event_id=, the dashboard's "Report incident"), filed in one click.
// Plain browser JavaScript over /api/v1/incidents with the session cookie (PG.api adds CSRF).
"use strict";

const $ = (id) => document.getElementById(id);
const canReport = document.body.dataset.role !== "authority";
let draft = null; // what prefill answered: pseudonyms, companies and the source stay as given

function say(text, bad = false) {
  const status = $("status");
  status.textContent = text;
  status.className = bad ? "bad" : "";
}

function showForm(values) {
  draft = values;
  $("i-kind").value = values.kind || "other";
  $("i-when").value = values.occurred_at || new Date().toISOString();
  $("i-site").value = values.site_id || "";
  $("i-gate").value = values.gate_id || "";
  $("i-narrative").value = values.narrative || "";
  $("i-attachments").value = (values.attachments || []).join("\n");
  $("i-tlp").value = values.tlp || "TLP:AMBER";
  const people = (values.person_pseudonyms || []).length;
  const companies = (values.company_ids || []).length;
  $("i-involved").textContent = PG.t("{people} person(s) by pseudonym, {companies} company(ies)", { people, companies });
  $("report-source").textContent = values.source_alarm_id ? PG.t("From alarm {id}", { id: values.source_alarm_id })
    : values.source_event_id ? PG.t("From event {id}", { id: values.source_event_id }) : "";
  $("report-card").hidden = false;
  $("i-narrative").focus();
}

function formBody() {
  const attachments = $("i-attachments").value.split("\n").map((s) => s.trim()).filter(Boolean);
  return Object.assign({}, draft, {
    kind: $("i-kind").value,
    occurred_at: $("i-when").value.trim(),
    site_id: $("i-site").value.trim() || null,
    gate_id: $("i-gate").value.trim() || null,
    narrative: $("i-narrative").value,
    attachments,
    tlp: $("i-tlp").value,
  });
}

async function submit(file) {
  try {
    const made = await PG.api("POST", `/api/v1/incidents${file ? "?file=true" : ""}`, formBody());
    say(file ? PG.t("Incident {id} filed ({tlp}).", { id: made.id, tlp: made.tlp }) : PG.t("Incident {id} saved as a draft ({tlp}).", { id: made.id, tlp: made.tlp }));
    $("report-card").hidden = true;
    draft = null;
    history.replaceState(null, "", "/dashboard/incidents");
  } catch (error) {
    say(error.message, true);
  }
  await loadIncidents();
}

async function fileDraft(incident) {
  try {
    await PG.api("POST", `/api/v1/incidents/${encodeURIComponent(incident.id)}/file`, {});
    say(PG.t("Incident {id} filed.", { id: incident.id }));
  } catch (error) {
    say(error.message, true);
  }
  await loadIncidents();
}

function incidentRow(incident) {
  const where = incident.location || incident.gate_id || incident.site_id || "";
  const source = incident.source_alarm_id ? PG.t("alarm {id}", { id: incident.source_alarm_id })
    : incident.source_event_id ? PG.t("event {id}", { id: incident.source_event_id }) : incident.issuer || "";
  const action = canReport && incident.status === "draft"
    ? PG.el("button", { type: "button", text: PG.t("File"), on: { click: () => fileDraft(incident) } }) : null;
  return PG.el("tr", { dataset: { incident: incident.id, status: incident.status, kind: incident.kind } },
    PG.el("td", { text: PG.fmtDateTime(incident.occurred_at) }),
    PG.el("td", { text: incident.kind.replaceAll("_", " ") }),
    PG.el("td", { text: where }),
    PG.el("td", { class: "tlp", text: incident.tlp }),
    PG.el("td", { text: PG.t(incident.status) }),
    PG.el("td", { text: incident.created_by }),
    PG.el("td", { text: source }),
    PG.el("td", {}, action));
}

async function loadIncidents() {
  try {
    const incidents = await PG.api("GET", "/api/v1/incidents");
    $("incidents-body").replaceChildren(...incidents.map(incidentRow));
  } catch (error) {
    say(error.message, true);
  }
}

async function prefillFromQuery() {
  const query = new URLSearchParams(location.search);
  const alarm = query.get("alarm_id");
  const event = query.get("event_id");
  if (!alarm && !event) return;
  const param = alarm ? "alarm_id=" + encodeURIComponent(alarm) : "event_id=" + encodeURIComponent(event);
  try {
    showForm(await PG.api("GET", "/api/v1/incidents/prefill?" + param));
  } catch (error) {
    say(error.message, true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("incident-form").addEventListener("submit", (e) => { e.preventDefault(); submit(true); });
  $("i-draft").addEventListener("click", () => submit(false));
  $("i-new").hidden = !canReport;
  $("i-new").addEventListener("click", () => showForm({}));
  if (canReport) prefillFromQuery();
  loadIncidents();
});
