// Streams the assistant's answers into the chat page. An exchange swapped in by htmx carries
// data-stream-url (an event stream named by a one-time token): its deltas are appended as
// they arrive, `done` shows the tokens and the passages cited, `error` (or a lost connection) shows the friendly
// message, and Stop closes the stream (the server notices and records it as cancelled).
(function () {
  "use strict";

  function start(box) {
    if (box.dataset.state) return;
    box.dataset.state = "streaming";
    var answer = box.querySelector(".answer");
    var status = box.querySelector(".stream-status");
    var stop = box.querySelector(".stream-stop");
    var source = new EventSource(box.dataset.streamUrl);

    function finish(state, text, badge) {
      // Closed at once: an EventSource reconnects by itself after the server ends a stream.
      source.close();
      box.dataset.state = state;
      stop.hidden = true;
      status.textContent = text;
      status.className = "stream-status " + (badge ? "badge " + badge : "help");
      if (badge) status.setAttribute("role", "alert");
    }

    source.onmessage = function (event) {
      answer.textContent += JSON.parse(event.data).delta;
    };
    source.addEventListener("done", function (event) {
      var done = JSON.parse(event.data);
      var tokens = done.tokensUsed + (done.tokensUsed === 1 ? " token" : " tokens");
      finish("done", done.cached ? "from cache · " + tokens : tokens, "");
      showSources(box, done.references || []);
    });
    // Both the server's `event: error` (with a detail) and a broken connection (without).
    source.addEventListener("error", function (event) {
      if (box.dataset.state !== "streaming") return;
      var detail = event.data ? JSON.parse(event.data).detail : box.dataset.brokenMessage;
      finish("broken", detail, "danger");
    });
    stop.addEventListener("click", function () {
      finish("stopped", "Stopped.", "warn");
    });
  }

  // The passages the answer cited, numbered as its [1], [2], each a link to its page of the
  // document (the page's address for document 0 is on the box).
  function showSources(box, references) {
    var cited = references.filter(function (ref) { return ref.type === "document"; });
    if (!cited.length) return;
    var list = document.createElement("ol");
    list.className = "references help";
    list.setAttribute("aria-label", "Sources");
    cited.forEach(function (ref) {
      var link = document.createElement("a");
      link.href = box.dataset.documentUrl.replace(/\/0\/$/, "/" + ref.documentId + "/") +
        "#page-" + ref.page;
      link.title = ref.quote;
      link.textContent = ref.title + ", page " + ref.page;
      var item = document.createElement("li");
      item.appendChild(link);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function scan(root) {
    if (root.matches && root.matches("[data-stream-url]")) start(root);
    if (root.querySelectorAll) root.querySelectorAll("[data-stream-url]").forEach(start);
  }

  document.addEventListener("htmx:load", function (event) {
    scan(event.detail.elt);
  });
})();
