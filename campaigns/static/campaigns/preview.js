// The A/B test and language pages: the cost, the day's room, who is reached and each version's
// preview follow the form as it is filled in, before anything is saved (the page answers a
// POST with preview=1; the previews come as the page's own escaped HTML).
document.querySelectorAll("form[data-preview]").forEach((form) => {
  const cost = form.querySelector("[data-testid=cost]");
  const full = form.querySelector("[data-testid=full]");
  const reach = form.querySelector("[data-testid=reach]");
  const previews = form.querySelector("[data-preview-html]");
  let latest = 0;  // answers can arrive out of order: only the last question's is shown
  let typing;
  const refresh = async () => {
    const asked = ++latest;
    const data = new FormData(form);
    data.set("preview", "1");
    const answer = await fetch(window.location.href, {method: "POST", body: data});
    if (!answer.ok || asked !== latest) return;
    const body = await answer.json();
    cost.textContent = body.cost_words;
    full.textContent = body.full_words;
    full.hidden = !body.full_words;
    reach.replaceChildren(...body.reach_lines.map((line) => {
      const item = document.createElement("li");
      item.textContent = line;
      return item;
    }));
    if (previews && body.preview_html !== undefined) previews.innerHTML = body.preview_html;
  };
  form.addEventListener("change", refresh);
  form.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(refresh, 400);
  });
});
