/* PortGate alarm context screen: times in the site's zone, reasons in the page's language,
   a photo that is not kept is hidden, the events table is one keyboard list, and the alarm
   can be acknowledged here (the same audited route as the dashboard's). */
"use strict";
(function () {
  const PG = window.PG;
  const $ = (id) => document.getElementById(id);

  function hideMissing(img) {
    img.addEventListener("error", () => {
      img.hidden = true;
      if (img.id === "ctx-photo") $("ctx-photo-none").hidden = false;
    });
    if (img.complete && img.naturalWidth === 0) img.dispatchEvent(new Event("error"));
  }

  async function acknowledge(event) {
    event.preventDefault();
    const screen = document.querySelector(".context-screen");
    const comment = $("ctx-comment").value.trim();
    const out = $("ctx-result");
    if (!comment) { out.textContent = PG.t("A comment is required."); out.className = "form-result bad"; return; }
    try {
      const alarm = await PG.api("POST", `/dashboard/api/alarms/${encodeURIComponent(screen.dataset.alarmId)}/ack`, { comment });
      $("ctx-state").textContent = PG.t("acknowledged by {user}: {comment}", { user: alarm.acknowledged_by, comment: alarm.ack_comment });
      $("ctx-ack").remove();
    } catch (err) {
      out.textContent = err.message;
      out.className = "form-result bad";
    }
  }

  function init() {
    for (const node of document.querySelectorAll("time[datetime]")) {
      node.textContent = PG.fmtDateTime(node.getAttribute("datetime"));
    }
    for (const cell of document.querySelectorAll(".ctx-reason")) cell.textContent = PG.reason(cell.dataset.reasonText);
    for (const img of document.querySelectorAll("img.ev-photo, #ctx-photo")) hideMissing(img);
    const table = $("ctx-events");
    if (table) PG.keyList(table.tBodies[0], "tr", null);
    if ($("ctx-ack")) $("ctx-ack").addEventListener("submit", acknowledge);
  }

  document.addEventListener("DOMContentLoaded", init);
})();
