/* PortGate live operator dashboard: snapshot + Server-Sent Events, no page reloads.
   Every value from the server is written with textContent (PG.el), never as HTML. */
"use strict";
(function () {
  const PG = window.PG;
  const $ = (id) => document.getElementById(id);
  const MAX_ROWS = 200;
  const ALARM_LABELS = {
    forced: PG.t("Door forced"), held: PG.t("Door held open"), tamper: PG.t("Tamper"), reader_offline: PG.t("Reader offline"),
    tailgating: PG.t("Tailgating"), liveness: PG.t("Liveness failures"), watchlist: PG.t("Watchlist hit"),
    outbox_full: PG.t("Agent outbox full"), insider_pattern: PG.t("Insider pattern"), fault: PG.t("Fault"),
    anti_passback: PG.t("Soft anti-passback"),
    company_flagged: PG.t("Flagged company: check the person"),
  };
  const DECISION_LABELS = { granted: PG.t("granted"), denied: PG.t("denied") };
  const DIRECTION_LABELS = { entry: PG.t("entry"), exit: PG.t("exit") };
  const STATE_LABELS = {
    closed: PG.t("closed"), unlocked: PG.t("unlocked"), open: PG.t("open"), forced: PG.t("forced"), held: PG.t("held"),
    online: PG.t("online"), offline: PG.t("offline"),
  };
  const CREDENTIAL_LABELS = { badge: PG.t("badge"), qr_pass: PG.t("QR pass"), face: PG.t("face only") };
  const THREAT_LABELS = { 1: PG.t("1 · normal"), 2: PG.t("2 · no visitors"), 3: PG.t("3 · staff only") };

  const state = {
    me: { username: document.body.dataset.user, role: document.body.dataset.role },
    gates: new Map(),
    alarms: new Map(),
    sites: [],
    unacknowledged: 0,
    filters: { gate_id: "", decision: "", person: "" },
    source: null,
  };

  /* ---------- tabs ---------- */
  function showTab(name) {
    for (const button of document.querySelectorAll(".dash-tabs [data-tab]")) {
      button.setAttribute("aria-selected", String(button.dataset.tab === name));
    }
    for (const panel of document.querySelectorAll(".dash-tab")) panel.hidden = panel.id !== "tab-" + name;
    if (name === "muster") loadMuster();
    if (name === "charts") loadCharts();
  }

  /* ---------- events ---------- */
  function matchesFilters(ev) {
    const f = state.filters;
    if (f.gate_id && ev.gate_id !== f.gate_id) return false;
    if (f.decision && ev.decision !== f.decision) return false;
    if (f.person) {
      const q = f.person.toLowerCase();
      const name = (ev.person_name || "").toLowerCase();
      if (ev.person_id !== f.person && !name.includes(q)) return false;
    }
    return true;
  }

  function eventRow(ev) {
    const score = ev.face_score === null || ev.face_score === undefined ? PG.t("face –") : PG.t("face {score}", { score: Number(ev.face_score).toFixed(2) });
    const latency = ev.latency_ms === null || ev.latency_ms === undefined ? "– ms" : Math.round(ev.latency_ms) + " ms";
    const who = ev.person_name || (ev.person_id ? PG.t("person {id}", { id: ev.person_id }) : PG.t("unknown person"));
    return PG.el("li", { class: "ev ev-" + ev.decision, dataset: { eventId: ev.event_id, decision: ev.decision, gate: ev.gate_id } },
      PG.el("span", { class: "ev-time", title: ev.occurred_at, text: PG.fmtTime(ev.occurred_at) }),
      PG.el("span", { class: "ev-reason" },
        PG.el("b", { class: "ev-decision", text: DECISION_LABELS[ev.decision] || ev.decision }), " ",
        PG.el("span", { class: "ev-reason-text", text: PG.reason(ev.reason_text) }),
        ev.anti_passback_violation ? PG.el("span", { class: "ev-apb", title: PG.t("granted although the last passage was the same way"), text: " · " + PG.t("anti-passback violation") }) : null),
      PG.el("span", { class: "ev-person" },
        PG.el("span", { class: "ev-name", text: who }),
        PG.el("span", { class: "ev-company", text: ev.company || "" }),
        window.PGAlarms.photo(ev, state.sites)),
      PG.el("span", { class: "ev-where", text: PG.t("{gate} · lane {lane} {direction} · {credential}", { gate: ev.gate_id, lane: ev.lane, direction: DIRECTION_LABELS[ev.direction] || ev.direction, credential: CREDENTIAL_LABELS[ev.credential_kind] || ev.credential_kind }) }),
      PG.el("span", { class: "ev-metrics" },
        PG.el("span", { class: "ev-score", text: score, title: ev.face_model ? PG.t("model {model}, threshold {threshold}", { model: ev.face_model, threshold: ev.face_threshold }) : "" }),
        PG.el("span", { class: "ev-by ev-by-" + ev.decided_by, text: ev.decided_by === "replica" ? PG.t("offline replica") : PG.t("central") }),
        PG.el("span", { class: "ev-latency", text: latency }),
        PG.incidentLink("event_id", ev.event_id)));
  }

  function renderEvents(list) {
    $("event-list").replaceChildren(...list.filter(matchesFilters).slice(0, MAX_ROWS).map(eventRow));
  }

  function addLiveEvent(ev) {
    const list = $("event-list");
    if (!matchesFilters(ev) || list.querySelector(`[data-event-id="${CSS.escape(ev.event_id)}"]`)) return;
    list.prepend(eventRow(ev));
    while (list.children.length > MAX_ROWS) list.lastElementChild.remove();
  }

  async function reloadEvents() {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(state.filters)) if (v) params.set(k, v);
    params.set("limit", "100");
    try {
      renderEvents(await PG.api("GET", "/dashboard/api/events?" + params.toString()));
    } catch (err) {
      setConn("error", PG.t("events: {error}", { error: err.message }));
    }
  }

  /* ---------- gates ---------- */
  function nodeText(node, label) {
    if (!node) return PG.t("{label}: no status", { label });
    return PG.t("{label}: {state} {age}", { label, state: STATE_LABELS[node.state] || node.state, age: PG.fmtAge(node.since) });
  }

  function fmtSpan(seconds) {
    const s = Math.max(0, Math.round(seconds));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.round(s / 60) + " min";
    if (s < 86400) return Math.round(s / 3600) + " h";
    return Math.round(s / 86400) + " d";
  }

  /* The replica's age as the gate's offline max-age rule counts it (server-computed). */
  function replicaLine(g, site) {
    const r = g.replica || { state: "no_status" };
    const known = r.version !== null && r.version !== undefined;
    const label = known ? PG.t("replica v{version}", { version: r.version }) : PG.t("replica");
    const behind = site && known ? site.replica_version - r.version : 0;
    const extra = behind > 0 ? " · " + (behind === 1 ? PG.t("1 version behind") : PG.t("{count} versions behind", { count: behind })) : "";
    switch (r.state) {
      case "current": return { state: r.state, text: PG.t("{label} · {age} old", { label, age: fmtSpan(r.age_s) }) + extra };
      case "stale": return { state: r.state, text: PG.t("{label} · {age} old, over the {limit} limit", { label, age: fmtSpan(r.age_s), limit: fmtSpan(r.max_age_s) }) + extra };
      case "never_synced": return { state: r.state, text: PG.t("replica: never synced") };
      case "unknown": return { state: r.state, text: PG.t("{label} · age unknown", { label }) + extra };
      default: return { state: "no_status", text: PG.t("replica –") };
    }
  }

  function tile(g) {
    const unknownPerson = PG.t("unknown");  // apart: Babel extracts no PG.t inside another PG.t
    const agent = g.agent;
    const site = state.sites.find((s) => s.site_id === g.site_id);
    const replica = replicaLine(g, site);
    const last = g.last_event;
    const door = g.door ? PG.t("door {state}", { state: STATE_LABELS[g.door] || g.door }) + (g.tamper ? " · " + PG.t("TAMPER") : "") : PG.t("door unknown");
    const classes = ["tile", g.online ? "tile-online" : "tile-offline"];
    if (g.tamper || g.door === "forced" || g.door === "held") classes.push("tile-alert");
    return PG.el("article", { class: classes.join(" "), dataset: { gateId: g.gate_id, online: String(g.online) } },
      PG.el("header", {},
        PG.el("span", { class: "tile-name", text: g.name }),
        PG.el("span", { class: "tile-state", text: g.online ? PG.t("online") : agent ? PG.t("OFFLINE") : PG.t("NO STATUS") })),
      PG.el("div", { class: "tile-line", text: PG.t("{gate} · zone {zone} · {rate}/min", { gate: g.gate_id, zone: g.zone_id || "?", rate: g.events_per_minute }) }),
      PG.el("div", { class: "tile-line tile-door door-" + (g.door || "unknown"), text: door }),
      PG.el("div", { class: "tile-line", text: nodeText(agent, PG.t("agent")) + " · " + nodeText(g.bridge, PG.t("bridge")) }),
      PG.el("div", { class: "tile-line tile-replica replica-" + replica.state, dataset: { replicaState: replica.state },
        title: g.replica && g.replica.synced_at ? PG.t("known current at {time}", { time: PG.fmtDateTime(g.replica.synced_at) }) : null, text: replica.text }),
      PG.el("div", { class: "tile-line tile-last" + (last ? " last-" + last.decision : "") },
        last ? PG.t("last: {time} {decision} · {person}", { time: PG.fmtTime(last.occurred_at), decision: DECISION_LABELS[last.decision] || last.decision, person: last.person_name || last.person_id || unknownPerson }) : PG.t("no events yet")),
      PG.el("button", { type: "button", class: "tile-open", text: PG.t("Remote open…"), on: { click: () => prepareOpen(g.gate_id) } }));
  }

  function renderGates() {
    const tiles = [...state.gates.values()].sort((a, b) => a.gate_id.localeCompare(b.gate_id));
    $("gate-tiles").replaceChildren(...tiles.map(tile));
    for (const select of [$("filter-gate"), $("open-gate")]) {
      const keep = select.value;
      const first = select.id === "filter-gate" ? [PG.el("option", { value: "", text: "all" })] : [];
      select.replaceChildren(...first, ...tiles.map((g) => PG.el("option", { value: g.gate_id, text: g.gate_id })));
      select.value = keep;
      if (select.value !== keep && select.id === "filter-gate") select.value = "";
    }
  }

  function updateGate(g) {
    state.gates.set(g.gate_id, g);
    const old = $("gate-tiles").querySelector(`[data-gate-id="${CSS.escape(g.gate_id)}"]`);
    if (old) old.replaceWith(tile(g));
    else renderGates();
  }

  async function refreshGates() {
    try {
      const tiles = await PG.api("GET", "/dashboard/api/gates");
      state.gates = new Map(tiles.map((g) => [g.gate_id, g]));
      renderGates();
    } catch (err) {
      setConn("error", PG.t("gates: {error}", { error: err.message }));
    }
  }

  /* ---------- alarms ---------- */
  function setAlarmCount(n) {
    state.unacknowledged = Math.max(0, n);
    const badge = $("alarm-badge");
    $("alarm-count").textContent = String(state.unacknowledged);
    $("alarm-count-inline").textContent = String(state.unacknowledged);
    badge.dataset.count = String(state.unacknowledged);
    badge.classList.toggle("hot", state.unacknowledged > 0);
    document.title = (state.unacknowledged > 0 ? `(${state.unacknowledged}) ` : "") + PG.t("Dashboard") + " · PortGate";
    $("alarm-empty").hidden = state.alarms.size > 0;
  }

  function alarmItem(a) {
    const input = PG.el("input", { name: "comment", required: true, maxlength: 500, minlength: 1,
      placeholder: PG.t("comment (required)"), "aria-label": PG.t("Acknowledgement comment") });
    const error = PG.el("span", { class: "form-error", role: "alert" });
    const form = PG.el("form", { class: "ack-form", on: { submit: (e) => { e.preventDefault(); acknowledge(a.alarm_id, input, error); } } },
      input, PG.el("button", { type: "submit", text: PG.t("Acknowledge") }), error);
    const label = (ALARM_LABELS[a.kind] || a.kind) + " " + (a.gate_id || a.site_id);
    return PG.el("li", { class: "alarm alarm-" + a.kind, dataset: { alarmId: a.alarm_id, kind: a.kind } },
      PG.el("div", { class: "alarm-head" },
        window.PGAlarms.checkbox(a, label),
        PG.el("b", { text: ALARM_LABELS[a.kind] || a.kind }),
        PG.el("span", { text: " " + (a.gate_id || PG.t("site {site}", { site: a.site_id })) + (a.lane !== null && a.lane !== undefined ? " · " + PG.t("lane {lane}", { lane: a.lane }) : "") }),
        PG.el("time", { datetime: a.raised_at, text: PG.fmtDateTime(a.raised_at) })),
      a.detail ? PG.el("div", { class: "alarm-detail", text: a.detail }) : null,
      a.person_name || a.person_id ? PG.el("div", { class: "alarm-person", text: PG.t("person: {person}", { person: a.person_name || a.person_id }) }) : null,
      form, window.PGAlarms.contextLink(a), " ", PG.incidentLink("alarm_id", a.alarm_id));
  }

  function renderAlarms(alarms, count) {
    state.alarms = new Map(alarms.map((a) => [a.alarm_id, a]));
    $("alarm-list").replaceChildren(...alarms.map(alarmItem));
    setAlarmCount(count);
  }

  function addLiveAlarm(a) {
    if (state.alarms.has(a.alarm_id)) return;
    state.alarms.set(a.alarm_id, a);
    $("alarm-list").prepend(alarmItem(a));
    setAlarmCount(state.unacknowledged + 1);
  }

  function removeAlarm(alarmId) {
    if (!state.alarms.has(alarmId)) return;
    state.alarms.delete(alarmId);
    const li = $("alarm-list").querySelector(`[data-alarm-id="${CSS.escape(alarmId)}"]`);
    if (li) li.remove();
    setAlarmCount(state.unacknowledged - 1);
  }

  async function acknowledge(alarmId, input, error) {
    const comment = input.value.trim();
    if (!comment) { error.textContent = PG.t("A comment is required."); return; }
    error.textContent = "";
    try {
      await PG.api("POST", `/dashboard/api/alarms/${encodeURIComponent(alarmId)}/ack`, { comment });
      removeAlarm(alarmId);
    } catch (err) {
      error.textContent = err.message;
    }
  }

  async function refreshAlarms() {
    try {
      const data = await PG.api("GET", "/dashboard/api/alarms");
      renderAlarms(data.alarms, data.unacknowledged);
      renderOpenRequests(data.open_requests);
      renderSites(data.sites);
    } catch (err) {
      setConn("error", PG.t("alarms: {error}", { error: err.message }));
    }
  }

  /* ---------- remote open and threat level ---------- */
  function prepareOpen(gateId) {
    showTab("control");
    $("open-gate").value = gateId;
    $("open-reason").focus();
  }

  async function submitOpen(event) {
    event.preventDefault();
    const result = $("open-result");
    const gateId = $("open-gate").value;
    const body = { lane: Number($("open-lane").value), direction: $("open-direction").value, reason: $("open-reason").value.trim() };
    result.textContent = "";
    result.className = "form-result";
    try {
      const r = await PG.api("POST", `/dashboard/api/gates/${encodeURIComponent(gateId)}/open`, body);
      result.textContent = r.status === "issued" ? PG.t("Open command sent to {gate} lane {lane}.", { gate: r.gate_id, lane: r.lane }) : PG.t("Waiting for a second operator to approve ({gate} lane {lane}).", { gate: r.gate_id, lane: r.lane });
      result.classList.add("ok");
      $("open-reason").value = "";
      refreshAlarms();
    } catch (err) {
      result.textContent = err.message;
      result.classList.add("bad");
    }
  }

  function renderOpenRequests(requests) {
    const items = requests.map((r) => {
      const mine = r.requested_by === state.me.username;
      const button = PG.el("button", { type: "button", text: mine ? PG.t("needs another operator") : PG.t("Approve"), disabled: mine,
        on: { click: async () => {
          try { await PG.api("POST", `/dashboard/api/open-requests/${encodeURIComponent(r.id)}/approve`, {}); refreshAlarms(); }
          catch (err) { button.textContent = err.message; }
        } } });
      return PG.el("li", { dataset: { requestId: r.id } },
        PG.el("span", { text: PG.t("{gate} lane {lane} {direction} · by {user} · {time} · “{reason}” ", { gate: r.gate_id, lane: r.lane, direction: DIRECTION_LABELS[r.direction] || r.direction, user: r.requested_by, time: PG.fmtTime(r.requested_at), reason: r.reason }) }), button);
    });
    $("open-pending").replaceChildren(...items);
    $("open-pending-empty").hidden = requests.length > 0;
  }

  function renderSites(sites) {
    state.sites = sites;
    const max = Math.max(1, ...sites.map((s) => s.threat_level));
    const badge = $("threat-badge");
    badge.dataset.level = String(max);
    badge.textContent = PG.t("threat {level}", { level: max });
    const admin = state.me.role === "admin";
    $("threat-hint").hidden = admin;
    $("threat-sites").replaceChildren(...sites.map((s) => {
      const parts = [PG.el("span", { class: "threat-site", text: PG.t("{name} ({site}): level {level}", { name: s.name, site: s.site_id, level: THREAT_LABELS[s.threat_level] || s.threat_level }) })];
      if (admin) {
        const select = PG.el("select", { "aria-label": PG.t("New threat level for {site}", { site: s.site_id }) },
          ...[1, 2, 3].map((l) => PG.el("option", { value: l, text: THREAT_LABELS[l], selected: l === s.threat_level })));
        const msg = PG.el("span", { class: "form-error", role: "status" });
        const button = PG.el("button", { type: "button", text: PG.t("Set"), on: { click: async () => {
          try {
            await PG.api("POST", `/dashboard/api/sites/${encodeURIComponent(s.site_id)}/threat-level`, { level: Number(select.value) });
            msg.textContent = "";
            refreshAlarms();
          } catch (err) { msg.textContent = err.message; }
        } } });
        parts.push(select, button, msg, window.PGAlarms.photoSwitch(s, refreshAlarms));
        parts.push(window.PGAlarms.stillSwitch(s, refreshAlarms));  // issue 22.4: alarm stills
      }
      return PG.el("li", { dataset: { siteId: s.site_id, level: String(s.threat_level) } }, ...parts);
    }));
  }

  /* ---------- muster and charts ---------- */
  async function loadMuster() {
    try {
      const entries = await PG.api("GET", "/dashboard/api/muster");
      const zones = new Map();
      for (const e of entries) {
        if (!zones.has(e.zone_id)) zones.set(e.zone_id, { name: e.zone_name, people: [] });
        zones.get(e.zone_id).people.push(e);
      }
      $("muster-total").textContent = String(entries.length);
      const blocks = [...zones.entries()].map(([zoneId, z]) => PG.el("section", { class: "muster-zone", dataset: { zoneId } },
        PG.el("h3", { text: `${z.name} (${zoneId}) · ${z.people.length}` }),
        PG.el("table", {},
          PG.el("thead", {}, PG.el("tr", {}, ...[PG.t("Name"), PG.t("Company"), PG.t("Person id"), PG.t("Entry gate"), PG.t("Inside since")].map((h) => PG.el("th", { text: h })))),
          PG.el("tbody", {}, ...z.people.map((p) => PG.el("tr", {},
            PG.el("td", { text: p.display_name }), PG.el("td", { text: p.company || "" }), PG.el("td", { text: p.person_id }),
            PG.el("td", { text: p.gate_id }), PG.el("td", { title: p.since, text: PG.fmtDateTime(p.since) })))))));
      $("muster-zones").replaceChildren(...(blocks.length ? blocks : [PG.el("p", { class: "empty", text: PG.t("Nobody is on site.") })]));
    } catch (err) {
      $("muster-zones").replaceChildren(PG.el("p", { class: "form-error", text: err.message }));
    }
  }

  async function loadCharts() {
    try {
      const data = await PG.api("GET", "/dashboard/api/charts?hours=" + encodeURIComponent($("chart-hours").value));
      PG.lineChart($("chart-rate"), data.events_per_minute);
      PG.barChart($("chart-denials"), data.denials_by_reason.map((d) => ({ label: PG.t(d.text), value: d.count, title: d.reason })));
    } catch (err) {
      $("chart-rate").replaceChildren(PG.el("p", { class: "form-error", text: err.message }));
    }
  }

  /* ---------- live stream ---------- */
  function setConn(stateName, text) {
    const node = $("conn-state");
    node.dataset.state = stateName;
    node.textContent = text;
  }

  async function loadSnapshot() {
    const snap = await PG.api("GET", "/dashboard/api/snapshot");
    state.me = snap.user;
    renderSites(snap.sites);
    state.gates = new Map(snap.gates.map((g) => [g.gate_id, g]));
    renderGates();
    if (state.filters.gate_id || state.filters.decision || state.filters.person) await reloadEvents();
    else renderEvents(snap.events);
    renderAlarms(snap.alarms, snap.unacknowledged);
    renderOpenRequests(snap.open_requests);
  }

  function connect() {
    if (state.source) state.source.close();
    const source = new EventSource("/dashboard/api/stream");
    state.source = source;
    let first = true;
    source.addEventListener("hello", () => {
      setConn("live", PG.t("live"));
      // After a reconnect the page may have missed items: reload what the stream would have sent.
      if (!first) loadSnapshot().catch((err) => setConn("error", err.message));
      first = false;
    });
    source.addEventListener("event", (e) => addLiveEvent(JSON.parse(e.data)));
    source.addEventListener("gate", (e) => updateGate(JSON.parse(e.data)));
    source.addEventListener("alarm", (e) => addLiveAlarm(JSON.parse(e.data)));
    source.addEventListener("alarm_ack", (e) => removeAlarm(JSON.parse(e.data).alarm_id));
    source.addEventListener("threat", () => refreshAlarms());
    source.addEventListener("open", () => refreshAlarms());
    source.onerror = () => setConn("down", PG.t("reconnecting…"));
  }

  function init() {
    for (const button of document.querySelectorAll(".dash-tabs [data-tab]")) {
      button.addEventListener("click", () => showTab(button.dataset.tab));
    }
    $("alarm-badge").addEventListener("click", () => { showTab("live"); $("alarm-list").scrollIntoView(); });
    $("event-filters").addEventListener("submit", (e) => e.preventDefault());
    let typing = null;
    $("event-filters").addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => {
        state.filters = { gate_id: $("filter-gate").value, decision: $("filter-decision").value, person: $("filter-person").value.trim() };
        reloadEvents();
      }, 250);
    });
    window.PGAlarms.init({ removeAlarm });
    $("open-form").addEventListener("submit", submitOpen);
    $("muster-refresh").addEventListener("click", loadMuster);
    $("chart-hours").addEventListener("change", loadCharts);
    loadSnapshot().then(connect).catch((err) => { setConn("error", err.message); connect(); });
    // Rates and ages move with time; alarms raised or acknowledged elsewhere show up too.
    setInterval(refreshGates, 10000);
    setInterval(refreshAlarms, 10000);
  }

  document.addEventListener("DOMContentLoaded", init);
})();
