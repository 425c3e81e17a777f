// Small page behaviours, kept out of the HTML so the Content-Security-Policy allows no inline script.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
