"use strict";
// Autosave of the article form: nothing typed is lost to a closed tab or a lost connection.
// The form's fields go to the server a few seconds after the journalist stops typing (never
// more than one request per MIN_GAP_MS), when the page is left, and when a lost connection
// comes back; meanwhile they wait in this browser's localStorage. Reopening the form offers
// the autosave back (the panel the server drew), and restoring puts every field back as it was.
(() => {
  const config = document.getElementById("nr-autosave");
  const form = config && config.closest("form");
  if (!form) return;

  const QUIET_MS = 2000;      // saved this long after the last change...
  const MIN_GAP_MS = 5000;    // ...but at most once per this long...
  const MAX_WAIT_MS = 15000;  // ...and at least this often while typing goes on.
  // The form's bookkeeping, never kept or restored as typed text.
  const NOT_KEPT = new Set(["csrfmiddlewaretoken", "autosave_draft_key", "base_version", "seen_version"]);
  const storageKey = config.dataset.storageKey;
  const draftInput = form.elements.namedItem("autosave_draft_key");
  const csrf = () => form.elements.namedItem("csrfmiddlewaretoken").value;
  const words = (name, values = {}) =>
    config.dataset[name].replace(/\{(\w+)\}/g, (match, key) => (key in values ? values[key] : match));

  // The status line: the action bar's own, or one added next to the save buttons.
  let status = document.getElementById("autosave-status");
  if (!status) {
    const template = document.getElementById("nr-autosave-status-template");
    const row = form.querySelector(".submit-row");
    if (template && row) {
      row.prepend(template.content.cloneNode(true));
      status = document.getElementById("autosave-status");
    }
  }
  const say = (text, state) => {
    if (!status) return;
    status.textContent = text;
    status.dataset.state = state;
  };

  // The form as the browser would post it, plus the text of chosen autocomplete options
  // (the page holds only the chosen one, so a restore must be able to add it back).
  const snapshot = () => {
    const fields = [];
    for (const [name, value] of new FormData(form)) {
      if (!NOT_KEPT.has(name) && typeof value === "string") fields.push([name, value]);
    }
    const labels = {};
    for (const select of form.querySelectorAll("select.admin-autocomplete")) {
      const option = select.selectedOptions[0];
      if (option && option.value && !select.name.includes("__prefix__")) labels[select.name] = option.text;
    }
    const base = form.elements.namedItem("base_version");
    return {
      fields,
      labels,
      base_version: base ? base.value : "",
      draft_key: draftInput ? draftInput.value : "",
    };
  };
  const same = (a, b) => JSON.stringify(a.fields) === JSON.stringify(b.fields);

  const keepLocally = (payload) => {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ ...payload, kept_at: Date.now() }));
    } catch (error) {
      // Storage full or refused (private mode): the server copy is all there is.
    }
  };
  const forgetLocally = () => {
    try {
      localStorage.removeItem(storageKey);
    } catch (error) {
      // Nothing to forget.
    }
  };
  const keptLocally = () => {
    try {
      return JSON.parse(localStorage.getItem(storageKey) || "null");
    } catch (error) {
      return null;
    }
  };
  const body = (payload) => {
    const data = new FormData();
    data.append("csrfmiddlewaretoken", csrf());
    data.append("fields", JSON.stringify(payload.fields));
    data.append("labels", JSON.stringify(payload.labels));
    data.append("base_version", payload.base_version || "");
    data.append("draft_key", payload.draft_key || "");
    return data;
  };

  let lastSent = snapshot();
  let lastChange = 0;
  let dirtySince = 0;
  let lastRequest = 0;
  let timer = 0;
  let inFlight = null;
  let stopped = false;
  let leaving = false;

  const send = async (payload) => {
    lastRequest = Date.now();
    say(words("saving"), "saving");
    let response;
    try {
      response = await fetch(config.dataset.keepUrl, {
        method: "POST",
        body: body(payload),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
    } catch (error) {
      // No answer (offline, or the server unreachable): kept here, tried again later.
      keepLocally(payload);
      say(words("offline"), "offline");
      setTimeout(schedule, MAX_WAIT_MS);
      return;
    }
    const json = (response.headers.get("Content-Type") || "").includes("json");
    if (response.ok && json) {
      const answer = await response.json();
      lastSent = payload;
      const pending = keptLocally();
      if (!pending || same(pending, payload)) forgetLocally();
      say(words(answer.newer_save ? "savedNewer" : "saved", { time: answer.time }), "saved");
    } else if (response.status === 403 && json) {
      // Refused by the edit rule (the story went to review, say): typing here is not kept.
      stopped = true;
      forgetLocally();
      say(words("refused"), "refused");
    } else if (response.redirected || response.status === 403) {
      // Sent to the login page, or the CSRF token is no longer the session's.
      keepLocally(payload);
      say(words("loggedOut"), "failed");
    } else {
      keepLocally(payload);
      say(words("failed"), "failed");
      setTimeout(schedule, MAX_WAIT_MS);
    }
  };

  const flush = () => {
    timer = 0;
    if (stopped || leaving) return;
    if (inFlight) {
      inFlight.then(schedule);
      return;
    }
    const payload = snapshot();
    if (same(payload, lastSent)) {
      dirtySince = 0;
      return;
    }
    dirtySince = 0;
    if (!navigator.onLine) {
      keepLocally(payload);
      say(words("offline"), "offline");
      return;
    }
    inFlight = send(payload).finally(() => {
      inFlight = null;
    });
  };

  function schedule() {
    if (stopped || leaving) return;
    clearTimeout(timer);
    const now = Date.now();
    const due = Math.max(
      Math.min(lastChange + QUIET_MS, (dirtySince || now) + MAX_WAIT_MS),
      lastRequest + MIN_GAP_MS,
    );
    timer = setTimeout(flush, Math.max(0, due - now));
  }

  const changed = () => {
    lastChange = Date.now();
    dirtySince = dirtySince || lastChange;
    if (!navigator.onLine) {
      keepLocally(snapshot());
      say(words("offline"), "offline");
    }
    schedule();
  };
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  // select2 (autocomplete) reports its choices through jQuery only.
  if (window.django && window.django.jQuery) window.django.jQuery(form).on("change", "select", changed);

  // Saving the form makes the autosave spent (the server deletes it with the save).
  form.addEventListener("submit", () => {
    leaving = true;
    clearTimeout(timer);
    forgetLocally();
  });

  // Leaving the page: what was not sent yet goes now, and stays in this browser in case
  // the beacon is lost (sent again when the form is next opened).
  window.addEventListener("pagehide", () => {
    if (leaving || stopped) return;
    const payload = snapshot();
    if (same(payload, lastSent)) return;
    keepLocally(payload);
    if (!navigator.sendBeacon(config.dataset.keepUrl, body(payload))) {
      fetch(config.dataset.keepUrl, {
        method: "POST", body: body(payload), credentials: "same-origin", keepalive: true,
      }).catch(() => {});
    }
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) leaving = false;
  });

  window.addEventListener("offline", () => {
    if (!same(snapshot(), lastSent)) {
      keepLocally(snapshot());
      say(words("offline"), "offline");
    }
  });
  window.addEventListener("online", () => {
    const pending = keptLocally();
    if (pending && !same(pending, lastSent)) {
      lastChange = 0;
      dirtySince = 0;
      schedule();
    }
  });

  // Restore -------------------------------------------------------------------------------

  // The rich body editor (django-prose-editor, Tiptap) of a textarea, once it is ready.
  const editorOf = (textarea) => {
    const root = textarea.closest(".prose-editor");
    // The editing surface carries its editor; a measuring copy beside it does not.
    const surfaces = root ? [...root.querySelectorAll(".ProseMirror")] : [];
    return surfaces.map((surface) => surface.editor).find(Boolean);
  };

  const addInlineRows = (fields) => {
    for (const [name, value] of fields) {
      const match = /^(.+)-TOTAL_FORMS$/.exec(name);
      const total = match && form.elements.namedItem(name);
      if (!total) continue;
      const adder = document.querySelector(`#${CSS.escape(match[1])}-group .add-row a`);
      let missing = Number(value) - Number(total.value);
      while (adder && missing > 0) {
        adder.click();
        missing -= 1;
      }
    }
  };

  const restore = (data) => {
    addInlineRows(data.fields);
    const values = new Map();
    for (const [name, value] of data.fields) {
      if (!values.has(name)) values.set(name, []);
      values.get(name).push(value);
    }
    const jq = window.django && window.django.jQuery;
    for (const element of form.elements) {
      const name = element.name;
      if (!name || NOT_KEPT.has(name) || element.type === "file" || name.includes("__prefix__")) continue;
      if (["submit", "button", "reset"].includes(element.type)) continue;
      const kept = values.get(name) || [];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = kept.includes(element.value);
      } else if (element.tagName === "SELECT") {
        for (const value of kept) {
          if (![...element.options].some((o) => o.value === value)) {
            element.add(new Option(data.labels[name] || value, value));
          }
        }
        for (const option of element.options) option.selected = kept.includes(option.value);
        if (!kept.length && !element.multiple) element.selectedIndex = -1;
        if (jq) jq(element).trigger("change.select2");
      } else if (values.has(name)) {
        element.value = kept[0];
        const editor = element.tagName === "TEXTAREA" && editorOf(element);
        if (editor) {
          // Whitespace exactly as typed; no update event, so the textarea keeps the
          // autosaved text itself rather than the editor's rewriting of it.
          editor.commands.setContent(kept[0], {
            emitUpdate: false,
            parseOptions: { preserveWhitespace: "full" },
          });
          element.value = kept[0];
        }
      }
      element.dispatchEvent(new Event("input", { bubbles: true }));
    }
    // The version the autosaved edits were made from: a newer save by someone else is
    // then shown (and merged) when this form is saved, never overwritten.
    const base = form.elements.namedItem("base_version");
    if (base && data.base_version) base.value = String(data.base_version);
    const seen = form.elements.namedItem("seen_version");
    if (seen) seen.value = "";
    if (draftInput && data.draft_key) draftInput.value = data.draft_key;
    lastSent = snapshot();
  };

  const offer = document.getElementById("nr-autosave-offer");
  const offered = document.getElementById("nr-autosave-data");
  if (offer && offered) {
    const data = JSON.parse(offered.textContent);
    const close = (message) => {
      offer.remove();
      say(message, "saved");
      const first = form.querySelector("textarea, input:not([type=hidden]), select");
      if (first) first.focus();
    };
    offer.querySelector("[data-autosave-restore]").addEventListener("click", () => {
      restore(data);
      close(words("restored", { time: data.time }));
    });
    offer.querySelector("[data-autosave-discard]").addEventListener("click", async () => {
      const payload = new FormData();
      payload.append("csrfmiddlewaretoken", csrf());
      payload.append("draft_key", data.draft_key || "");
      try {
        const response = await fetch(config.dataset.discardUrl, {
          method: "POST", body: payload, credentials: "same-origin",
        });
        if (!response.ok) throw new Error(String(response.status));
        close(words("discarded"));
      } catch (error) {
        say(words("failed"), "failed");
      }
    });
  }

  // A form left while offline (or whose goodbye was lost) is newer than anything the server
  // holds: it is sent now, and the page read again so the offer shows it.
  const pending = keptLocally();
  const shown = offered ? JSON.parse(offered.textContent) : lastSent;
  if (pending && offered && Date.parse(shown.saved_at) >= pending.kept_at) {
    forgetLocally();  // the server's autosave is newer (made in another browser, say)
  } else if (pending && !same(pending, shown) && navigator.onLine) {
    send(pending).then(() => {
      if (status && status.dataset.state === "saved") window.location.reload();
    });
  }
})();
