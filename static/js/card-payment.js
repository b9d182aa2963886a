// The "Pay now" page (templates/billing/pay.html): Stripe's card form, loaded from the
// configured Stripe.js (Stripe, or localstripe's fake one in development and tests).
// The card goes from the browser to Stripe (confirmCardSetup); the form then posts us
// only the SetupIntent's id, and the server charges the card with a PaymentIntent. When
// the bank asks for a confirmation (3-D Secure), confirmCardPayment shows it and the
// browser returns to the page that checks the payment with Stripe.
(function () {
  "use strict";

  // localstripe's fake card form is bare inputs named by placeholder: give them names
  // that a screen reader can read (Stripe's real form labels its own fields).
  var FAKE_FIELD_LABELS = {
    number: "Card number",
    exp_month: "Expiry month (MM)",
    exp_year: "Expiry year (YY)",
    cvc: "Security code (CVC)",
    postal_code: "Postal code",
  };

  function labelFakeFields(container) {
    container.querySelectorAll("input").forEach(function (input) {
      var label = FAKE_FIELD_LABELS[input.getAttribute("placeholder")];
      if (label && !input.hasAttribute("aria-label")) {
        input.setAttribute("aria-label", label);
        input.setAttribute("autocomplete", "off");
      }
    });
  }

  function cardForm(form) {
    var stripe = window.Stripe(form.dataset.publishableKey);
    var card = stripe.elements().create("card");
    var mount = document.getElementById("card-element");
    var errors = document.getElementById("card-errors");
    var button = form.querySelector("button[type=submit]");
    card.mount(mount);
    labelFakeFields(mount);
    form.hidden = false;
    var needsJavaScript = document.getElementById("card-needs-javascript");
    if (needsJavaScript) {
      needsJavaScript.hidden = true;
    }

    form.addEventListener("submit", function (event) {
      if (form.elements.setup_intent.value) {
        return; // The card is with Stripe: post its id.
      }
      event.preventDefault();
      errors.textContent = "";
      button.disabled = true;
      stripe
        .confirmCardSetup(form.dataset.setupSecret, { payment_method: { card: card } })
        .then(function (result) {
          if (result.error || !result.setupIntent) {
            var message = result.error && result.error.message;
            errors.textContent = message || "The card was not accepted; check it and try again.";
            button.disabled = false;
            return;
          }
          form.elements.setup_intent.value = result.setupIntent.id;
          form.submit();
        });
    });
  }

  function bankConfirmation(box) {
    var stripe = window.Stripe(box.dataset.publishableKey);
    var status = document.getElementById("card-confirm-status");
    stripe.confirmCardPayment(box.dataset.clientSecret).then(function (result) {
      if (result.error) {
        status.textContent = "Not confirmed: " + (result.error.message || "try again.");
      }
      window.location.assign(box.dataset.returnUrl);
    });
  }

  function start() {
    if (typeof window.Stripe !== "function") {
      return; // Stripe.js did not load: the page offers the bank transfer.
    }
    var form = document.getElementById("card-form");
    if (form) {
      cardForm(form);
    }
    var confirmBox = document.getElementById("card-confirm");
    if (confirmBox) {
      bankConfirmation(confirmBox);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
