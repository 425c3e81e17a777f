// Small page behaviours, kept out of the HTML so the Content-Security-Policy allows no inline script.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});

// A card or table that scrolls sideways on a phone can be reached and scrolled with the keyboard.
function focusScrollable() {
  document.querySelectorAll(".card, .table-scroll").forEach((el) => {
    if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) el.tabIndex = 0;
  });
}
window.addEventListener("load", focusScrollable);
window.addEventListener("resize", focusScrollable);
