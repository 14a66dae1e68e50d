// PortGate event search: filters -> /api/v1/events/search, a page at a time (keyset cursor),
// and an export link carrying the same filters to /api/v1/events/export.csv.
// Values are written with textContent only (PG.el); the API checks every filter.
"use strict";

const $ = (id) => document.getElementById(id);
let filters = new URLSearchParams();
let nextCursor = null;
let pageNumber = 0;

function say(text, bad = false) {
  const status = $("status");
  status.textContent = text;
  status.className = bad ? "form-result bad" : "form-result";
}

// datetime-local has no zone: it is the browser's local time, sent as UTC ISO 8601.
function isoOf(value) {
  return value ? new Date(value).toISOString() : "";
}

function readFilters() {
  const params = new URLSearchParams();
  for (const field of $("search-form").elements) {
    if (!field.name || field.name === "limit" || !field.value.trim()) continue;
    const value = field.type === "datetime-local" ? isoOf(field.value) : field.value.trim();
    params.set(field.name, value);
  }
  return params;
}

// The enrolled photo beside a face decision: the API sends photo_url only to operators
// and admins, and only where the event's site shows photos and one is kept.
function photo(item) {
  if (!item.photo_url) return null;
  const img = PG.el("img", { class: "ev-photo", src: item.photo_url, loading: "lazy", width: 40, height: 48,
    alt: PG.t("Enrolled photo of {person}", { person: item.person_name || item.person_id }) });
  img.addEventListener("error", () => img.remove());  // gone since the search (rule off, expired)
  return img;
}

// A phone shows each result as a card: every cell carries its column's name (CSS ::before).
const columnNames = [...document.querySelectorAll(".pg-table thead th")].map((th) => th.textContent);

function row(item) {
  const who = item.person_name || item.person_id || "";
  const picture = photo(item);
  const cells = [
    PG.el("td", { text: PG.fmtDateTime(item.occurred_at), title: item.occurred_at }),
    PG.el("td", { text: `${item.site_id} · ${item.gate_id}` }),
    PG.el("td", { text: PG.t(item.decision) }),
    PG.el("td", { text: item.reason, title: PG.reason(item.reason_text) }),
    PG.el("td", {}, picture ? PG.el("span", { class: "who" }, picture, PG.el("span", { text: who })) : who),
    PG.el("td", { text: item.company || "" }),
    PG.el("td", { text: item.credential_kind }),
    PG.el("td", { text: item.decided_by }),
  ];
  cells.forEach((cell, n) => { cell.dataset.label = columnNames[n] || ""; });
  return PG.el("tr", { dataset: { eventId: item.event_id, decision: item.decision } }, ...cells);
}

async function loadPage(cursor) {
  const params = new URLSearchParams(filters);
  params.set("limit", $("f-limit").value);
  if (cursor) params.set("cursor", cursor);
  try {
    const page = await PG.api("GET", `/api/v1/events/search?${params}`);
    pageNumber = cursor ? pageNumber + 1 : 1;
    nextCursor = page.next_cursor;
    $("results").replaceChildren(...page.items.map(row));
    $("page-info").textContent = PG.t("Page {page}: {count} event(s)", { page: pageNumber, count: page.items.length });
    $("next-page").disabled = !nextCursor;
    say(page.items.length ? "" : PG.t("No events match."));
  } catch (error) {
    say(error.message, true);
  }
}

async function search(event) {
  if (event) event.preventDefault();
  filters = readFilters();
  const query = filters.toString();
  $("export-csv").href = "/api/v1/events/export.csv" + (query ? `?${query}` : "");
  await loadPage(null);
}

// Suggestions for the gate field; the port authority has no gate tiles and types the id.
async function loadGates() {
  const gates = await PG.api("GET", "/dashboard/api/gates").catch(() => []);
  $("gate-list").replaceChildren(...gates.map((gate) => PG.el("option", { value: gate.gate_id })));
}

PG.keyList($("results"), "tr", null);  // one Tab stop, arrows between the results
$("search-form").addEventListener("submit", search);
$("next-page").addEventListener("click", () => loadPage(nextCursor));
loadGates().then(() => search(null));
