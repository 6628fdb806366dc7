"use strict";
// Keep the word count and reading time beside the body current while the journalist types.
// The server recounts on save; this only saves a round trip. Same rule as Article.save().
document.addEventListener("DOMContentLoaded", () => {
  // Both sit on one admin row, so look inside each field's own box first.
  const readonly = (name) =>
    document.querySelector(`.fieldBox.field-${name} .readonly`) ||
    document.querySelector(`.field-${name} .readonly`);
  const words = readonly("word_count");
  const minutes = readonly("reading_time");
  const body = document.querySelector(".field-body");
  if (!words || !minutes || !body) return;
  const wordsPerMinute = Number(body.closest("form").dataset.wordsPerMinute || 230);
  const pattern = /[\p{L}\p{N}_]+(?:['’-][\p{L}\p{N}_]+)*/gu;
  const update = () => {
    // The visible editing surface (the editor keeps a hidden measuring copy too).
    const editor = [...body.querySelectorAll(".ProseMirror")].find((e) => e.offsetParent);
    if (!editor) return;
    const count = (editor.innerText.match(pattern) || []).length;
    words.textContent = String(count);
    minutes.textContent = String(count ? Math.max(1, Math.ceil(count / wordsPerMinute)) : 0);
  };
  body.addEventListener("input", update);
  body.addEventListener("keyup", update);
});

// "X is editing this article": say every few seconds that this form is still open, and say
// goodbye when the page is left, so the banner others see ends with the page. Each heartbeat
// is answered with who else has the form open, so this page's own banner stays true too.
document.addEventListener("DOMContentLoaded", () => {
  const presence = document.getElementById("nr-presence");
  const form = presence && presence.closest("form");
  if (!form) return;
  const say = (left) => {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    if (left) body.append("left", "1");
    return body;
  };
  const show = (people) => {
    const old = document.getElementById("nr-editing");
    if (!people.length) {
      if (old) old.remove();
      return;
    }
    const banner = document.createElement("div");
    banner.className = "nr-panel nr-warn";
    banner.id = "nr-editing";
    for (const person of people) {
      const line = document.createElement("p");
      line.textContent = presence.dataset.template
        .replace("{name}", person.name)
        .replace("{since}", person.since);
      banner.append(line);
    }
    if (old && old.textContent === banner.textContent) return;  // unchanged: nothing to announce
    if (old) old.replaceWith(banner);
    else presence.append(banner);
  };
  const beat = () =>
    fetch(presence.dataset.url, { method: "POST", body: say(false), credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : null))
      .then((answer) => answer && show(answer.editing))
      .catch(() => {});
  let saving = false;
  // Saving ends (or renews) the session on the server; a goodbye racing the reload would undo it.
  form.addEventListener("submit", () => { saving = true; });
  window.addEventListener("pagehide", () => {
    if (!saving) navigator.sendBeacon(presence.dataset.url, say(true));
  });
  window.addEventListener("pageshow", (event) => {
    saving = false;
    if (event.persisted) beat();  // back from the page cache: open again
  });
  beat();
  setInterval(beat, Number(presence.dataset.seconds || 20) * 1000);
});

// A text with a limit (the headline) shows its length while the journalist types. Over the
// limit the count says by how much and the browser keeps the form until it is shortened;
// nothing is cut (no maxlength: a pasted headline stays whole).
document.addEventListener("DOMContentLoaded", () => {
  for (const field of document.querySelectorAll("textarea[data-max-length]")) {
    const counter = document.getElementById(`${field.id}_length`);
    if (!counter) continue;
    const max = Number(field.dataset.maxLength);
    const fill = (template, values) =>
      template.replace(/\{(\w+)\}/g, (match, key) => (key in values ? values[key] : match));
    const update = () => {
      // Counted as the server counts: runs of spaces are one space, in characters, not units.
      const length = [...field.value.trim().split(/\s+/).join(" ")].length;
      const over = length - max;
      counter.textContent = fill(counter.dataset.template, { length, max });
      counter.classList.toggle("nr-over", over > 0);
      const message = over > 0 ? fill(field.dataset.over, { length, max, over }) : "";
      if (over > 0) counter.textContent += ` — ${message}`;
      field.setCustomValidity(message);
    };
    field.addEventListener("input", update);
    update();
  }
});

// A workflow step ("Submit for review", "Schedule") taken with unsaved changes saves them on
// the way: the form is sent with the step's name and the server opens the step's page after
// saving. Without changes the link is simply followed.
window.addEventListener("load", () => {
  const steps = document.querySelector("[data-save-first]");
  const form = steps && steps.closest("form");
  if (!form) return;
  const snapshot = () => {
    const data = new FormData(form);
    data.delete("csrfmiddlewaretoken");
    return JSON.stringify([...data.entries()].map(([key, value]) => [key, String(value)]));
  };
  const opened = snapshot();
  steps.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-action]");
    if (!link || snapshot() === opened) return;
    event.preventDefault();
    const step = document.createElement("input");
    step.type = "hidden";
    step.name = "_workflow";
    step.value = link.dataset.action;
    form.append(step);
    form.requestSubmit();
  });
});
