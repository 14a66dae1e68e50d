/* The triage page of staff reports: the queue by status, one report, and what triage does. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const el = PG.el;
  let current = null;

  function say(text, bad) {
    $("status").textContent = text;
    $("status").className = bad ? "form-result bad" : "form-result ok";
  }

  async function loadQueue() {
    const status = $("sr-filter").value;
    const rows = await PG.api("GET", "/api/v1/staff-reports" + (status ? "?status=" + status : ""));
    const body = $("sr-body");
    body.replaceChildren();
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: 4, class: "empty", text: PG.t("No reports.") })));
    for (const r of rows) {
      body.append(el("tr", { dataset: { id: r.id, status: r.status }, on: { click: () => open(r.id) } },
        el("td", { text: PG.fmtDateTime(r.received_at) }),
        el("td", { text: r.place }),
        el("td", { text: r.what.length > 60 ? r.what.slice(0, 60) + "…" : r.what }),
        el("td", { text: PG.t(r.status.replace("_", " ")) })));
    }
  }

  function show(r) {
    current = r;
    $("sr-detail").hidden = false;
    $("d-id").textContent = r.id;
    $("d-status").textContent = PG.t(r.status.replace("_", " ")) + (r.assigned_to ? " · " + r.assigned_to : "");
    $("d-place").textContent = r.place + " (" + r.site_id + ")";
    $("d-when").textContent = PG.fmtDateTime(r.occurred_at) + " · " + PG.t("received {time}", { time: PG.fmtDateTime(r.received_at) });
    $("d-reporter").textContent = [r.reporter_name, r.reporter_contact].filter(Boolean).join(", ") || PG.t("anonymous");
    $("d-passed").textContent = r.passed_on_to || "–";
    $("d-incident").replaceChildren(r.incident_id ? el("a", { href: "/dashboard/incidents", text: r.incident_id }) : "–");
    $("d-what").textContent = r.what;
    const photo = $("d-photo");
    photo.hidden = !r.has_photo;
    if (r.has_photo) photo.src = "/api/v1/staff-reports/" + encodeURIComponent(r.id) + "/photo";
    else photo.removeAttribute("src");
    const thread = $("d-thread");
    thread.replaceChildren();
    for (const m of r.messages) {
      thread.append(el("li", { dataset: { author: m.author } },
        el("span", { class: "hint", text: (m.author === "triage" ? m.author_user || PG.t("triage") : PG.t("reporter")) + " · " + PG.fmtDateTime(m.created_at) + " " }),
        m.body));
    }
    $("d-incident-make").disabled = Boolean(r.incident_id);
  }

  async function open(id) {
    try { show(await PG.api("GET", "/api/v1/staff-reports/" + encodeURIComponent(id))); }
    catch (error) { say(error.message, true); }
  }

  async function act(path, payload, done) {
    if (!current) return;
    try {
      show(await PG.api("POST", "/api/v1/staff-reports/" + encodeURIComponent(current.id) + path, payload));
      say(done, false);
      await loadQueue();
    } catch (error) { say(error.message, true); }
  }

  $("sr-filter").addEventListener("change", () => loadQueue().catch((e) => say(e.message, true)));
  for (const button of document.querySelectorAll(".sr-actions [data-status]")) {
    button.addEventListener("click", () => act("/status", { status: button.dataset.status }, PG.t("status: {status}", { status: PG.t(button.dataset.status.replace("_", " ")) })));
  }
  $("d-incident-make").addEventListener("click", () => act("/incident", {}, PG.t("incident filed")));
  $("d-reply-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("d-reply").value.trim();
    if (!text) return;
    await act("/reply", { body: text }, PG.t("reply sent"));
    $("d-reply").value = "";
  });
  $("d-pass-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act("/pass-on", { to: $("d-pass-to").value.trim() }, PG.t("passed on"));
  });
  const link = $("sr-root").dataset.reportLink;
  if (link) { $("sr-new").href = link; $("sr-new").hidden = false; }
  loadQueue().catch((e) => say(e.message, true));
})();
