// Live job progress: poll once a second while the job is queued or running; when it stops,
// reload once so the page shows only the actions that still apply and the failed accounts.
(function () {
  "use strict";
  const box = document.getElementById("job");
  if (!box) return;
  const wasActive = box.dataset.active === "1";
  async function tick() {
    const answer = await fetch(box.dataset.url, { credentials: "same-origin" });
    if (!answer.ok) return;
    const job = await answer.json();
    document.getElementById("bar").value = job.done + job.failed;
    // `shown`: the numbers as the server writes them in the reader's language, so a tick
    // reads like the page's first paint. The time left is on the page only while it runs.
    for (const key of ["done", "failed", "rate", "left"]) {
      const figure = document.getElementById(key);
      if (figure) figure.textContent = job.shown[key];
    }
    document.getElementById("status").textContent = job.status_label;
    const active = job.status === "queued" || job.status === "running";
    if (active) setTimeout(tick, 1000);
    else if (wasActive) window.location.reload();
  }
  if (wasActive) tick();
})();
