// Pages that watch something in flight (a campaign being sent, one due in a minute) refresh
// their live region with a plain fetch of the same page: no inline script, so the CSP holds.
(function () {
  "use strict";
  function watch(region) {
    const seconds = Number(region.dataset.refreshEvery || 0);
    if (!seconds) return;
    setTimeout(async function tick() {
      // Never pull the page from under someone reading a confirmation or typing.
      const busy = region.querySelector("details[open]") || region.contains(document.activeElement) &&
        document.activeElement.matches("input, select, textarea");
      if (busy) { setTimeout(tick, seconds * 1000); return; }
      let answer;
      try {
        answer = await fetch(window.location.href, { credentials: "same-origin",
                                                     headers: { "X-Requested-With": "fetch" } });
      } catch (e) { setTimeout(tick, seconds * 1000 * 2); return; }
      if (!answer.ok) return;
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById(region.id);
      if (!fresh) return;
      region.replaceWith(fresh);
      watch(fresh);
    }, seconds * 1000);
  }
  document.querySelectorAll("[data-live]").forEach(watch);
})();
