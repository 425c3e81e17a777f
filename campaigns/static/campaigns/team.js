// Working as a team: the local-time page shows what a split costs before it is saved.
document.querySelectorAll("input[data-autosubmit-radio]").forEach((radio) => {
  radio.addEventListener("change", () => radio.form.submit());
});
const localTimeForm = document.getElementById("local-time-form");
if (localTimeForm) {
  const cost = localTimeForm.querySelector("[data-testid=cost]");
  const reach = localTimeForm.querySelector("[data-testid=reach]");
  let latest = 0;  // answers can arrive out of order: only the last question's is shown
  const refresh = async () => {
    const asked = ++latest;
    const data = new FormData(localTimeForm);
    const query = new URLSearchParams();
    for (const key of ["by", "attribute", "day", "hour", "default_zone"]) query.set(key, data.get(key) || "");
    data.getAll("zones").forEach((zone) => query.append("zones", zone));
    const answer = await fetch(`${localTimeForm.dataset.costUrl}?${query}`);
    const body = await answer.json();
    if (asked !== latest) return;
    cost.textContent = answer.ok ? body.words : Object.values(body.errors).flat().join(" ");
    reach.textContent = answer.ok ? body.reach_words : "";
  };
  localTimeForm.addEventListener("change", refresh);
}
