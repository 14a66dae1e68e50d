// PortGate port authority: the persons of interest every gate screens (list, add, end).
// Plain browser JavaScript over /api/v1 with the session cookie and the page's CSRF token.
"use strict";

const $ = (id) => document.getElementById(id);
const POIS = "/api/v1/watchlist/persons-of-interest";

function say(text, bad = false) {
  const status = $("status");
  status.textContent = text;
  status.className = bad ? "bad" : "";
}

// The photo goes as multipart form data, which PG.api (JSON only) does not send.
async function send(method, url, form) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": PG.csrfToken() },
    body: form,
  });
  if (response.status === 401) {
    window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
    throw new Error(PG.t("not logged in"));
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    let detail = data && data.detail !== undefined ? data.detail : response.statusText;
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg || String(d)).join("; ");
    throw new Error(String(detail));
  }
  return data;
}

async function end(poi) {
  if (!window.confirm(PG.t("Take {label} off every gate's watchlist?", { label: poi.label }))) return;
  try {
    await send("DELETE", `${POIS}/${encodeURIComponent(poi.id)}`);
    say(PG.t("{label} is off the watchlist.", { label: poi.label }));
  } catch (error) {
    say(error.message, true);
  }
  await loadPois();
}

function poiRow(poi) {
  return PG.el(
    "tr",
    { dataset: { poi: poi.id } },
    PG.el("td", { text: poi.entry_id }),
    PG.el("td", { text: poi.label }),
    PG.el("td", { text: poi.reason }),
    PG.el("td", { text: poi.valid_from ? PG.fmtDateTime(poi.valid_from) : "" }),
    PG.el("td", { text: poi.valid_until ? PG.fmtDateTime(poi.valid_until) : PG.t("open-ended") }),
    PG.el("td", { text: poi.entered_by }),
    PG.el("td", {}, [PG.el("button", { type: "button", text: PG.t("End"), on: { click: () => end(poi) } })]),
  );
}

async function loadPois() {
  try {
    const pois = await PG.api("GET", POIS);
    $("pois-body").replaceChildren(...pois.map(poiRow));
  } catch (error) {
    say(error.message, true);
  }
}

$("poi-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData();
  form.append("label", $("p-label").value.trim());
  form.append("reason", $("p-reason").value.trim());
  form.append("photo", $("p-photo").files[0]);
  if ($("p-from").value) form.append("valid_from", new Date($("p-from").value).toISOString());
  if ($("p-until").value) form.append("valid_until", new Date($("p-until").value).toISOString());
  try {
    const poi = await send("POST", POIS, form);
    say(PG.t("{label} ({id}) is screened at every gate of every site.", { label: poi.label, id: poi.entry_id }));
    event.target.reset();
  } catch (error) {
    say(error.message, true);
  }
  await loadPois();
});
loadPois();
