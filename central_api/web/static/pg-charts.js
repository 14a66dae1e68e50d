/* PortGate charts: small inline-SVG line and bar charts built with DOM calls (no library, no CDN). */
"use strict";
(function () {
  const PG = (window.PG = window.PG || {});
  const NS = "http://www.w3.org/2000/svg";
  const PALETTE = ["#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292"];

  function svg(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  /** A round axis top that splits into 4 integer steps. */
  function niceMax(value) {
    if (value <= 4) return 4;
    const raw = value / 4;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw && Number.isInteger(s)) || Math.ceil(raw);
    return step * 4;
  }

  /** Per-minute counts of several series: data = {start, minutes, series: [{gate_id, counts}]} */
  PG.lineChart = function (box, data, opts) {
    const width = (opts && opts.width) || Math.max(box.clientWidth, 600);
    const height = (opts && opts.height) || 230;
    const m = { l: 40, r: 12, t: 10, b: 40 };
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", height, role: "img",
      "aria-label": PG.t("Events per gate per minute"), class: "pg-chart" });
    const w = width - m.l - m.r;
    const h = height - m.t - m.b;
    const n = data.minutes;
    let max = 0;
    for (const s of data.series) for (const c of s.counts) max = Math.max(max, c);
    max = niceMax(max);
    const x = (i) => m.l + (n <= 1 ? 0 : (i / (n - 1)) * w);
    const y = (v) => m.t + h - (v / max) * h;
    for (let k = 0; k <= 4; k++) {
      const v = (max / 4) * k;
      root.append(svg("line", { x1: m.l, x2: m.l + w, y1: y(v), y2: y(v), class: "grid" }));
      root.append(svg("text", { x: m.l - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, Math.round(v)));
    }
    const start = new Date(data.start).getTime();
    const ticks = 6;
    for (let k = 0; k <= ticks; k++) {
      const i = Math.round(((n - 1) * k) / ticks);
      const t = new Date(start + i * 60000);
      const label = t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
      const anchor = k === 0 ? "start" : k === ticks ? "end" : "middle";
      root.append(svg("text", { x: x(i), y: m.t + h + 16, "text-anchor": anchor, class: "tick" }, label));
    }
    data.series.forEach((s, idx) => {
      const color = PALETTE[idx % PALETTE.length];
      const points = s.counts.map((c, i) => `${x(i).toFixed(1)},${y(c).toFixed(1)}`).join(" ");
      const line = svg("polyline", { points, fill: "none", stroke: color, "stroke-width": 1.5, class: "series" });
      line.append(svg("title", {}, s.gate_id));
      root.append(line);
      const lx = m.l + (idx % 6) * 110;
      const ly = height - 8 - Math.floor(idx / 6) * 0;
      root.append(svg("rect", { x: lx, y: ly - 9, width: 10, height: 10, fill: color }));
      root.append(svg("text", { x: lx + 14, y: ly, class: "legend" }, s.gate_id));
    });
    if (!data.series.length) {
      root.append(svg("text", { x: m.l + w / 2, y: m.t + h / 2, "text-anchor": "middle", class: "empty" }, PG.t("No events in this window")));
    }
    box.replaceChildren(root);
  };

  /** Horizontal bars: items = [{label, value, title}] */
  PG.barChart = function (box, items, opts) {
    const width = (opts && opts.width) || Math.max(box.clientWidth, 600);
    const row = 22;
    const labelW = Math.min(330, width * 0.45);
    const height = Math.max(60, items.length * row + 20);
    const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", height, role: "img",
      "aria-label": PG.t("Denials by reason"), class: "pg-chart" });
    const max = niceMax(Math.max(0, ...items.map((i) => i.value)));
    const w = width - labelW - 60;
    items.forEach((item, idx) => {
      const yy = 10 + idx * row;
      const label = svg("text", { x: labelW - 8, y: yy + 14, "text-anchor": "end", class: "bar-label" }, item.label);
      label.append(svg("title", {}, item.title || item.label));
      root.append(label);
      const bw = Math.max(2, (item.value / max) * w);
      root.append(svg("rect", { x: labelW, y: yy + 3, width: bw, height: row - 8, class: "bar" }));
      root.append(svg("text", { x: labelW + bw + 6, y: yy + 14, class: "bar-value" }, item.value));
    });
    if (!items.length) {
      root.append(svg("text", { x: width / 2, y: 35, "text-anchor": "middle", class: "empty" }, PG.t("No denials in this window")));
    }
    box.replaceChildren(root);
  };
})();
