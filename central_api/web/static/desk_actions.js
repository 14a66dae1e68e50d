// PortGate security desk: one person's status everywhere and the desk's actions on them
// (revoke, suspend, reinstate with a reason; validity in inclusive days; a lost badge
// replaced; export; erasure with a typed confirmation and its receipt), and the desk's
// badge readers (keyboard-wedge readers type the number + Enter; an OSDP reader through
// `portgate desk-reader`). Every user-facing text goes through PG.t.
"use strict";
(function () {
  const BASE = "/api/v1/enroll/people/";
  const desk = { id: null, standing: null, lastRead: null };
  const $ = (id) => document.getElementById(id);

  function say(text, bad = false) {
    const status = $("status");
    status.textContent = text;
    status.className = bad ? "bad" : "";
  }

  function day(value) {
    return value || PG.t("open");
  }

  function summary(standing) {
    const p = standing.person;
    const parts = [
      PG.t("Status: {status}", { status: p.status }),
      standing.status_reason ? PG.t("reason: {reason}", { reason: standing.status_reason }) : null,
      PG.t("valid {first} – {last} (inclusive, {zone})", {
        first: day(standing.first_day), last: day(standing.last_day), zone: standing.timezone,
      }),
    ];
    return parts.filter(Boolean).join(" · ");
  }

  function facts(standing) {
    // The selected person's one-line facts (desk.js writes them on selection), kept current.
    const p = standing.person;
    const validity = standing.last_day ? " " + PG.t("until {day}", { day: standing.last_day }) : "";
    // Looked up apart: Babel extracts no PG.t inside another PG.t's arguments.
    const company = p.company || PG.t("no company");
    const badges = p.badges.join(", ") || PG.t("none");
    $("p-facts").textContent =
      `${p.kind} · ${company} · ${p.status}${validity} · ` + PG.t("badges: {badges}", { badges });
  }

  function item(text, ...extra) {
    return PG.el("li", {}, PG.el("span", { text }), ...extra);
  }

  function renderLists(standing) {
    $("a-sites").replaceChildren(...standing.sites.map((s) =>
      item(PG.t("{site}: {status}, {first} – {last}", {
        site: s.site_name, status: s.status, first: day(s.first_day), last: day(s.last_day),
      }))));
    $("a-credentials").replaceChildren(...standing.credentials.map((c) =>
      item(c.revoked_at
        ? PG.t("{kind} {ref}: revoked {when} ({reason})", {
          kind: c.kind, ref: c.ref, when: c.revoked_at.slice(0, 10), reason: c.revoke_reason || "—",
        })
        : PG.t("{kind} {ref}: valid", { kind: c.kind, ref: c.ref }))));
    const usedMark = " · " + PG.t("used");
    $("a-passes").replaceChildren(...standing.passes.map((pass) =>
      item(PG.t("{pass} at {gates}, {from} – {until}{used}", {
        pass: pass.pass_id, gates: pass.gates.join(", "), from: PG.fmtDateTime(pass.not_before),
        until: PG.fmtDateTime(pass.expires_at), used: pass.used_at ? usedMark : "",
      }), pass.used_at && pass.one_time ? null : PG.el("button", {
        type: "button", text: PG.t("Cancel pass"), dataset: { pass: pass.pass_id },
        on: { click: () => cancelPass(pass.pass_id) },
      }))));
    const furtherNotice = PG.t("further notice");
    const flags = [
      ...standing.port_bans.map((b) => item(PG.t("Port ban in force from {from} until {until}", {
        from: b.valid_from.slice(0, 10), until: b.valid_until ? b.valid_until.slice(0, 10) : furtherNotice,
      }))),
      ...standing.watchlist.map((w) => item(PG.t("Watchlist ({action}): {reason}", { action: w.action, reason: w.reason || "—" }))),
    ];
    $("a-flags").replaceChildren(...(flags.length ? flags : [item(PG.t("None"))]));
    for (const list of ["a-sites", "a-credentials", "a-passes"]) {
      if (!$(list).children.length) $(list).append(item(PG.t("None")));
    }
  }

  function renderForms(standing) {
    const badges = standing.credentials.filter((c) => c.kind === "badge" && !c.revoked_at);
    $("a-lost-badge").replaceChildren(...badges.map((c) => PG.el("option", { value: String(c.id), text: c.ref })));
    $("a-lost-submit").disabled = !badges.length;
    $("a-validity-site").replaceChildren(
      PG.el("option", { value: "", text: PG.t("Everywhere") }),
      ...standing.sites.map((s) => PG.el("option", { value: s.site_id, text: PG.t("At {site} only", { site: s.site_name }) })));
    $("a-first-day").value = standing.first_day || "";
    $("a-last-day").value = standing.last_day || "";
    $("a-erase-id").textContent = standing.person.id;
  }

  function show(standing) {
    desk.standing = standing;
    $("actions-panel").hidden = false;
    $("a-summary").textContent = summary(standing);
    $("a-summary").className = "a-summary" + (standing.person.status === "active" ? "" : " bad");
    renderLists(standing);
    renderForms(standing);
    facts(standing);
  }

  async function load(personId) {
    desk.id = personId;
    $("receipt-panel").hidden = true;
    try {
      show(await PG.api("GET", BASE + encodeURIComponent(personId) + "/standing"));
    } catch (error) {
      say(error.message, true);
    }
  }

  async function act(path, body, done) {
    try {
      show(await PG.api("POST", BASE + encodeURIComponent(desk.id) + path, body));
      say(done);
      return true;
    } catch (error) {
      say(PG.t("Not done: {message}", { message: error.message }), true);
      return false;
    }
  }

  async function changeStanding(event) {
    event.preventDefault();
    const action = $("a-standing-action").value;
    const reason = $("a-reason").value.trim();
    if (!reason) {
      say(PG.t("Not done: give a reason."), true);
      return;
    }
    if (await act("/standing", { action, reason }, PG.t("Done: {action} ({reason}).", { action, reason }))) {
      $("a-reason").value = "";
    }
  }

  async function changeValidity(event) {
    event.preventDefault();
    const body = {
      first_day: $("a-first-day").value || null,
      last_day: $("a-last-day").value || null,
      site_id: $("a-validity-site").value || null,
    };
    await act("/validity", body, PG.t("Validity changed: {first} – {last}.", { first: day(body.first_day), last: day(body.last_day) }));
  }

  async function replaceLost(event) {
    event.preventDefault();
    const number = $("a-new-badge").value.trim();
    const body = {
      lost_credential_id: Number($("a-lost-badge").value),
      number,
      badge_format: $("a-new-format").value || null,
    };
    if (await act("/lost-badge", body, PG.t("Lost badge revoked; badge {number} bound.", { number }))) {
      $("a-new-badge").value = "";
    }
  }

  async function recordDocument(event) {
    event.preventDefault();
    const body = { kind: $("a-document-kind").value, document_number: $("a-document-number").value.trim() };
    try {
      await PG.api("POST", BASE + encodeURIComponent(desk.id) + "/documents", body);
      $("a-document-number").value = "";
      say(PG.t("Document check recorded; the desk finds {person} by its number.", { person: desk.id }));
    } catch (error) {
      say(PG.t("Not done: {message}", { message: error.message }), true);
    }
  }

  async function cancelPass(passId) {
    try {
      await PG.api("DELETE", "/api/v1/enroll/passes/" + encodeURIComponent(passId));
      say(PG.t("Pass {pass} cancelled.", { pass: passId }));
    } catch (error) {
      say(PG.t("Not done: {message}", { message: error.message }), true);
    }
    await load(desk.id);
  }

  function offer(name, data) {
    const link = $("a-download");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
    link.download = name;
    link.click();
  }

  async function exportAll() {
    try {
      const data = await PG.api("GET", BASE + encodeURIComponent(desk.id) + "/export");
      offer(`subject-access-${desk.id}.json`, data);
      say(PG.t("Export of {person} downloaded.", { person: desk.id }));
    } catch (error) {
      say(PG.t("Not done: {message}", { message: error.message }), true);
    }
  }

  async function erase(event) {
    event.preventDefault();
    const confirm = $("a-erase-confirm").value.trim();
    try {
      const receipt = await PG.api("POST", BASE + encodeURIComponent(desk.id) + "/erase", { confirm });
      $("a-erase-confirm").value = "";
      for (const id of ["actions-panel", "person-panel", "badge-panel", "pass-panel"]) $(id).hidden = true;
      $("find-results").replaceChildren();
      $("a-receipt").textContent = JSON.stringify(receipt, null, 2);
      const link = $("a-receipt-download");
      link.href = URL.createObjectURL(new Blob([JSON.stringify(receipt, null, 2)], { type: "application/json" }));
      link.download = `erasure-receipt-${receipt.person_id}.json`;
      $("receipt-panel").hidden = false;
      say(PG.t("{person} erased everywhere; keep the receipt.", { person: receipt.person_id }));
    } catch (error) {
      say(PG.t("Not erased: {message}", { message: error.message }), true);
    }
  }

  /**
   * A keyboard-wedge reader types the badge number and presses Enter. In a badge field of a
   * larger form, Enter must not submit the form half-filled: it ends the number and moves on.
   */
  function badgeField(input) {
    if (!input) return;
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      input.value = input.value.trim();
      input.dataset.read = "1";
      say(PG.t("Badge number {number} read.", { number: input.value }));
      const form = input.form;
      const next = form && [...form.elements].find((el, i, all) => i > all.indexOf(input) && !el.disabled && el.type !== "hidden");
      if (next) next.focus();
    });
  }

  /** An OSDP desk reader (portgate desk-reader) posts reads; the focused badge field gets them. */
  async function pollReader() {
    try {
      const read = await PG.api("GET", "/api/v1/enroll/desk-reader/last");
      // One read fills one field once: the poll sees the same read again for a few seconds.
      if (read && read.number && read.read_at !== desk.lastRead) {
        desk.lastRead = read.read_at;
        const field = [$("find-q"), $("a-new-badge"), $("badge-number"), $("v-badge")].find((el) => el === document.activeElement) || $("find-q");
        field.value = read.number;
        field.dispatchEvent(new Event("input", { bubbles: true }));
        say(PG.t("Badge number {number} read at the desk reader.", { number: read.number }));
      }
    } catch (error) {
      return; // the reader is optional: no read, no message
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    // desk.js writes the selected person's id into #p-id; follow it (no hook in desk.js needed).
    new MutationObserver(() => {
      const id = $("p-id").textContent.trim();
      if (id) load(id);
    }).observe($("p-id"), { childList: true, characterData: true, subtree: true });
    $("a-standing-form").addEventListener("submit", changeStanding);
    $("a-validity-form").addEventListener("submit", changeValidity);
    $("a-lost-form").addEventListener("submit", replaceLost);
    $("a-erase-form").addEventListener("submit", erase);
    $("a-document-form").addEventListener("submit", recordDocument);
    $("a-export").addEventListener("click", exportAll);
    for (const id of ["a-new-badge", "badge-number", "v-badge"]) badgeField($(id));
    if (document.body.dataset.deskReader !== "off") window.setInterval(pollReader, 1500);
  });
})();
