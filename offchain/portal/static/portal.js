// prodnet portal: live updates (server-sent events -> htmx refresh: chain events, prints), the model file drop zone,
// and the upload limit checked before sending. No inline scripts: the CSP forbids them.
"use strict";

(function () {
  const live = document.getElementById("live");
  if (window.EventSource) {
    const events = new EventSource("/events");
    events.addEventListener("changed", function (e) {
      if (live) live.textContent = "block " + e.data;
      document.body.dispatchEvent(new CustomEvent("changed"));
    });
    events.addEventListener("printing", function () {
      document.body.dispatchEvent(new CustomEvent("printing"));
    });
    events.addEventListener("open", function () { if (live) live.classList.add("on"); });
    events.addEventListener("error", function () { if (live) live.classList.remove("on"); });
  }

  // A live region re-read on chain events (data-keep-while-editing) waits while someone is
  // filling one of its forms: what they typed is never swapped away under them. It is read
  // again once they leave the form, or right after the form's own request.
  function editing(region) {
    const fields = region.querySelectorAll("form input:not([type=hidden]), form textarea, form select");
    return Array.prototype.some.call(fields, function (f) {
      if (f === document.activeElement) return true;
      if (f.tagName === "SELECT") return Array.prototype.some.call(f.options, function (o) { return o.selected !== o.defaultSelected; });
      return f.value !== f.defaultValue;
    });
  }
  document.body.addEventListener("htmx:beforeRequest", function (e) {
    const region = e.detail.elt;
    if (!region.hasAttribute || !region.hasAttribute("data-keep-while-editing")) return;
    const cause = e.detail.requestConfig && e.detail.requestConfig.triggeringEvent;
    if (cause && cause.type === "acted") return;  // a step was just taken here: show its effect
    if (editing(region)) {
      e.preventDefault();
      region.dataset.stale = "yes";
    }
  });
  // ... and an answer that was already on its way when they started typing is not swapped in
  document.body.addEventListener("htmx:beforeSwap", function (e) {
    const config = e.detail.requestConfig;
    const region = config && config.elt;  // the region that asked (its target may be inside it)
    if (!region || !region.hasAttribute || !region.hasAttribute("data-keep-while-editing")) return;
    if (config.triggeringEvent && config.triggeringEvent.type === "acted") return;
    if (editing(region)) {
      e.detail.shouldSwap = false;
      region.dataset.stale = "yes";
    }
  });
  document.body.addEventListener("focusout", function (e) {
    const region = e.target.closest && e.target.closest("[data-keep-while-editing]");
    if (region && region.dataset.stale === "yes") {
      setTimeout(function () {
        if (!editing(region)) { delete region.dataset.stale; document.body.dispatchEvent(new CustomEvent("changed")); }
      }, 0);
    }
  });

  // copy buttons beside shortened hashes and URIs
  document.body.addEventListener("click", function (e) {
    const button = e.target.closest && e.target.closest("button.copy");
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.dataset.copy).then(function () {
      button.textContent = "copied";
      setTimeout(function () { button.textContent = "copy"; }, 1500);
    });
  });

  const form = document.getElementById("upload");
  if (!form) return;
  const input = document.getElementById("stl");
  const slot = document.getElementById("upload-result");
  const limit = Number(form.dataset.limit);

  function refuse(text) {
    slot.innerHTML = "";
    const box = document.createElement("div");
    box.className = "result refused";
    box.setAttribute("role", "alert");
    const p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    slot.appendChild(box);
  }

  function tooLarge(file) {
    return file && limit && file.size > limit;
  }

  function say(text) {
    slot.innerHTML = "";
    const p = document.createElement("p");
    p.className = "note progress";
    p.setAttribute("role", "status");
    p.textContent = text;
    slot.appendChild(p);
    return p;
  }

  form.addEventListener("submit", function (e) {
    const file = input.files[0];
    if (tooLarge(file)) {
      e.preventDefault();
      refuse(form.dataset.tooLarge.replace("{name}", file.name));  // the server's own sentence
      return;
    }
    if (!file || !window.XMLHttpRequest || !window.FormData) return;  // a plain post then
    // the upload with its progress; the part's page once the server has read it
    e.preventDefault();
    const button = form.querySelector("button[type=submit]");
    const status = say("uploading " + file.name + "…");
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (p) {
      if (p.lengthComputable) {
        status.textContent = "uploading " + file.name + ": " + Math.round(100 * p.loaded / p.total) + "% of " +
          (p.total / 1048576).toFixed(1) + " MiB";
      }
    });
    xhr.upload.addEventListener("load", function () { status.textContent = "reading " + file.name + "…"; });
    xhr.addEventListener("load", function () {
      if (button) button.disabled = false;
      const page = xhr.responseURL || "";
      if (xhr.status === 200 && /\/parts\/[0-9a-f]{64}/.test(page)) {
        window.location.assign(page);
        return;
      }
      const found = new DOMParser().parseFromString(xhr.responseText, "text/html").querySelector("#upload-result .result");
      refuse(found ? found.textContent.trim() : "the upload failed (HTTP " + xhr.status + "): try again");
    });
    xhr.addEventListener("error", function () {
      if (button) button.disabled = false;
      refuse("the upload did not reach the portal: check that it still runs, then try again");
    });
    if (button) button.disabled = true;
    xhr.send(new FormData(form));
  });
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (e) { e.preventDefault(); form.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () { form.classList.remove("over"); });
  });
  form.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer.files.length) {
      input.files = e.dataTransfer.files;
      form.requestSubmit();
    }
  });
})();
