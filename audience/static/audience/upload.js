// Upload preview: send the start of the chosen file (or the pasted text) and the column to the
// server, which reads it exactly as the import will and answers with the first accounts.
// Nothing is stored until the form is submitted.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const box = document.getElementById("upload-preview");
  const file = form.elements.accounts_file;
  const column = form.elements.column;
  const pasted = form.elements.pasted;
  const HEAD_BYTES = 64 * 1024;
  let serial = 0;

  async function preview() {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    body.append("column", column.value);
    const chosen = file.files && file.files[0];
    if (chosen) {
      body.append("head", chosen.slice(0, HEAD_BYTES), "head");
      body.append("complete", chosen.size <= HEAD_BYTES ? "1" : "0");
    } else if (pasted.value.trim()) {
      body.append("pasted", pasted.value.slice(0, HEAD_BYTES));
    } else {
      box.replaceChildren();
      return;
    }
    const mine = ++serial;
    const answer = await fetch(form.dataset.previewUrl, {
      method: "POST", body: body, credentials: "same-origin",
    });
    if (!answer.ok || mine !== serial) return;
    box.innerHTML = await answer.text();
    const suggested = box.querySelector("[data-suggested]");
    if (suggested && !column.value) column.value = suggested.dataset.suggested;
  }

  let timer = null;
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }
  file.addEventListener("change", preview);
  column.addEventListener("input", soon);
  pasted.addEventListener("input", soon);
})();
