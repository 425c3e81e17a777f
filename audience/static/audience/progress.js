// Live job progress: poll once a second until the job stops running.
(function () {
  "use strict";
  const box = document.getElementById("job");
  if (!box) return;
  async function tick() {
    const answer = await fetch(box.dataset.url, { credentials: "same-origin" });
    if (!answer.ok) return;
    const job = await answer.json();
    document.getElementById("bar").value = job.done + job.failed;
    for (const key of ["status", "done", "failed", "rate"]) {
      document.getElementById(key).textContent = job[key];
    }
    document.getElementById("left").textContent = job.seconds_left;
    if (job.status === "queued" || job.status === "running") setTimeout(tick, 1000);
  }
  tick();
})();
