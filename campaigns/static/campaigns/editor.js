// The campaign editor: builds MsgBody from element cards, shows the server's verdict live.
(function () {
  "use strict";
  const form = document.getElementById("editor");
  if (!form) return;
  const FIELDS = JSON.parse(document.getElementById("element-fields").textContent);
  const INFO_FIELDS = JSON.parse(document.getElementById("image-info-fields").textContent);
  const hidden = document.getElementById("id_msg_body");
  const list = document.getElementById("elements");
  let elements = [];
  try { elements = JSON.parse(hidden.value || "[]"); } catch (e) { elements = []; }
  if (!Array.isArray(elements)) elements = [];

  function blank(type) {
    const content = {};
    for (const [name, [kind, required]] of Object.entries(FIELDS[type])) {
      if (kind === "the number 2") content[name] = 2;
      if (kind === "string" && required) content[name] = "";
      if (kind === "image list") content[name] = [{ Type: 1, URL: "", Width: 0, Height: 0 }];
    }
    return { MsgType: type, MsgContent: content };
  }

  function input(kind, value, onChange, label) {
    const el = document.createElement("input");
    el.setAttribute("aria-label", label);
    if (kind === "integer" || kind === "number") {
      el.type = "number";
      el.step = kind === "integer" ? "1" : "any";
    }
    el.value = value === undefined || value === null ? "" : value;
    el.addEventListener("input", () => {
      const raw = el.value;
      const parsed = kind === "integer" ? parseInt(raw, 10) : kind === "number" ? parseFloat(raw) : raw;
      onChange(raw === "" && kind !== "string" ? undefined : parsed);
    });
    return el;
  }

  function field(label, control, path) {
    const wrap = document.createElement("label");
    wrap.textContent = label;
    wrap.appendChild(control);
    const errors = document.createElement("ul");
    errors.className = "errorlist";
    errors.dataset.path = path;
    wrap.appendChild(errors);
    return wrap;
  }

  function render() {
    list.innerHTML = "";
    elements.forEach((element, index) => {
      const card = document.createElement("div");
      card.className = "element";
      card.dataset.index = index;
      const head = document.createElement("header");
      head.innerHTML = "<b></b>";
      head.querySelector("b").textContent = (index + 1) + ". " + element.MsgType;
      const tools = document.createElement("span");
      [["↑", -1], ["↓", 1]].forEach(([text, step]) => {
        const b = document.createElement("button");
        b.type = "button"; b.className = "secondary"; b.textContent = text;
        b.addEventListener("click", () => move(index, step));
        tools.appendChild(b);
      });
      const remove = document.createElement("button");
      remove.type = "button"; remove.className = "danger"; remove.textContent = "✕";
      remove.setAttribute("aria-label", "Remove element " + (index + 1));
      remove.addEventListener("click", () => { elements.splice(index, 1); changed(true); });
      tools.appendChild(remove);
      head.appendChild(tools);
      card.appendChild(head);
      const spec = FIELDS[element.MsgType] || {};
      const content = element.MsgContent = element.MsgContent || {};
      for (const [name, [kind, required]] of Object.entries(spec)) {
        const path = "MsgBody[" + index + "].MsgContent." + name;
        if (kind === "the number 2") continue;
        if (kind === "image list") {
          (content[name] || []).forEach((info, i) => {
            for (const [iname, [ikind]] of Object.entries(INFO_FIELDS)) {
              card.appendChild(field("Image " + (i + 1) + " " + iname,
                input(ikind, info[iname], (v) => { info[iname] = v; changed(); }, iname),
                path + "[" + i + "]." + iname));
            }
          });
          continue;
        }
        card.appendChild(field(name + (required ? " *" : ""),
          input(kind, content[name], (v) => {
            // An empty optional field is left out; an empty required one stays, to be named.
            if (v === undefined || (v === "" && !required)) delete content[name];
            else content[name] = v;
            changed();
          }, name), path));
      }
      const own = document.createElement("ul");
      own.className = "errorlist"; own.dataset.path = "MsgBody[" + index + "]";
      card.appendChild(own);
      list.appendChild(card);
    });
  }

  function move(index, step) {
    const to = index + step;
    if (to < 0 || to >= elements.length) return;
    [elements[index], elements[to]] = [elements[to], elements[index]];
    changed(true);
  }

  function showErrors(errors) {
    document.querySelectorAll("#elements .errorlist").forEach((ul) => { ul.innerHTML = ""; });
    const summary = document.getElementById("rule-summary");
    summary.innerHTML = "";
    for (const [path, messages] of Object.entries(errors || {})) {
      const target = document.querySelector('#elements .errorlist[data-path="' + CSS.escape(path) + '"]');
      for (const message of messages) {
        const li = document.createElement("li");
        li.textContent = message;
        (target || summary).appendChild(li);
      }
    }
  }

  function pushText(body) {
    return body.map((e) => {
      const c = e.MsgContent || {};
      return { TIMTextElem: c.Text, TIMLocationElem: "[Location]", TIMFaceElem: "[Face]",
               TIMCustomElem: c.Desc, TIMSoundElem: "[Voice]", TIMImageElem: "[Image]",
               TIMFileElem: "[File]", TIMVideoFileElem: "[Video]" }[e.MsgType] || "";
    }).join("");
  }

  function preview(request) {
    const info = request.OfflinePushInfo || {};
    const apns = info.ApnsInfo || {};
    const text = info.Desc || pushText(request.MsgBody || []);
    document.querySelectorAll(".phone").forEach((phone) => {
      const ios = phone.classList.contains("ios");
      phone.querySelector('[data-preview="title"]').textContent = (ios && apns.Title) || info.Title || "";
      phone.querySelector('[data-preview="text"]').textContent = info.PushFlag === 1 ? "(offline push off)" : text;
      const sub = phone.querySelector('[data-preview="subtitle"]');
      if (sub) sub.textContent = apns.SubTitle || "";
    });
  }

  let timer = null;
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const answer = await fetch(form.dataset.previewUrl, { method: "POST", body: new FormData(form),
        headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (!answer.ok) return;
      const data = await answer.json();
      document.getElementById("request-json").textContent = JSON.stringify(data.request, null, 2);
      showErrors(data.errors);
      preview(data.request);
      document.getElementById("reach").textContent = data.reach ?
        "About " + data.reach.matching.toLocaleString() + " of " + data.reach.known.toLocaleString() +
        " known accounts match." : "";
    }, 150);
  }

  async function capacity() {
    const schedule = form.querySelector('input[name="schedule"]:checked');
    const at = schedule && schedule.value === "at" ? form.send_at_local.value : "";
    const params = new URLSearchParams({ at: at, tz: form.send_tz.value });
    const answer = await fetch(form.dataset.capacityUrl + "?" + params, { credentials: "same-origin" });
    if (!answer.ok) return;
    const q = await answer.json();
    document.getElementById("capacity").textContent =
      q.day + ": " + q.remaining + " / " + q.limit + " (" + q.used + " used, " + q.booked + " booked)";
  }

  function audience() {
    const chosen = form.querySelector('input[name="audience"]:checked');
    document.querySelectorAll("[data-audience]").forEach((section) => {
      section.hidden = !chosen || section.dataset.audience !== chosen.value;
    });
  }

  function changed(rerender) {
    hidden.value = JSON.stringify(elements);
    if (rerender) render();
    refresh();
  }

  document.getElementById("add-element").addEventListener("click", () => {
    elements.push(blank(document.getElementById("new-element-type").value));
    changed(true);
  });
  document.getElementById("copy-json").addEventListener("click", () => {
    navigator.clipboard && navigator.clipboard.writeText(document.getElementById("request-json").textContent);
  });
  form.addEventListener("input", (event) => {
    if (!list.contains(event.target)) refresh();
    if (["send_at_local", "send_tz", "schedule"].includes(event.target.name)) capacity();
    if (event.target.name === "audience") audience();
  });
  form.addEventListener("change", (event) => {
    if (event.target.name === "audience") audience();
    if (["send_tz", "schedule"].includes(event.target.name)) capacity();
  });
  if (!elements.length) elements.push(blank("TIMTextElem"));
  hidden.value = JSON.stringify(elements);
  render();
  audience();
  capacity();
  refresh();
  showErrors(JSON.parse(document.getElementById("rule-errors").textContent));
})();
