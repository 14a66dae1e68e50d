/* PortGate dashboard: selecting alarms and acknowledging them in bulk with one comment,
   by mouse or keyboard only (Tab to the list, arrows between alarms, Space selects,
   Enter opens the alarm's context screen). The server acknowledges all or none. */
"use strict";
(function () {
  const PG = window.PG;
  const $ = (id) => document.getElementById(id);
  const hooks = { removeAlarm: () => {} };

  function boxes() {
    return [...$("alarm-list").querySelectorAll("input.alarm-select")];
  }

  function selectedIds() {
    return boxes().filter((box) => box.checked).map((box) => box.value);
  }

  function showCount() {
    const all = boxes();
    const chosen = selectedIds().length;
    $("bulk-count").textContent = PG.t("{count} of {total} selected", { count: chosen, total: all.length });
    const every = $("alarm-select-all");
    every.checked = all.length > 0 && chosen === all.length;
    every.indeterminate = chosen > 0 && chosen < all.length;
    for (const box of all) box.closest("li").classList.toggle("alarm-selected", box.checked);
  }

  function say(text, good) {
    const out = $("bulk-result");
    out.textContent = text;
    out.className = good ? "form-result ok" : "form-result bad";
  }

  async function submit(event) {
    event.preventDefault();
    const ids = selectedIds();
    const comment = $("bulk-comment").value.trim();
    if (!ids.length) return say(PG.t("Select at least one alarm."), false);
    if (!comment) return say(PG.t("A comment is required."), false);
    try {
      const answer = await PG.api("POST", "/dashboard/api/alarms/ack", { alarm_ids: ids, comment });
      for (const alarm of answer.acknowledged) hooks.removeAlarm(alarm.alarm_id);
      $("bulk-comment").value = "";
      say(PG.t("{count} alarm(s) acknowledged.", { count: answer.acknowledged.length }), true);
    } catch (err) {
      say(err.message, false);  // all or none: the list is as it was
    }
    showCount();
  }

  /** The selection box of one alarm row (labelled for screen readers). */
  function checkbox(alarm, label) {
    return PG.el("input", { type: "checkbox", class: "alarm-select", value: alarm.alarm_id,
      "aria-label": PG.t("Select alarm: {alarm}", { alarm: label }), on: { change: showCount } });
  }

  /** The link to an alarm's context screen (last events at its gate, photo, still). */
  function contextLink(alarm) {
    return PG.el("a", { class: "alarm-context", href: "/dashboard/alarms/" + encodeURIComponent(alarm.alarm_id), text: PG.t("Context") });
  }

  /** The enrolled photo beside a face decision, where the event's site shows photos. */
  function photo(ev, sites) {
    const site = sites.find((s) => s.site_id === ev.site_id);
    const face = ev.face_score !== null && ev.face_score !== undefined;
    if (!site || !site.show_enrolled_photos || !face || !ev.person_id) return null;
    const img = PG.el("img", { class: "ev-photo", src: "/dashboard/api/enrolled-photos/" + encodeURIComponent(ev.person_id) + "?page=dashboard",
      alt: PG.t("Enrolled photo of {person}", { person: ev.person_name || ev.person_id }) });
    img.addEventListener("error", () => img.remove());  // none kept of this person
    return img;
  }

  /** Admins: whether the site's operators see enrollment photos (off by default). */
  function photoSwitch(site, refresh) {
    const msg = PG.el("span", { class: "form-error", role: "status" });
    const box = PG.el("input", { type: "checkbox", class: "photo-switch", checked: site.show_enrolled_photos,
      on: { change: async () => {
        try {
          await PG.api("POST", `/dashboard/api/sites/${encodeURIComponent(site.site_id)}/enrolled-photos`, { show: box.checked });
          msg.textContent = "";
          refresh();
        } catch (err) { box.checked = !box.checked; msg.textContent = err.message; }
      } } });
    return PG.el("label", { class: "photo-switch-label" }, box, " ", PG.t("Operators see enrollment photos"), msg);
  }

  /** Admins: whether the site keeps the camera stills its agents send with alarms (off by default). */
  function stillSwitch(site, refresh) {
    const msg = PG.el("span", { class: "form-error", role: "status" });
    const days = site.still_retention_days;
    const box = PG.el("input", { type: "checkbox", class: "still-switch", checked: site.keep_alarm_stills,
      on: { change: async () => {
        try {
          await PG.api("POST", `/dashboard/api/sites/${encodeURIComponent(site.site_id)}/alarm-stills`, { keep: box.checked, retention_days: days });
          msg.textContent = "";
          refresh();
        } catch (err) { box.checked = !box.checked; msg.textContent = err.message; }
      } } });
    return PG.el("label", { class: "photo-switch-label" }, box, " ", PG.t("Keep camera stills of alarms for {days} days", { days }), msg);
  }

  function onAlarmKey(row, event) {
    const box = row.querySelector("input.alarm-select");
    if (event.key === " " && box) {
      event.preventDefault();  // Space selects instead of scrolling the list
      box.checked = !box.checked;
      showCount();
    } else if (event.key === "Enter") {
      event.preventDefault();
      window.location.assign(row.querySelector("a.alarm-context").href);
    }
  }

  function init(options) {
    Object.assign(hooks, options);
    $("bulk-ack").addEventListener("submit", submit);
    $("alarm-select-all").addEventListener("change", (event) => {
      for (const box of boxes()) box.checked = event.target.checked;
      showCount();
    });
    new MutationObserver(showCount).observe($("alarm-list"), { childList: true });
    PG.keyList($("alarm-list"), "li.alarm", onAlarmKey);
    PG.keyList($("event-list"), "li.ev", null);
    showCount();
  }

  window.PGAlarms = { checkbox, contextLink, init, photo, photoSwitch, stillSwitch };
})();
