// PortGate security desk: the visitor pre-registration form (POST /api/v1/visitors).
// Loaded after desk.js, whose call(), say(), el(), checkbox(), checked() and state it uses.
"use strict";

const visitorForm = { options: null };

function renderVisitorGroups() {
  const site = $("v-site").value;
  const groups = $("v-groups");
  groups.replaceChildren();
  for (const group of visitorForm.options.access_groups.filter((g) => g.site_id === site)) {
    checkbox(groups, "v-group", String(group.id), group.name);
  }
}

async function loadVisitorOptions() {
  const { data } = await call("GET", "/enroll/options");
  visitorForm.options = data;
  for (const site of data.sites) $("v-site").append(el("option", site.name, { value: site.id }));
  renderVisitorGroups();
  $("v-site").addEventListener("change", renderVisitorGroups);
}

function visitorWindow() {
  const pad = (n) => String(n).padStart(2, "0");
  const local = (d) =>
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const now = new Date();
  $("v-from").value = local(now);
  $("v-until").value = local(new Date(now.getTime() + 4 * 3600 * 1000));
}

async function registerVisitor(event) {
  event.preventDefault();
  const badge = $("v-badge").value.trim();
  const body = {
    site_id: $("v-site").value,
    host_person_id: $("v-host").value.trim(),
    name: $("v-name").value,
    company: $("v-company").value.trim() || null,
    id_document_kind: $("v-document").value,
    valid_from: new Date($("v-from").value).toISOString(),
    valid_until: new Date($("v-until").value).toISOString(),
    escort_required: $("v-escort").checked,
    access_group_ids: checked($("v-groups")).map(Number),
    badge_number: badge || null,
    badge_format: badge ? "raw" : null,
  };
  try {
    const { data } = await call("POST", "/visitors", body);
    $("v-person").textContent = `${data.name} (${data.person_id})`;
    $("v-id").textContent = data.id;
    $("v-result").hidden = false;
    say(PG.t("Visitor {name} registered for {from} – {until}.", { name: data.name, from: PG.fmtDateTime(data.valid_from), until: PG.fmtDateTime(data.valid_until) }));
  } catch (error) {
    say(PG.t("Visitor not registered: {error}", { error: error.message }), true);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("visitor-form").addEventListener("submit", registerVisitor);
  $("v-host-selected").addEventListener("click", () => {
    if (state.person) $("v-host").value = state.person.id;
    else say(PG.t("Find and select the host first."), true);
  });
  visitorWindow();
  loadVisitorOptions().catch((error) => say(error.message, true));
});
