/* The pass on a phone: reads the pass id from the path and the secret from the fragment
   (never sent in a URL), asks the API for the pass's live status every few seconds, shows
   the QR code of the signed token while the pass can open a gate, keeps the screen on
   (Screen Wake Lock, where the browser has it). No cookie, no storage. */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const pollMs = Math.max(1, Number(document.body.dataset.pollS || "15")) * 1000;
  const passId = decodeURIComponent(window.location.pathname.split("/").pop() || "");
  const secret = window.location.hash.slice(1);
  const STATUS = {
    not_yet_valid: PG.t("Not yet valid"),
    valid: PG.t("Valid: show this code at the gate"),
    used: PG.t("Used: this pass has let you through and cannot be used again"),
    cancelled: PG.t("Cancelled: this pass was cancelled by the security desk"),
    expired: PG.t("Expired: the visit window is over"),
  };
  let timer = null;
  let wakeLock = null;
  let lastToken = null;

  // The language links keep the fragment, or the page would lose its secret.
  for (const link of document.querySelectorAll(".mp-langs a")) {
    link.href = "?lang=" + link.dataset.lang + window.location.hash;
  }

  function invalid() {
    $("mp-loading").hidden = true;
    $("mp-pass").hidden = true;
    $("mp-full").hidden = true;
    $("mp-invalid").hidden = false;
    if (timer) clearInterval(timer);
    timer = null;
  }

  async function keepScreenOn() {
    if (!("wakeLock" in navigator) || wakeLock || document.visibilityState !== "visible") return;
    try {
      wakeLock = await navigator.wakeLock.request("screen");
      wakeLock.addEventListener("release", () => { wakeLock = null; });
    } catch (error) {
      wakeLock = null; // refused (battery saver): the hint still says to keep it on
    }
  }

  function followLanguage(view) {
    // The holder's language, unless the reader picked one here (?lang in the address).
    if (!view.language || view.language === document.documentElement.lang) return false;
    if (new URLSearchParams(window.location.search).has("lang")) return false;
    window.location.replace("?lang=" + encodeURIComponent(view.language) + window.location.hash);
    return true;
  }

  function show(view) {
    if (followLanguage(view)) return;
    $("mp-loading").hidden = true;
    $("mp-invalid").hidden = true;
    $("mp-pass").hidden = false;
    $("mp-error").textContent = "";
    $("mp-status").dataset.status = view.status;
    $("mp-status").textContent = STATUS[view.status] || view.status;
    $("mp-holder").textContent = view.first_name;
    $("mp-facts").hidden = !view.valid_from; // a cancelled pass has no window any more
    $("mp-from").textContent = view.valid_from || "—";
    $("mp-until").textContent = view.valid_until || "—";
    $("mp-gates").textContent = view.gates.length ? view.gates.join(", ") : "—";
    $("mp-zone").textContent = view.zone ? PG.t("Times are the port's local time ({zone}).", { zone: view.zone }) : "";
    const codeShown = Boolean(view.qr);
    $("mp-code").hidden = !codeShown;
    if (codeShown && view.token !== lastToken) {
      $("mp-qr").src = view.qr;
      $("mp-full-qr").src = view.qr;
      lastToken = view.token;
    }
    if (!codeShown) {
      $("mp-full").hidden = true;
      $("mp-qr").removeAttribute("src");
      $("mp-full-qr").removeAttribute("src");
      lastToken = null;
    } else {
      keepScreenOn();
    }
  }

  async function refresh() {
    let response;
    try {
      response = await fetch("/api/v1/mobile-pass", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ pass_id: passId, secret }),
      });
    } catch (error) {
      $("mp-error").textContent = PG.t("No connection: the status shown may be out of date.");
      return;
    }
    if (response.status === 404) { invalid(); return; }
    const data = await response.json().catch(() => null);
    if (!response.ok || !data) {
      $("mp-error").textContent = PG.t("The status could not be read ({status}). Try again later.", { status: response.status });
      return;
    }
    show(data);
  }

  $("mp-enlarge").addEventListener("click", () => {
    $("mp-full").hidden = false;
    const full = $("mp-full");
    if (full.requestFullscreen) full.requestFullscreen().catch(() => {});
  });
  $("mp-close").addEventListener("click", () => {
    $("mp-full").hidden = true;
    if (document.fullscreenElement && document.exitFullscreen) document.exitFullscreen().catch(() => {});
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && timer) { refresh(); keepScreenOn(); }
  });

  if (!passId || !secret) { invalid(); return; }
  refresh();
  timer = setInterval(refresh, pollMs);
})();
