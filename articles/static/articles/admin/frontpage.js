// The front page screen: put stories in places by dragging them or with "Place in", move
// places and section blocks up and down (buttons work from the keyboard), and find stories by
// their headline. Everything ends in the form's own fields; the server checks it all again.
"use strict";
(function () {
  const form = document.getElementById("fp-form");
  if (!form) return;
  const list = document.getElementById("fp-story-list");
  const canArrange = list && list.dataset.canArrange === "1";
  const slots = [...form.querySelectorAll(".fp-slot")];
  const automatic = gettext("Filled automatically");
  const status = document.getElementById("fp-search-status");

  const storyInput = (slot) => form.elements[`${slot.dataset.slot}_story`];
  const pinInputs = (slot) =>
    ["from_0", "from_1", "until_0", "until_1"].map((part) =>
      form.elements[`${slot.dataset.slot}_${part}`]).filter(Boolean);

  function announce(text) {
    if (status) status.textContent = text;
  }

  function showPicked(slot, nodes) {
    const target = slot.querySelector("[data-role=picked]");
    target.replaceChildren();
    if (nodes.length) {
      nodes.forEach((node, i) => {
        if (i) target.append(" ");
        target.append(node);
      });
    } else {
      const quiet = document.createElement("span");
      quiet.className = "fp-auto";
      quiet.textContent = automatic;
      target.append(quiet);
    }
  }

  function slotState(slot) {
    return {
      id: storyInput(slot).value,
      nodes: [...slot.querySelector("[data-role=picked]").childNodes]
        .filter((n) => n.nodeType === 1 && !n.classList.contains("fp-auto"))
        .map((n) => n.cloneNode(true)),
      pins: pinInputs(slot).map((input) => input.value),
    };
  }

  function setSlot(slot, state) {
    // "On the site now" describes the saved layout: once places change it no longer holds.
    form.querySelectorAll(".fp-auto__now").forEach((hint) => hint.remove());
    storyInput(slot).value = state.id || "";
    showPicked(slot, state.id ? state.nodes : []);
    pinInputs(slot).forEach((input, i) => { input.value = state.pins ? state.pins[i] || "" : ""; });
    if (state.pins && state.pins.some(Boolean)) slot.querySelector("details.fp-pin").open = true;
  }

  function label(slot) {
    return slot.querySelector(".fp-slot__label").textContent.trim();
  }

  function placeStory(item, slot) {
    const id = item.dataset.id;
    // A story has one place: taking it elsewhere empties its old place.
    slots.forEach((other) => {
      if (other !== slot && storyInput(other).value === id) setSlot(other, {id: ""});
    });
    const nodes = [item.querySelector(".fp-story__headline"), item.querySelector(".nr-badge")]
      .filter(Boolean).map((n) => n.cloneNode(true));
    setSlot(slot, {id, nodes, pins: pinInputs(slot).map(() => "")});
    announce(interpolate(gettext("“%s” is in the place %s."),
      [item.querySelector(".fp-story__headline").textContent, label(slot)]));
  }

  function swap(a, b) {
    const first = slotState(a), second = slotState(b);
    setSlot(a, second);
    setSlot(b, first);
  }

  // Places: move up, move down, empty.
  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const slot = button.closest(".fp-slot");
    const action = button.dataset.action;
    if (slot) {
      const i = slots.indexOf(slot);
      if (action === "up" && i > 0) swap(slot, slots[i - 1]);
      if (action === "down" && i < slots.length - 1) swap(slot, slots[i + 1]);
      if (action === "clear") {
        setSlot(slot, {id: ""});
        announce(interpolate(gettext("%s is filled automatically."), [label(slot)]));
      }
      return;
    }
    const section = button.closest(".fp-section");
    if (section) moveSection(section, action === "section-up" ? -1 : 1, button);
  });

  // The story list: "Place in" and dragging.
  if (list && canArrange) {
    list.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action=place]");
      if (!button) return;
      const item = button.closest(".fp-story");
      const key = item.querySelector("select").value;
      const slot = slots.find((s) => s.dataset.slot === key);
      if (slot) placeStory(item, slot);
    });
    list.addEventListener("dragstart", (event) => {
      const item = event.target.closest(".fp-story");
      if (!item) return;
      event.dataTransfer.setData("text/plain", `story:${item.dataset.id}`);
      event.dataTransfer.effectAllowed = "copyMove";
    });
  }
  slots.forEach((slot) => {
    if (!canArrange) return;
    slot.addEventListener("dragover", (event) => {
      event.preventDefault();
      slot.classList.add("fp-slot--over");
    });
    slot.addEventListener("dragleave", () => slot.classList.remove("fp-slot--over"));
    slot.addEventListener("drop", (event) => {
      event.preventDefault();
      slot.classList.remove("fp-slot--over");
      const [kind, value] = event.dataTransfer.getData("text/plain").split(":");
      if (kind !== "story") return;
      const item = list.querySelector(`.fp-story[data-id="${CSS.escape(value)}"]`);
      if (item) placeStory(item, slot);
    });
  });

  // Section blocks: up and down, or drag within the list.
  const sectionList = document.getElementById("fp-sections");
  const orderInput = form.elements.section_order;

  function saveOrder() {
    const items = [...sectionList.children];
    orderInput.value = items.map((li) => li.dataset.id).join(",");
    items.forEach((li, i) => {
      const up = li.querySelector("[data-action=section-up]");
      const down = li.querySelector("[data-action=section-down]");
      if (up) up.disabled = i === 0;
      if (down) down.disabled = i === items.length - 1;
    });
  }

  function moveSection(item, step, button) {
    const sibling = step < 0 ? item.previousElementSibling : item.nextElementSibling;
    if (!sibling) return;
    if (step < 0) sibling.before(item); else sibling.after(item);
    saveOrder();
    (button.disabled ? item.querySelector("button:not([disabled])") : button)?.focus();
    announce(interpolate(gettext("%s is now block %s of %s."),
      [item.querySelector(".fp-section__name").textContent, [...sectionList.children].indexOf(item) + 1,
       sectionList.children.length]));
  }

  if (sectionList && canArrange) {
    let dragged = null;
    sectionList.addEventListener("dragstart", (event) => {
      dragged = event.target.closest(".fp-section");
      event.dataTransfer.setData("text/plain", "section");
    });
    sectionList.addEventListener("dragover", (event) => {
      const over = event.target.closest(".fp-section");
      if (!dragged || !over || over === dragged) return;
      event.preventDefault();
      const box = over.getBoundingClientRect();
      if (event.clientY > box.top + box.height / 2) over.after(dragged); else over.before(dragged);
    });
    sectionList.addEventListener("drop", (event) => { event.preventDefault(); saveOrder(); });
    sectionList.addEventListener("dragend", () => { dragged = null; saveOrder(); });
  }

  // "Takes effect": the time matters only for "At a set time".
  const when = form.querySelector(".fp-effective-at");
  function showWhen() {
    const later = form.querySelector("input[name=effective][value=later]");
    if (when && later) when.hidden = !later.checked;
  }
  form.querySelectorAll("input[name=effective]").forEach((r) => r.addEventListener("change", showWhen));
  showWhen();

  // Finding a story by its headline.
  const search = document.getElementById("fp-search");
  const options = document.getElementById("fp-place-options");
  let timer = null, asked = 0;

  function storyItem(story) {
    const li = document.createElement("li");
    li.className = "fp-story";
    li.dataset.id = story.id;
    li.draggable = canArrange;
    const link = document.createElement("a");
    link.className = "fp-story__headline";
    link.href = story.url;
    link.textContent = story.headline;
    const meta = document.createElement("div");
    meta.className = "fp-story__meta";
    // The badge is the server's own escaped markup (`state_badge`).
    meta.innerHTML = story.badge;
    meta.append(` ${story.section}`);
    li.append(link, meta);
    if (canArrange) {
      const place = document.createElement("div");
      place.className = "fp-story__place";
      const select = document.createElement("select");
      select.id = `fp-place-${story.id}`;
      select.append(options.content.cloneNode(true));
      const selectLabel = document.createElement("label");
      selectLabel.className = "visually-hidden";
      selectLabel.htmlFor = select.id;
      selectLabel.textContent = interpolate(gettext("Place “%s” in"), [story.headline]);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "button fp-js";
      button.dataset.action = "place";
      button.textContent = gettext("Place in");
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = ` ${gettext("the chosen place")}: ${story.headline}`;
      button.append(hidden);
      place.append(selectLabel, select, " ", button);
      li.append(place);
    }
    return li;
  }

  if (search) {
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++asked;
        const url = `${search.dataset.url}?q=${encodeURIComponent(search.value.trim())}`;
        try {
          const answer = await fetch(url, {credentials: "same-origin"});
          if (!answer.ok) throw new Error(answer.status);
          const data = await answer.json();
          if (mine !== asked) return;
          list.replaceChildren(...data.stories.map(storyItem));
          announce(data.stories.length
            ? interpolate(ngettext("%s story found.", "%s stories found.", data.stories.length), [data.stories.length])
            : gettext("No story found."));
        } catch (error) {
          announce(gettext("The search did not answer; try again."));
        }
      }, 250);
    });
  }
})();
