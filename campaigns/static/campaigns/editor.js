// The campaign editor: builds MsgBody from element cards in the marketer's words, shows the
// server's verdict live on the field it concerns, and keeps the exact JSON in a developer view.
// Every sentence comes from Django's JavaScriptCatalog (gettext/interpolate), none is built in.
(function () {
  "use strict";
  const form = document.getElementById("editor");
  if (!form) return;
  const FIELDS = JSON.parse(document.getElementById("element-fields").textContent);
  const WORDS = JSON.parse(document.getElementById("editor-words").textContent);
  const hidden = document.getElementById("id_msg_body");
  const list = document.getElementById("elements");
  const number = (n) => Number(n).toLocaleString(document.documentElement.lang || undefined);
  let elements = [];
  try { elements = JSON.parse(hidden.value || "[]"); } catch (e) { elements = []; }
  if (!Array.isArray(elements)) elements = [];
  // Errors greet nobody: a field shows its rule messages once the person has touched it, or
  // once they tried to save.
  const submitted = form.hasAttribute("data-submitted");
  const touched = new Set();

  const IMAGE_FORMATS = { jpg: 1, jpeg: 1, gif: 2, png: 3, bmp: 4 };

  function blank(type) {
    const content = {};
    for (const [name, [kind, required]] of Object.entries(FIELDS[type])) {
      if (kind === "the number 2") content[name] = 2;
      if (kind === "string" && required && type !== "TIMImageElem") content[name] = "";
    }
    if (type === "TIMImageElem") content.ImageInfoArray = [];
    return { MsgType: type, MsgContent: content };
  }

  // A stable id for a picture from its URL (FNV-1a): Tencent needs a UUID, the marketer
  // should not have to invent one.
  function idFor(url) {
    let hash = 0x811c9dc5;
    for (let i = 0; i < url.length; i++) {
      hash ^= url.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return "img-" + hash.toString(16).padStart(8, "0") + "-" + url.length;
  }

  function imageFormat(url) {
    const match = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(url);
    return (match && IMAGE_FORMATS[match[1].toLowerCase()]) || 255;
  }

  // Spec §7.1: UUID, ImageFormat and ImageInfoArray (original, large, thumbnail; URL, Width,
  // Height). One picture by URL serves all three; its size is read here, in the browser.
  function setImage(content, url, width, height) {
    if (!url) {
      content.UUID = "";
      content.ImageInfoArray = [];
      delete content.ImageFormat;
      return;
    }
    content.UUID = idFor(url);
    content.ImageFormat = imageFormat(url);
    content.ImageInfoArray = [1, 2, 3].map((type) => ({ Type: type, Width: width || 0,
                                                        Height: height || 0, URL: url }));
  }

  function imageUrl(content) {
    const infos = content.ImageInfoArray || [];
    return (infos[0] && infos[0].URL) || "";
  }

  function errorList(path) {
    const ul = document.createElement("ul");
    ul.className = "errorlist";
    ul.dataset.path = path;
    ul.id = "errors-" + path.replace(/[^A-Za-z0-9]/g, "-");
    ul.setAttribute("aria-live", "polite");
    return ul;
  }

  function field(labelText, control, path) {
    const wrap = document.createElement("div");
    const label = document.createElement("label");
    label.textContent = labelText;
    label.appendChild(control);
    const errors = errorList(path);
    control.dataset.path = path;
    control.setAttribute("aria-describedby", errors.id);
    wrap.append(label, errors);
    return wrap;
  }

  function input(kind, value, onChange) {
    const el = document.createElement("input");
    if (kind === "integer" || kind === "number") {
      el.type = "number";
      el.step = kind === "integer" ? "1" : "any";
    }
    el.value = value === undefined || value === null ? "" : value;
    el.addEventListener("input", () => {
      touched.add(el.dataset.path);
      const raw = el.value;
      const parsed = kind === "integer" ? parseInt(raw, 10) : kind === "number" ? parseFloat(raw) : raw;
      onChange(raw === "" && kind !== "string" ? undefined : parsed);
    });
    return el;
  }

  function imageCard(card, content, index) {
    const path = "MsgBody[" + index + "].MsgContent.ImageInfoArray";
    const url = input("string", imageUrl(content), () => {});
    url.type = "url";
    url.placeholder = "https://";
    const status = document.createElement("p");
    status.className = "muted";
    status.setAttribute("aria-live", "polite");
    const thumb = document.createElement("img");
    thumb.className = "thumb";
    thumb.alt = gettext("Picture preview");
    thumb.hidden = true;
    function load() {
      const value = url.value.trim();
      touched.add(path);
      setImage(content, value);
      thumb.hidden = true;
      // Only an https picture can be read here (the page's Content-Security-Policy): for any
      // other, the rule's message from the live check says why, alone.
      const https = /^https:\/\//i.test(value);
      status.textContent = https ? gettext("Reading the picture…") : "";
      changed();
      if (!https) return;
      const probe = new Image();
      probe.onload = () => {
        if (url.value.trim() !== value) return;
        setImage(content, value, probe.naturalWidth, probe.naturalHeight);
        thumb.src = value;
        thumb.hidden = false;
        status.textContent = interpolate(gettext("%(width)s × %(height)s pixels"),
          { width: number(probe.naturalWidth), height: number(probe.naturalHeight) }, true);
        changed();
      };
      probe.onerror = () => {
        if (url.value.trim() !== value) return;
        status.textContent = gettext("The picture could not be loaded from this URL: check it.");
      };
      probe.src = value;
    }
    url.addEventListener("change", load);
    card.appendChild(field(WORDS.image.URL, url, path + "[0].URL"));
    card.append(status, thumb);
    const existing = imageUrl(content);
    if (/^https:\/\//i.test(existing)) {
      thumb.src = existing;
      thumb.hidden = false;
      const info = (content.ImageInfoArray || [])[0] || {};
      if (info.Width && info.Height) {
        status.textContent = interpolate(gettext("%(width)s × %(height)s pixels"),
          { width: number(info.Width), height: number(info.Height) }, true);
      }
    }
    card.appendChild(errorList(path));
    card.appendChild(errorList("MsgBody[" + index + "].MsgContent.UUID"));
  }

  function toolButton(text, label, className, onClick) {
    const b = document.createElement("button");
    b.type = "button"; b.className = className; b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function render() {
    list.innerHTML = "";
    elements.forEach((element, index) => {
      const card = document.createElement("div");
      card.className = "element";
      card.id = "element-" + index;
      card.tabIndex = -1;
      card.dataset.index = index;
      const head = document.createElement("header");
      const title = document.createElement("b");
      const kind = WORDS.elements[element.MsgType] || gettext("Unknown element");
      title.textContent = interpolate(gettext("%(number)s. %(kind)s"), { number: index + 1, kind: kind }, true);
      head.appendChild(title);
      const tools = document.createElement("span");
      const position = { number: index + 1, kind: kind };
      tools.appendChild(toolButton("↑", interpolate(gettext("Move element %(number)s (%(kind)s) up"), position, true),
                                   "secondary", () => move(index, -1)));
      tools.appendChild(toolButton("↓", interpolate(gettext("Move element %(number)s (%(kind)s) down"), position, true),
                                   "secondary", () => move(index, 1)));
      tools.appendChild(toolButton("✕", interpolate(gettext("Remove element %(number)s (%(kind)s)"), position, true),
                                   "danger", () => { elements.splice(index, 1); changed(true); }));
      head.appendChild(tools);
      card.appendChild(head);
      const content = element.MsgContent = element.MsgContent || {};
      if (element.MsgType === "TIMImageElem") {
        imageCard(card, content, index);
      } else {
        for (const [name, [kind, required]] of Object.entries(FIELDS[element.MsgType] || {})) {
          if (kind === "the number 2" || kind === "image list") continue;
          const path = "MsgBody[" + index + "].MsgContent." + name;
          const words = WORDS.fields[name] || name;
          const label = required ? interpolate(gettext("%(field)s (required)"), { field: words }, true) : words;
          card.appendChild(field(label, input(kind, content[name], (v) => {
            // An empty optional field is left out; an empty required one stays, to be named.
            if (v === undefined || (v === "" && !required)) delete content[name];
            else content[name] = v;
            changed();
          }), path));
        }
      }
      card.appendChild(errorList("MsgBody[" + index + "]"));
      list.appendChild(card);
    });
  }

  function move(index, step) {
    const to = index + step;
    if (to < 0 || to >= elements.length) return;
    [elements[index], elements[to]] = [elements[to], elements[index]];
    changed(true);
  }

  function visible(problem) {
    if (submitted) return true;
    if (problem.field) return touched.has(problem.field);
    return [...touched].some((path) => path && (problem.path === path || problem.path.startsWith(path + ".")
      || problem.path.startsWith(path + "[") || path.startsWith(problem.path)));
  }

  // Each message once: on its form field's rule list, or on the element field it is about.
  function showErrors(problems) {
    document.querySelectorAll("#elements .errorlist, [data-rules-for]").forEach((ul) => { ul.innerHTML = ""; });
    document.querySelectorAll("[aria-invalid][data-live-invalid]").forEach((el) => {
      el.removeAttribute("aria-invalid"); el.removeAttribute("data-live-invalid");
    });
    // A field the server marked for a rule is unmarked once the rule holds (its own errors,
    // such as "required", stay until the next save).
    document.querySelectorAll("[data-rules-for]").forEach((ul) => {
      const name = ul.dataset.rulesFor;
      const control = form.elements[name];
      if (control && control.tagName && !document.getElementById("own-errors-" + name)) {
        control.removeAttribute("aria-invalid");
      }
    });
    for (const problem of problems) {
      if (!visible(problem)) continue;
      let target = null;
      if (problem.field) {
        target = document.querySelector('[data-rules-for="' + CSS.escape(problem.field) + '"]');
      } else {
        let path = problem.path;
        while (path && !target) {
          target = list.querySelector('.errorlist[data-path="' + CSS.escape(path) + '"]');
          const up = path.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
          path = up === path ? "" : up;
        }
      }
      if (!target) target = document.querySelector('[data-rules-for="msg_body"]');
      const li = document.createElement("li");
      li.textContent = problem.message;
      target.appendChild(li);
      const control = problem.field ? form.elements[problem.field] :
        list.querySelector('[data-path="' + CSS.escape(problem.path) + '"]:not(ul)');
      const controls = control && control.length !== undefined && !control.tagName ? [...control] : [control];
      controls.filter(Boolean).forEach((el) => {
        if (el.setAttribute && !el.hasAttribute("aria-invalid")) {
          el.setAttribute("aria-invalid", "true");
          el.setAttribute("data-live-invalid", "");
        }
      });
    }
  }

  function pushText(body) {
    const words = { TIMLocationElem: gettext("[Location]"), TIMFaceElem: gettext("[Sticker]"),
                    TIMSoundElem: gettext("[Voice message]"), TIMImageElem: gettext("[Image]"),
                    TIMFileElem: gettext("[File]"), TIMVideoFileElem: gettext("[Video]") };
    return body.map((e) => {
      const c = e.MsgContent || {};
      if (e.MsgType === "TIMTextElem") return c.Text || "";
      if (e.MsgType === "TIMCustomElem") return c.Desc || "";
      return words[e.MsgType] || "";
    }).join("");
  }

  function preview(request) {
    const info = request.OfflinePushInfo || {};
    const apns = info.ApnsInfo || {};
    const text = info.Desc || pushText(request.MsgBody || []);
    const image = (request.MsgBody || []).map((e) => e.MsgType === "TIMImageElem" && imageUrl(e.MsgContent || {}))
      .find(Boolean) || apns.Image || "";
    document.querySelectorAll(".phone").forEach((phone) => {
      const ios = phone.classList.contains("ios");
      phone.querySelector('[data-preview="title"]').textContent = (ios && apns.Title) || info.Title || "";
      phone.querySelector('[data-preview="text"]').textContent = info.PushFlag === 1 ?
        gettext("Offline push is off: people see it only in the app.") : text;
      const sub = phone.querySelector('[data-preview="subtitle"]');
      if (sub) sub.textContent = apns.SubTitle || "";
      const img = phone.querySelector('[data-preview="image"]');
      img.hidden = !image || info.PushFlag === 1;
      if (image) { img.src = image; img.alt = gettext("Picture in the notification"); }
    });
  }

  function reachText(data) {
    if (data.everyone) return gettext("Everyone who uses the app.");
    if (!data.reach) return "";
    if (!data.reach.known) return gettext("No accounts are known here yet, so the reach cannot be estimated.");
    return interpolate(gettext("About %(matching)s of %(known)s known accounts match."),
      { matching: number(data.reach.matching), known: number(data.reach.known) }, true);
  }

  // The server reads at most data-max-bytes of a form (DATA_UPLOAD_MAX_MEMORY_SIZE): a larger
  // one is refused here, before it is sent, so the text stays on the page to be shortened.
  const maxBytes = Number(form.dataset.maxBytes) || 0;
  function tooBig() {
    if (!maxBytes) return "";
    // What Save would send: the form urlencoded, as the browser encodes it.
    const size = new Blob([new URLSearchParams(new FormData(form)).toString()]).size;
    if (size <= maxBytes) return "";
    return interpolate(form.dataset.tooBig, { size: (size / 1048576).toFixed(1) + "\u00a0MB" }, true);
  }
  function showTooBig(words) {
    showErrors([]);
    const li = document.createElement("li");
    li.textContent = words;
    li.dataset.testid = "too-big";
    document.querySelector('[data-rules-for="msg_body"]').appendChild(li);
  }

  let timer = null;
  let latest = 0;  // the newest refresh: an older preview's late answer must not undo it
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++latest;
      const big = tooBig();
      if (big) { showTooBig(big); return; }
      const answer = await fetch(form.dataset.previewUrl, { method: "POST", body: new FormData(form),
        headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" });
      if (!answer.ok || mine !== latest) return;
      const data = await answer.json();
      if (mine !== latest) return;
      document.getElementById("request-json").textContent = JSON.stringify(data.request, null, 2);
      showErrors(data.problems || []);
      preview(data.request);
      document.getElementById("reach").textContent = reachText(data);
    }, 150);
  }

  async function capacity() {
    const schedule = form.querySelector('input[name="schedule"]:checked');
    const at = schedule && schedule.value === "at" ? form.send_at_local.value : "";
    const params = new URLSearchParams({ at: at, tz: form.send_tz.value });
    const answer = await fetch(form.dataset.capacityUrl + "?" + params, { credentials: "same-origin" });
    const out = document.getElementById("capacity");
    if (!answer.ok) { out.textContent = ""; return; }
    const q = await answer.json();
    out.textContent = interpolate(gettext("Quota day %(day)s: %(remaining)s of %(limit)s pushes left (%(used)s used, %(booked)s booked)."),
      { day: q.day, remaining: number(q.remaining), limit: number(q.limit), used: number(q.used), booked: number(q.booked) }, true);
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
    const card = document.getElementById("element-" + (elements.length - 1));
    if (card) card.focus();
  });
  document.getElementById("copy-json").addEventListener("click", () => {
    navigator.clipboard && navigator.clipboard.writeText(document.getElementById("request-json").textContent);
  });
  form.addEventListener("input", (event) => {
    if (!list.contains(event.target)) {
      if (event.target.name) touched.add(event.target.name);
      if (/^attr_/.test(event.target.name || "")) touched.add("audience");
      refresh();
    }
    if (["send_at_local", "send_tz", "schedule"].includes(event.target.name)) capacity();
    if (event.target.name === "audience") audience();
  });
  form.addEventListener("submit", (event) => {
    const big = tooBig();
    if (!big) return;
    event.preventDefault();
    showTooBig(big);
    document.querySelector('[data-rules-for="msg_body"]').scrollIntoView({ block: "center" });
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
  const summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
