/* The staff report phone page: send a report (photo shrunk when large), show the code once,
   follow a report up with its code. No cookie, no storage: the code lives only on screen. */
"use strict";
(function () {
  const body = document.body;
  const $ = (id) => document.getElementById(id);
  const maxPhoto = Number(body.dataset.maxPhoto || "0");
  const STATUS = { new: PG.t("new"), in_progress: PG.t("in progress"), closed: PG.t("closed"), passed_on: PG.t("passed on") };

  function detailOf(data, response) {
    let detail = data && data.detail !== undefined ? data.detail : response.statusText;
    if (Array.isArray(detail)) detail = detail.map((d) => (d.loc ? d.loc[d.loc.length - 1] + ": " : "") + (d.msg || String(d))).join("; ");
    return String(detail);
  }

  async function call(url, options) {
    const response = await fetch(url, Object.assign({ credentials: "omit", headers: {} }, options));
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new Error(detailOf(data, response));
    return data;
  }

  function localNow() {
    const now = new Date();
    now.setMinutes(now.getMinutes() - now.getTimezoneOffset());
    return now.toISOString().slice(0, 16);
  }

  /** A photo over the limit is redrawn smaller as a JPEG (which also drops its metadata). */
  async function fitted(file) {
    if (!file || file.size <= maxPhoto) return file;
    const tooLarge = PG.t("This photo is over {size} MiB and could not be made smaller: choose another photo.", { size: Math.floor(maxPhoto / 1048576) });
    if (!window.createImageBitmap) throw new Error(tooLarge);
    const bitmap = await createImageBitmap(file).catch(() => { throw new Error(tooLarge); });
    const scale = Math.min(1, 2048 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
    return blob ? new File([blob], "photo.jpg", { type: "image/jpeg" }) : file;
  }

  $("r-when").value = localNow();

  $("report-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("r-error").textContent = "";
    const what = $("r-what").value.trim();
    if (!what) { $("r-error").textContent = PG.t("Say what you saw."); return; }
    const when = new Date($("r-when").value);
    if (Number.isNaN(when.getTime())) { $("r-error").textContent = PG.t("Say when it happened."); return; }
    const form = new FormData();
    form.append("site", body.dataset.site);
    if (body.dataset.sign) form.append("sign", body.dataset.sign);
    form.append("what", what);
    form.append("when", when.toISOString());
    for (const name of ["where", "name", "contact"]) {
      const value = $("r-" + name).value.trim();
      if (value) form.append(name, value);
    }
    $("r-send").disabled = true;
    try {
      const photo = await fitted($("r-photo").files[0]);
      if (photo) form.append("photo", photo, photo.name || "photo.jpg");
      const receipt = await call("/api/v1/staff-reports", { method: "POST", body: form });
      $("r-code").textContent = receipt.code;
      $("receipt").hidden = false;
      $("report-form").reset();
      $("r-when").value = localNow();
      $("receipt").scrollIntoView({ behavior: "smooth", block: "start" });
    } catch (error) {
      $("r-error").textContent = error.message;
    } finally {
      $("r-send").disabled = false;
    }
  });

  function showThread(view) {
    $("f-status").textContent = STATUS[view.status] || view.status.replace("_", " ");
    const list = $("f-messages");
    list.replaceChildren();
    if (!view.messages.length) {
      const empty = document.createElement("li");
      empty.textContent = PG.t("No replies yet.");
      list.append(empty);
    }
    for (const message of view.messages) {
      const item = document.createElement("li");
      item.dataset.author = message.author;
      const who = document.createElement("span");
      who.className = "who";
      who.textContent = (message.author === "triage" ? PG.t("Security") : PG.t("You")) + " · " + PG.fmtDateTime(message.created_at);
      item.append(who, document.createTextNode(message.body));
      list.append(item);
    }
    $("thread").hidden = false;
  }

  async function follow(url, extra) {
    $("f-error").textContent = "";
    try {
      const payload = Object.assign({ code: $("f-code").value.trim() }, extra);
      const view = await call(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) });
      showThread(view);
      return true;
    } catch (error) {
      $("thread").hidden = true;
      $("f-error").textContent = error.message;
      return false;
    }
  }

  $("follow-form").addEventListener("submit", (event) => {
    event.preventDefault();
    follow("/api/v1/staff-reports/follow-up", {});
  });

  $("message-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("m-body").value.trim();
    if (!text) return;
    if (await follow("/api/v1/staff-reports/follow-up/messages", { body: text })) $("m-body").value = "";
  });
})();
