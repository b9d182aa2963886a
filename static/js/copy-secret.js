// Progressive enhancement for a secret shown once (templates/licensing/_key_shown_once.html):
// a button that copies it to the clipboard, shown only where the browser can copy.
// Without this file the secret stays selectable as a whole and the download still works.
(function () {
  "use strict";

  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!target || !status || !navigator.clipboard || !window.isSecureContext) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(
        function () {
          status.textContent = "Copied to the clipboard.";
        },
        function () {
          status.textContent = "Your browser did not allow copying; select the text and copy it.";
        }
      );
    });
  });
})();
