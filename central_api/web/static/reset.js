// PortGate reset page: the one-time token travels in the link's #fragment, which the browser
// never sends to the server (so no access log holds it); this copies it into the form.
"use strict";

(function () {
  const token = document.getElementById("r-token");
  if (!token) return;
  if (window.location.hash.length > 1) {
    token.value = window.location.hash.slice(1);
    // Out of the address bar and the history: the token is a password for 24 h.
    history.replaceState(null, "", window.location.pathname);
  }
})();
