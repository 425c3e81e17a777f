// A region that scrolls sideways (a wide table on a phone) can be reached and scrolled with the
// keyboard: it takes focus. Kept out of the HTML for the Content-Security-Policy.
(function () {
  "use strict";
  function focusable() {
    document.querySelectorAll(".results, .table-scroll, .preview-scroll, .inline-group, .card")
      .forEach((el) => {
        if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) el.tabIndex = 0;
      });
  }
  window.addEventListener("load", focusable);
  window.addEventListener("resize", focusable);
})();
