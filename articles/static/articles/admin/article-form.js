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
