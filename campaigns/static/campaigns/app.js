// Small page behaviours, kept out of the HTML so the Content-Security-Policy allows no inline script.
// Every form says which app its page showed: the server works in that app, whatever another tab
// has switched to since (core/current_app.py).
if (document.body.dataset.app) {
  document.querySelectorAll('form[method="post" i]').forEach((form) => {
    if (form.elements.page_app) return;
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "page_app";
    field.value = document.body.dataset.app;
    form.appendChild(field);
  });
}
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
// A zone field searches the page's list as one types: focusing it selects what it holds, so
// typing replaces it. The header's switch applies a zone once it is one of the list's options
// (picked, or typed in full); Enter sends whatever was typed, which the server reads or refuses.
document.querySelectorAll("input[data-zone]").forEach((input) => {
  input.addEventListener("focus", () => input.select());
  if (!input.hasAttribute("data-autosubmit")) return;
  const offered = () => input.list && [...input.list.options].some((o) => o.value === input.value);
  ["input", "change"].forEach((kind) => input.addEventListener(kind, () => {
    if (offered()) input.form.submit();
  }));
});

// A card or table that scrolls sideways on a phone can be reached and scrolled with the keyboard.
function focusScrollable() {
  document.querySelectorAll(".card, .table-scroll").forEach((el) => {
    if (el.scrollWidth > el.clientWidth && !el.hasAttribute("tabindex")) el.tabIndex = 0;
  });
}
window.addEventListener("load", focusScrollable);
window.addEventListener("resize", focusScrollable);
