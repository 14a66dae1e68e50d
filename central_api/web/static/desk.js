// PortGate security desk: find/create a person, capture photos with quality feedback,
// confirm duplicates with a second user, bind a badge, issue and print a QR pass.
// Plain browser JavaScript; every call goes to /api/v1 with the session cookie.
"use strict";

const API = "/api/v1";
const state = { person: null, photo: null, saved: null, options: null, pass: null, stream: null };
const $ = (id) => document.getElementById(id);

function say(text, bad = false) {
  const status = $("status");
  status.textContent = text;
  status.className = bad ? "bad" : "";
}

function csrfHeaders(method) {
  // Cookie-authenticated changes carry the page's CSRF token (central_api.security.pages).
  const meta = document.querySelector('meta[name="csrf-token"]');
  return method === "GET" || !meta ? {} : { "X-CSRF-Token": meta.getAttribute("content") };
}

async function call(method, path, body, okStatuses = [200, 201, 204]) {
  const init = { method, headers: csrfHeaders(method) };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(API + path, init);
  if (response.status === 401) {
    window.location.href = "/login?next=/desk";
    throw new Error(PG.t("logged out"));
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!okStatuses.includes(response.status)) {
    throw new Error(errorText(data, response.status));
  }
  return { status: response.status, data };
}

function errorText(data, status) {
  if (data && typeof data.detail === "string") return data.detail;
  if (data && Array.isArray(data.detail) && data.detail.length) {
    const first = data.detail[0];
    return `${(first.loc || []).filter((p) => p !== "body").join(".")}: ${first.msg}`;
  }
  return PG.t("request failed ({status})", { status });
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

async function loadOptions() {
  const { data } = await call("GET", "/enroll/options");
  state.options = data;
  for (const kind of data.kinds) $("c-kind").append(el("option", kind, { value: kind }));
  for (const site of data.sites) $("c-site").append(el("option", site.name, { value: site.id }));
  renderGroups();
  $("c-site").addEventListener("change", renderGroups);
}

function checkbox(container, name, value, label) {
  const wrap = el("label");
  const box = el("input", undefined, { type: "checkbox", name, value });
  wrap.append(box, " " + label);
  container.append(wrap);
}

function renderGroups() {
  const site = $("c-site").value;
  const groups = $("c-groups");
  groups.replaceChildren();
  for (const group of state.options.access_groups.filter((g) => g.site_id === site)) {
    checkbox(groups, "group", String(group.id), group.name);
  }
}

function renderGates() {
  const gates = $("pass-gates");
  gates.replaceChildren();
  for (const gate of state.options.gates.filter((g) => g.site_id === state.person.site_id)) {
    checkbox(gates, "gate", gate.id, gate.name || gate.id);
  }
}

function checked(container) {
  return [...container.querySelectorAll("input:checked")].map((box) => box.value);
}

function dayStart(value, nextDay = false) {
  if (!value) return null;
  const at = new Date(value + "T00:00:00Z");
  if (nextDay) at.setUTCDate(at.getUTCDate() + 1);
  return at.toISOString();
}

function competencies(text) {
  return text.split(";").map((part) => part.trim()).filter(Boolean).map((part) => {
    const [name, until] = part.split(":").map((s) => s.trim());
    return until ? { name, valid_until: dayStart(until, true) } : { name };
  });
}

async function createPerson(event) {
  event.preventDefault();
  const body = {
    site_id: $("c-site").value,
    display_name: $("c-name").value,
    kind: $("c-kind").value,
    company: $("c-company").value.trim() || null,
    first_day: $("c-from").value || null, // inclusive days; the API applies the site's zone
    last_day: $("c-until").value || null,
    access_groups: checked($("c-groups")),
    competencies: competencies($("c-competencies").value),
    external_id: $("c-external").value.trim() || null,
    preferred_language: $("c-language").value || null, // the lane display's (issue 26)
  };
  try {
    const { data } = await call("POST", "/enroll/people", body);
    select(data);
    say(PG.t("Created {name} ({id}).", { name: data.display_name, id: data.id }));
  } catch (error) {
    say(PG.t("Not created: {error}", { error: error.message }), true);
  }
}

async function findPeople(event) {
  event.preventDefault();
  const list = $("find-results");
  list.replaceChildren();
  try {
    const query = encodeURIComponent($("find-q").value.trim());
    const { data } = await call("GET", `/enroll/people?q=${query}`);
    if (!data.length) list.append(el("li", PG.t("Nobody found.")));
    for (const person of data) {
      const item = el("li", `${person.display_name} · ${person.company || "—"} · ${person.id}`);
      const button = el("button", PG.t("Select"), { type: "button" });
      button.addEventListener("click", () => select(person));
      item.append(button);
      list.append(item);
    }
  } catch (error) {
    say(error.message, true);
  }
}

function select(person) {
  if (!state.person || state.person.id !== person.id) state.saved = null;
  state.person = person;
  for (const id of ["person-panel", "badge-panel", "pass-panel"]) $(id).hidden = false;
  $("p-name").textContent = person.display_name;
  $("p-id").textContent = person.id;
  const validity = person.last_day ? " " + PG.t("until {date}", { date: person.last_day }) : ""; // inclusive, site's zone
  $("p-facts").textContent =
    `${PG.t(person.kind)} · ${person.company || PG.t("no company")} · ${PG.t(person.status)}${validity} · ` +
    PG.t("badges: {badges}", { badges: person.badges.join(", ") || PG.t("none") });
  $("template-count").textContent = PG.t("{count} of 5 templates", { count: person.templates });
  $("duplicate").hidden = true;
  renderGates();
  loadTemplates().catch((error) => say(error.message, true));
}

async function loadTemplates() {
  const list = $("templates");
  list.replaceChildren();
  const { data } = await call("GET", `/people/${state.person.id}/face-templates`);
  for (const template of data) {
    const quality = template.quality != null ? template.quality.toFixed(2) : "?";
    const item = el("li", PG.t("template {id} · quality {quality} · {date}", { id: template.id, quality, date: template.created_at.slice(0, 10) }));
    const button = el("button", PG.t("Delete"), { type: "button", "data-template": String(template.id) });
    button.addEventListener("click", () => deleteTemplate(template.id));
    item.append(button);
    list.append(item);
  }
}

async function deleteTemplate(templateId) {
  try {
    await call("DELETE", `/enroll/people/${state.person.id}/templates/${templateId}`);
    say(PG.t("Template {id} deleted.", { id: templateId }));
    await refreshPerson();
  } catch (error) {
    say(PG.t("Not deleted: {error}", { error: error.message }), true);
  }
}

async function refreshPerson() {
  const { data } = await call("GET", `/enroll/people/${state.person.id}`);
  select(data);
}

async function startCamera() {
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    $("video").srcObject = state.stream;
    $("capture").disabled = false;
    say(PG.t("Camera on."));
  } catch (error) {
    say(PG.t("No camera: {error}. Upload a photo instead.", { error: error.message }), true);
  }
}

