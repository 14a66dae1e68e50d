// The lane page (gate_agent/display): shows what the agent says this lane shows, in the
// person's language (or the one tapped), from the agent's event stream. Read-only.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lane-texts").textContent);
  var body = document.body;
  var lane = body.getAttribute("data-lane");
  var token = new URLSearchParams(window.location.search).get("token") || "";
  var chosen = null; // a language tapped on the screen, until the lane is idle again
  var screen = { state: "idle", language: "en", params: {} };
  var audio = null;

  function text(language, id, params) {
    var table = data.texts[language] || {};
    var out = table[id] || id; // English is the msgid itself
    Object.keys(params || {}).forEach(function (key) {
      out = out.split("{" + key + "}").join(params[key]);
    });
    return out;
  }

  function headline(language) {
    var keys = data.keys;
    if (screen.state === "granted") {
      return screen.name
        ? text(language, keys.welcome_name, { name: screen.name })
        : text(language, keys.welcome, {});
    }
    if (screen.state === "denied") return text(language, keys.denied, {});
    if (screen.state === "look") return text(language, keys.look, {});
    if (screen.state === "offline") return text(language, keys.wait, {});
    return text(language, keys.idle, {});
  }

  function render() {
    var language = chosen || screen.language || "en";
    body.className = screen.state;
    document.documentElement.lang = language;
    document.getElementById("headline").textContent = headline(language);
    var message = screen.state === "granted" ? data.keys.go : screen.message;
    var action = screen.state === "look" ? screen.hint : screen.action;
    document.getElementById("message").textContent = message
      ? text(language, message, screen.params)
      : "";
    document.getElementById("action").textContent = action
      ? text(language, action, screen.params)
      : "";
    var picker = document.getElementById("languages");
    picker.setAttribute("aria-label", text(language, data.keys.language, {}));
    picker.querySelectorAll("button").forEach(function (button) {
      var on = button.getAttribute("data-lang") === language;
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function beep(state) {
    if (body.getAttribute("data-sound") !== "1" || !window.AudioContext) return;
    audio = audio || new AudioContext();
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = state === "granted" ? 880 : 330;
    gain.gain.value = 0.2;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + (state === "granted" ? 0.15 : 0.45));
  }

  document.querySelectorAll("#languages button").forEach(function (button) {
    button.addEventListener("click", function () {
      chosen = button.getAttribute("data-lang");
      render();
    });
  });

  var source = new EventSource(
    "/lane/" + encodeURIComponent(lane) + "/events?token=" + encodeURIComponent(token)
  );
  source.addEventListener("screen", function (event) {
    var next = JSON.parse(event.data);
    var outcome = next.state === "granted" || next.state === "denied";
    // A language tapped holds for this person: through their face step to their outcome.
    if (!(outcome && screen.state === "look") && next.seq !== screen.seq) chosen = null;
    // A tone for a new outcome, not for the one a (re)connecting page finds on the lane.
    var live = body.hasAttribute("data-seq");
    if (outcome && live && next.seq !== screen.seq) beep(next.state);
    screen = next;
    body.setAttribute("data-seq", String(next.seq)); // the stream is live (and which screen)
    render();
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED || screen.state !== "idle") {
      screen = { state: "offline", language: screen.language, params: {} };
      render();
    }
  });
  render();
})();
