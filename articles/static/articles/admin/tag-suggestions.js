"use strict";
// Suggest existing tags for the unfinished last name in a comma-separated tag field, from the
// admin's own autocomplete endpoint. New tags can still be typed freely.
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-tag-suggestions]")) {
    const list = document.getElementById(input.getAttribute("list"));
    let timer = null;
    let lastTerm = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const parts = input.value.split(",");
        const term = parts[parts.length - 1].trim();
        if (!term || term === lastTerm) return;
        lastTerm = term;
        const url = new URL(input.dataset.tagSuggestions, window.location.origin);
        url.searchParams.set("term", term);
        const response = await fetch(url, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) return;
        const data = await response.json();
        const chosen = parts.slice(0, -1).map((p) => p.trim()).filter(Boolean);
        const taken = new Set(chosen.map((t) => t.toLowerCase()));
        list.replaceChildren(
          ...data.results
            .filter((r) => !taken.has(r.text.toLowerCase()))
            .map((r) => {
              const option = document.createElement("option");
              option.value = [...chosen, r.text].join(", ");
              option.label = r.text;
              return option;
            }),
        );
      }, 150);
    });
  }
});