function capture() {
  const video = $("video");
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth || 640;
  canvas.height = video.videoHeight || 480;
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  canvas.toBlob((blob) => usePhoto(blob), "image/jpeg", 0.92);
}

function showFeedback(outcome) {
  const feedback = $("feedback");
  const good = outcome.status === "ok" || outcome.status === "accepted";
  feedback.className = "feedback " + (good ? "ok" : "bad");
  feedback.dataset.status = outcome.status;
  feedback.dataset.reasons = (outcome.reasons || []).join(",");
  const quality = outcome.quality != null ? " " + PG.t("(quality {quality})", { quality: outcome.quality.toFixed(2) }) : "";
  feedback.textContent = (outcome.messages || []).join(" ") + quality;
}

async function usePhoto(blob) {
  if (!blob) return;
  state.photo = blob;
  $("preview").src = URL.createObjectURL(blob);
  $("save-photo").disabled = true;
  $("feedback").textContent = PG.t("Checking…");
  const form = new FormData();
  form.append("photo", blob, "photo.jpg");
  try {
    const { data } = await call("POST", "/enroll/photos/check", form, [200, 422]);
    showFeedback(data);
    $("save-photo").disabled = data.status !== "ok";
  } catch (error) {
    showFeedback({ status: "rejected", messages: [error.message] });
  }
}

async function savePhoto() {
  const form = new FormData();
  form.append("photo", state.photo, "photo.jpg");
  $("save-photo").disabled = true;
  try {
    const { data } = await call("POST", `/enroll/people/${state.person.id}/photos`, form, [201, 409, 422]);
    showFeedback(data);
    if (data.status === "duplicate") showDuplicate(data);
    else if (data.status === "accepted") {
      state.saved = state.photo;
      await refreshPerson();
    }
  } catch (error) {
    showFeedback({ status: "rejected", messages: [error.message] });
  }
}

function showDuplicate(outcome) {
  state.pending = outcome.pending_id;
  const list = $("dup-candidates");
  list.replaceChildren();
  const site = state.person.site_id;
  for (const c of outcome.candidates) {
    const item = el("li", PG.t("{name} ({id}), distance {distance}", { name: c.display_name, id: c.person_id, distance: c.distance.toFixed(2) }));
    // One identity across terminals: the same person is activated here, not enrolled twice.
    if (c.activate && !(c.sites || []).includes(site)) {
      const button = el("button", PG.t("Same person: activate at {site}", { site }), { type: "button" });
      button.addEventListener("click", () => activateExisting(c, site));
      item.append(" ", button);
    }
    list.append(item);
  }
  $("duplicate").hidden = false;
}

