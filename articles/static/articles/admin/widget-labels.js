"use strict";
// Tie the article form's script-drawn widgets to their field's name, so assistive technology
// announces "Body" or "Section" rather than an unnamed text box. The body editor and the
// autocomplete boxes replace the real <textarea>/<select> (which keep the <label>) with
// elements of their own, drawn after the page loads and again whenever an inline row is added.
(() => {
  const labelFor = (field) =>
    field.id ? document.querySelector(`label[for="${CSS.escape(field.id)}"]`) : null;

  const labelId = (label) => {
    if (!label.id) label.id = `${label.htmlFor}-label`;
    return label.id;
  };

  // The body editor: a contenteditable <div> standing in for the hidden <textarea>.
  const nameEditor = (editor) => {
    const textarea = editor.closest(".prose-editor")?.querySelector("textarea");
    const label = textarea && labelFor(textarea);
    if (!label || editor.hasAttribute("aria-labelledby")) return;
    editor.setAttribute("aria-labelledby", labelId(label));
    editor.setAttribute("aria-multiline", "true");
    // The label points at the hidden textarea; a click on it should reach the editor.
    label.addEventListener("click", (event) => {
      event.preventDefault();
      editor.focus();
    });
  };

  // Name an element as a <select>'s label does, or by its aria-label in a table row (where the
  // column header is the only visible label). False when the <select> has no name at all.
  const nameLike = (select, element, extraIds = []) => {
    const label = labelFor(select);
    if (label) {
      element.setAttribute("aria-labelledby", [labelId(label), ...extraIds].join(" "));
    } else if (select.getAttribute("aria-label")) {
      element.removeAttribute("aria-labelledby");
      element.setAttribute("aria-label", select.getAttribute("aria-label"));
    } else {
      return false;
    }
    return true;
  };

  // An autocomplete box: select2's combobox stands in for the hidden <select>. With a label
  // the current choice stays part of the name, as select2 intends.
  const nameAutocomplete = (container) => {
    const select = container.previousElementSibling;
    const combobox = container.querySelector(".select2-selection[role=combobox]");
    const choice = container.querySelector(".select2-selection__rendered");
    if (!select || select.tagName !== "SELECT" || !combobox || combobox.dataset.named) return;
    if (nameLike(select, combobox, choice?.id ? [choice.id] : [])) {
      if (choice) nameLike(select, choice);
      combobox.dataset.named = "yes";
    }
  };

  // The search box select2 opens under the combobox, and the list the combobox controls.
  const nameOpenDropdown = (event) => {
    const select = event.target;
    const combobox = select.nextElementSibling?.querySelector(".select2-selection[role=combobox]");
    const search = document.querySelector(".select2-container--open .select2-search__field");
    if (search) nameLike(select, search);
    if (combobox?.getAttribute("aria-owns")) {
      combobox.setAttribute("aria-controls", combobox.getAttribute("aria-owns"));
    }
  };
  const forgetDropdown = (event) => {
    const combobox = event.target.nextElementSibling?.querySelector("[role=combobox]");
    combobox?.removeAttribute("aria-controls");
  };

  const EDITOR = ".prose-editor .ProseMirror";
  const AUTOCOMPLETE = ".select2-container";
  const nameWithin = (root) => {
    root.querySelectorAll(EDITOR).forEach(nameEditor);
    root.querySelectorAll(AUTOCOMPLETE).forEach(nameAutocomplete);
  };

  // Both widgets are drawn by other scripts at times of their choosing: watch for them.
  const observer = new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      for (const node of mutation.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE || node.closest(".ProseMirror *")) continue;
        if (node.matches(`${EDITOR}, ${AUTOCOMPLETE}`)) nameWithin(node.parentElement);
        else if (node.querySelector(`${EDITOR}, ${AUTOCOMPLETE}`)) nameWithin(node);
      }
    }
  });
  // A tabular inline's header row keeps blank cells over its unnamed columns (the saved row's
  // title, a delete box the user may not use). They head nothing: say so, rather than leave
  // screen readers an empty column header.
  const unheadBlankColumns = () => {
    for (const th of document.querySelectorAll(".tabular.inline-related thead th")) {
      if (!th.textContent.trim() && !th.hasAttribute("role")) th.setAttribute("role", "cell");
    }
  };

  document.addEventListener("DOMContentLoaded", () => {
    unheadBlankColumns();
    nameWithin(document);
    observer.observe(document.body, { childList: true, subtree: true });
    // select2 announces opening and closing as jQuery events only.
    const $ = window.django?.jQuery;
    if ($) {
      $(document).on("select2:open", nameOpenDropdown);
      $(document).on("select2:close", forgetDropdown);
    }
  });
})();
