// Uploads the files chosen in or dropped on a document upload form (data-document-upload),
// one request per file, so that each has its own progress bar and its own outcome: a refused
// file shows the server's reason beside it and the others carry on. Without this script the
// form posts all its files at once and the page lists what became of them.
(function () {
  "use strict";

  function upload(form, file) {
    var item = document.createElement("li");
    item.className = "upload-item";
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.className = "progress";
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var outcome = document.createElement("span");
    outcome.className = "outcome help";
    outcome.setAttribute("role", "status");
    outcome.textContent = "Uploading…";
    item.append(name, bar, outcome);
    form.querySelector(".upload-list").append(item);

    function failed(text) {
      outcome.className = "outcome reason";
      outcome.textContent = text;
    }

    // The server refuses a body over the largest document before reading it, so the answer
    // would be a broken connection rather than a reason: such a file is not sent at all.
    if (file.size > Number(form.dataset.maxBytes)) {
      failed(form.dataset.tooLarge);
      return;
    }

    var body = new FormData();
    body.append("file", file);
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    // The server answers an htmx request with the outcome alone, not the whole page.
    request.setRequestHeader("HX-Request", "true");
    request.setRequestHeader("X-CSRFToken", form.elements.csrfmiddlewaretoken.value);
    request.responseType = "document";
    request.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) bar.value = Math.round((event.loaded * 100) / event.total);
    });
    request.addEventListener("load", function () {
      bar.value = 100;
      var result = request.response && request.response.querySelector("[data-upload-result]");
      if (result) {
        outcome.className = "outcome";
        outcome.replaceChildren(...document.importNode(result, true).childNodes);
      } else {
        failed("The upload failed (" + request.status + " " + request.statusText + ").");
      }
      if (request.status === 201) {
        document.body.dispatchEvent(new CustomEvent("documents-changed"));
      }
    });
    request.addEventListener("error", function () {
      failed("The upload failed: the connection was lost. Please try again.");
    });

    request.send(body);
  }

  function setUp(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = "true";
    form.classList.add("enhanced");
    var input = form.querySelector("input[type=file]");
    var zone = form.querySelector(".drop-zone");

    function uploadAll(files) {
      Array.from(files).forEach(function (file) {
        upload(form, file);
      });
    }

    input.addEventListener("change", function () {
      uploadAll(input.files);
      input.value = ""; // the same file may be chosen again
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    zone.addEventListener("dragover", function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", function () {
      zone.classList.remove("dragging");
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
      uploadAll(event.dataTransfer.files);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-document-upload]").forEach(setUp);
  });
})();
