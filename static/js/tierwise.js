// Progressive enhancement only: every menu is a <details> element and works without
// this file. With it, an open menu closes on Escape or on a click elsewhere, and
// opening one menu closes the others.
(function () {
  "use strict";

  var MENUS = "details.dropdown, details.nav-mobile";

  function closeAll(except) {
    document.querySelectorAll(MENUS + "[open]").forEach(function (menu) {
      if (menu !== except && !menu.contains(except)) {
        menu.removeAttribute("open");
      }
    });
  }

  document.addEventListener("click", function (event) {
    var menu = event.target.closest(MENUS);
    closeAll(menu);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var menu = event.target.closest && event.target.closest(MENUS + "[open]");
    if (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    }
  });
})();
