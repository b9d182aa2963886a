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

// A form that previews as the visitor types (hx-trigger includes "edited-before-ready")
// hears nothing typed before htmx has initialised the page: a slow script left such a
// form dead until the next keystroke. Once htmx has processed the page (or content it
// swapped in), each such form that no longer holds what the server rendered sends what
// it holds; an untouched form sends nothing. Then <html data-ready> tells tests and tools
// that the page's scripts have taken over.
(function () {
  "use strict";

  var CATCH_UP = "edited-before-ready";
  var FORMS = "form[hx-trigger*='" + CATCH_UP + "']";

  if (!window.htmx) {
    return;
  }

  // The option a select showed as rendered: the last one marked selected, else the first.
  function renderedIndex(select) {
    var index = 0;
    Array.prototype.forEach.call(select.options, function (option, i) {
      if (option.defaultSelected) {
        index = i;
      }
    });
    return index;
  }

  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.type === "select-one") {
      return field.options.length > 0 && field.selectedIndex !== renderedIndex(field);
    }
    if (field.type === "select-multiple") {
      return Array.prototype.some.call(field.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    return "defaultValue" in field && field.value !== field.defaultValue;
  }

  // A Confirm button (data-confirms-preview) belongs to the preview shown: while the
  // form holds other choices than the ones that preview was made from, the button is
  // disabled, until htmx swaps in the preview of what the form holds (with a new button,
  // or the error that says why there is none). The server refuses a mismatch anyway.
  function formState(form) {
    return new URLSearchParams(new FormData(form)).toString();
  }

  function showConfirm(form) {
    var outdated = form.dataset.previewed !== formState(form);
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.hasAttribute("data-confirms-preview")) {
        field.disabled = outdated;
      }
    });
  }

  function formOf(event) {
    var form = event.target.form || (event.detail && event.detail.elt);
    return form && form.matches && form.matches(FORMS) ? form : null;
  }

  ["input", "change"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var form = formOf(event);
      if (form) {
        showConfirm(form);
      }
    });
  });

  // A preview is of the choices the form held when it was asked for.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = formOf(event);
    if (form) {
      form.dataset.asked = formState(form);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var form = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (form && form.matches && form.matches(FORMS)) {
      form.dataset.previewed = form.dataset.asked;
      showConfirm(form);
    }
  });

  htmx.onLoad(function (content) {
    if (content.querySelectorAll) {
      var forms = Array.prototype.slice.call(content.querySelectorAll(FORMS));
      if (content.matches(FORMS)) {
        forms.push(content);
      }
      forms.forEach(function (form) {
        if (Array.prototype.some.call(form.elements, changed)) {
          // The preview on the page is of what the server rendered, not of this.
          htmx.trigger(form, CATCH_UP);
        } else {
          form.dataset.previewed = formState(form);
        }
        showConfirm(form);
      });
    }
    document.documentElement.setAttribute("data-ready", "");
  });
})();
