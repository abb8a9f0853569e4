// prodnet portal: live updates (server-sent events -> htmx refresh), the STL drop zone,
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
    events.addEventListener("open", function () { if (live) live.classList.add("on"); });
    events.addEventListener("error", function () { if (live) live.classList.remove("on"); });
  }

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

  form.addEventListener("submit", function (e) {
    const file = input.files[0];
    if (tooLarge(file)) {
      e.preventDefault();
      refuse(form.dataset.tooLarge.replace("{name}", file.name));  // the server's own sentence
    }
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
