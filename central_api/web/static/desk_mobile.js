// PortGate security desk: the phone link of the pass just issued (shown once: only its
// keyed hash is stored), copied or shown as a QR code for the driver to scan, and a new
// link on request, which kills the old one (audited). Every user-facing text goes through PG.t.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let passId = null;

  function say(text, bad) {
    $("status").textContent = text;
    $("status").className = bad ? "bad" : "";
  }

  function showLink(url, qr) {
    $("pass-mobile-url").value = url;
    $("pass-mobile-qr").src = qr;
    $("pass-mobile").hidden = false;
  }

  document.addEventListener("pg:pass-issued", (event) => {
    passId = event.detail.pass_id;
    if (event.detail.mobile_url) showLink(event.detail.mobile_url, event.detail.mobile_qr);
  });

  $("pass-mobile-copy").addEventListener("click", async () => {
    const field = $("pass-mobile-url");
    try {
      await navigator.clipboard.writeText(field.value);
    } catch (error) {
      field.select(); // no clipboard (plain http): selected for Ctrl+C
      document.execCommand("copy");
    }
    say(PG.t("Phone link copied."));
  });

  $("pass-mobile-new").addEventListener("click", async () => {
    if (!passId) return;
    try {
      const link = await PG.api("POST", "/api/v1/enroll/passes/" + encodeURIComponent(passId) + "/mobile-link");
      showLink(link.url, link.qr);
      say(PG.t("New phone link for pass {id}: the old link no longer works.", { id: passId }));
    } catch (error) {
      say(PG.t("Not done: {message}", { message: error.message }), true);
    }
  });
})();