async function activateExisting(candidate, site) {
  try {
    await call("POST", candidate.activate.replace(API, ""), { site_id: site });
    say(PG.t("{name} ({id}) is now active at {site}: give their access groups there and erase the new record {record}.",
      { name: candidate.display_name, id: candidate.person_id, site, record: state.person.id }));
  } catch (error) {
    say(PG.t("Not activated: {error}", { error: error.message }), true);
  }
}

async function confirmDuplicate(event) {
  event.preventDefault();
  const body = { username: $("dup-user").value, password: $("dup-password").value };
  $("dup-password").value = "";
  try {
    const { data } = await call("POST", `/enroll/pending-faces/${state.pending}/confirm`, body);
    state.saved = state.photo;
    showFeedback(data);
    await refreshPerson();
  } catch (error) {
    say(PG.t("Not confirmed: {error}", { error: error.message }), true);
  }
}

async function rejectDuplicate() {
  try {
    await call("POST", `/enroll/pending-faces/${state.pending}/reject`);
    $("duplicate").hidden = true;
    showFeedback({ status: "rejected", messages: [PG.t("Photo rejected; nothing was enrolled.")] });
  } catch (error) {
    say(error.message, true);
  }
}

async function bindBadge(event) {
  event.preventDefault();
  const body = { kind: "badge", ref: $("badge-number").value.trim(), badge_format: $("badge-format").value || null };
  try {
    await call("POST", `/people/${state.person.id}/credentials`, body);
    say(PG.t("Badge {badge} bound.", { badge: body.ref }));
    await refreshPerson();
  } catch (error) {
    say(PG.t("Badge not bound: {error}", { error: error.message }), true);
  }
}

async function issuePass(event) {
  event.preventDefault();
  const body = {
    gates: checked($("pass-gates")),
    window_start: new Date($("pass-from").value).toISOString(),
    window_end: new Date($("pass-until").value).toISOString(),
    plate: $("pass-plate").value.trim() || null,
    one_time: $("pass-once").checked,
    language: $("pass-language").value || null, // the pass's own, over the holder's (issue 26.2)
  };
  try {
    const { data } = await call("POST", `/enroll/people/${state.person.id}/passes`, body);
    state.pass = data;
    $("pass-id").textContent = data.pass_id;
    $("pass-window").textContent = `${data.not_before.slice(0, 16)} – ${data.expires_at.slice(0, 16)} UTC`;
    $("pass-result").hidden = false;
    document.dispatchEvent(new CustomEvent("pg:pass-issued", { detail: data })); // desk_mobile.js
    say(PG.t("Pass {id} issued.", { id: data.pass_id }));
  } catch (error) {
    say(PG.t("Pass not issued: {error}", { error: error.message }), true);
  }
}

async function printPass(format) {
  const form = new FormData();
  // The card shows the last photo saved as a template, never a rejected one.
  if (state.saved) form.append("photo", state.saved, "photo.jpg");
  const response = await fetch(`${API}/enroll/passes/${state.pass.pass_id}/card?format=${format}`, {
    method: "POST",
    headers: csrfHeaders("POST"),
    body: form,
  });
  if (!response.ok) {
    say(PG.t("Not printed: {error}", { error: errorText(await response.json().catch(() => null), response.status) }), true);
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const link = $("pass-download");
  link.href = url;
  link.download = `pass-${state.pass.pass_id}.${format}`;
  link.textContent = PG.t("download {format}", { format: format.toUpperCase() });
  link.hidden = false;
  link.dataset.format = format;
  if (format === "png") {
    $("pass-image").src = url;
    $("pass-image").hidden = false;
  } else {
    window.open(url, "_blank");
  }
  say(PG.t("Pass {id} ready to print ({format}).", { id: state.pass.pass_id, format: format.toUpperCase() }));
}

function defaultWindow() {
  const pad = (n) => String(n).padStart(2, "0");
  const local = (d) =>
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const now = new Date();
  $("pass-from").value = local(now);
  $("pass-until").value = local(new Date(now.getTime() + 8 * 3600 * 1000));
}

document.addEventListener("DOMContentLoaded", () => {
  $("find-form").addEventListener("submit", findPeople);
  $("create-form").addEventListener("submit", createPerson);
  $("camera-start").addEventListener("click", startCamera);
  $("capture").addEventListener("click", capture);
  $("upload").addEventListener("change", (event) => usePhoto(event.target.files[0]));
  $("save-photo").addEventListener("click", savePhoto);
  $("dup-form").addEventListener("submit", confirmDuplicate);
  $("dup-reject").addEventListener("click", rejectDuplicate);
  $("badge-form").addEventListener("submit", bindBadge);
  $("pass-form").addEventListener("submit", issuePass);
  $("print-png").addEventListener("click", () => printPass("png"));
  $("print-pdf").addEventListener("click", () => printPass("pdf"));
  defaultWindow();
  loadOptions().catch((error) => say(error.message, true));
});
