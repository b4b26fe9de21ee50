// app.js: the few behaviours Steward adds in the browser. Loaded as a file
// (with defer), never inline, so the Content-Security-Policy can forbid inline
// scripts. Every page still works without it.
(function () {
  "use strict";

  // htmx requests send the CSRF token as a header; plain form posts carry it in
  // a hidden field instead. The token is read on each request because the page
  // may have been swapped since load.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });

  // A form (or the button that submits it) with data-confirm="message" asks
  // first. Listening in the capture phase on the document runs before htmx's
  // own submit listener on the form, so a cancel stops htmx requests as well as
  // plain submits.
  document.addEventListener(
    "submit",
    function (event) {
      var source = event.submitter && event.submitter.hasAttribute("data-confirm")
        ? event.submitter
        : event.target;
      var message = source.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopPropagation();
      }
    },
    true
  );

  // Escape closes the header search's results; a second Escape clears the
  // search box, as browsers do. Focus inside the results goes back to the
  // box, so the keyboard is not left on a link that vanished.
  document.addEventListener("keydown", function (event) {
    var results = document.getElementById("header-results");
    if (event.key !== "Escape" || !results || results.childElementCount === 0) {
      return;
    }
    var focusWasInside = results.contains(document.activeElement);
    results.replaceChildren();
    event.preventDefault();
    if (focusWasInside) {
      document.getElementById("header-q").focus();
    }
  });

  // A printed page after the first is headed with the page's running head
  // (static/css/input.css): margin boxes read custom properties of the root
  // element only, and CSS may not be inline, so it is copied here.
  var runningHead = document.querySelector("[data-running-head]");
  if (runningHead) {
    document.documentElement.style.setProperty("--running-head", JSON.stringify(runningHead.getAttribute("data-running-head")));
  }

  // Any .js-print element prints the page. Delegated, so it also works for
  // content htmx swaps in later.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".js-print")) {
      event.preventDefault();
      window.print();
    }
  });
})();

// htmx does not swap error responses, so without this an inline action that
// fails (a full disk, a lost session) would look like nothing happened. Show
// the error page's own title and message in the page's alert region.
document.addEventListener("htmx:responseError", function (event) {
  var box = document.getElementById("htmx-error");
  if (!box) {
    return;
  }
  var doc = new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html");
  var title = doc.querySelector("main h1");
  var message = doc.querySelector("main h1 + p");
  box.textContent = (title ? title.textContent + ". " : "Something went wrong. ") + (message ? message.textContent : "");
  box.hidden = false;
});
document.addEventListener("htmx:beforeRequest", function () {
  var box = document.getElementById("htmx-error");
  if (box) {
    box.hidden = true;
  }
});
