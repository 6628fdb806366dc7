"use strict";
// Bylines, sources and related stories are put in order on screen: drag a row by its handle
// (mouse, pen or finger), press the up/down arrow keys on the handle, or use the move buttons.
// Each row's hidden `position` input follows the order shown; the server orders by it.
(() => {
  const ROW = ".nr-ordered-row:not(.empty-form)";
  const rowsOf = (group) => [...group.querySelectorAll(ROW)];
  const positionOf = (row) => row.querySelector('input[name$="-position"]');
  const prefixOf = (group) => group.id.replace(/-group$/, "");

  // What a row is called when its move is announced: the chosen author, source or story.
  const nameOf = (row) => {
    for (const select of row.querySelectorAll("select")) {
      const option = select.selectedOptions[0];
      if (option && option.value) return option.textContent.trim();
    }
    return row.querySelector(".inline_label")?.textContent.trim() || "";
  };

  const renumber = (group) => {
    rowsOf(group).forEach((row, index) => {
      const input = positionOf(row);
      if (input) input.value = String(index);
    });
  };

  const announce = (group, row) => {
    const status = group.querySelector(".nr-order-status");
    if (!status) return;
    const rows = rowsOf(group);
    const template = gettext("%(name)s moved to place %(place)s of %(count)s.");
    status.textContent = interpolate(
      template,
      { name: nameOf(row), place: rows.indexOf(row) + 1, count: rows.length },
      true,
    );
  };

  const move = (row, step) => {
    const group = row.closest(".nr-ordered");
    const rows = rowsOf(group);
    const index = rows.indexOf(row);
    const target = rows[index + step];
    if (!target) return false;
    if (step < 0) target.before(row);
    else target.after(row);
    renumber(group);
    announce(group, row);
    return true;
  };

  // On load, rows appear in their position order (a form sent back with an error is drawn
  // in the formset's own order, which need not be the order the journalist chose).
  const sortByPosition = (group) => {
    const rows = rowsOf(group);
    const value = (row) => Number(positionOf(row)?.value || 0);
    const sorted = [...rows].sort((a, b) => value(a) - value(b));
    if (sorted.some((row, i) => row !== rows[i])) {
      const anchor = rows[rows.length - 1].nextElementSibling;
      for (const row of sorted) anchor.before(row);
    }
    renumber(group);
  };

  // Django's formset reads rows 0..n-1 of the saved rows as the saved rows: before sending,
  // saved rows take the first numbers again (their order is in `position`, not in the number).
  const renameForSaving = (group) => {
    const prefix = prefixOf(group);
    const rows = rowsOf(group);
    const saved = rows.filter((row) => row.classList.contains("has_original"));
    const added = rows.filter((row) => !row.classList.contains("has_original"));
    const numberOf = (row) => Number(row.id.slice(prefix.length + 1));
    const wanted = [...saved, ...added];
    if (wanted.every((row, i) => numberOf(row) === i)) return;
    const pattern = new RegExp(`^(${prefix}-|id_${prefix}-)\\d+(?=-|$)`);
    wanted.forEach((row, i) => {
      for (const element of [row, ...row.querySelectorAll("*")]) {
        for (const attribute of ["id", "name", "for"]) {
          const old = element.getAttribute(attribute);
          if (old && pattern.test(old)) {
            element.setAttribute(attribute, old.replace(pattern, `$1${i}`));
          }
        }
      }
    });
  };

  // Dragging with pointer events works the same for a mouse, a pen and a finger. The window
  // listens, not the handle: a moved row leaves the document for an instant, which would end
  // a pointer capture.
  const startDrag = (event, handle) => {
    if (event.button !== 0) return;
    const row = handle.closest(".nr-ordered-row");
    const group = row.closest(".nr-ordered");
    event.preventDefault();
    row.classList.add("nr-dragging");
    const onMove = (moveEvent) => {
      const others = rowsOf(group).filter((other) => other !== row);
      const below = others.find((other) => {
        const box = other.getBoundingClientRect();
        return moveEvent.clientY < box.top + box.height / 2;
      });
      if (below && below.previousElementSibling !== row) below.before(row);
      else if (!below && others.length && others[others.length - 1].nextElementSibling !== row) {
        others[others.length - 1].after(row);
      }
    };
    const onEnd = () => {
      window.removeEventListener("pointermove", onMove);
      window.removeEventListener("pointerup", onEnd);
      window.removeEventListener("pointercancel", onEnd);
      row.classList.remove("nr-dragging");
      renumber(group);
      announce(group, row);
      handle.focus();
    };
    window.addEventListener("pointermove", onMove);
    window.addEventListener("pointerup", onEnd);
    window.addEventListener("pointercancel", onEnd);
  };

  document.addEventListener("DOMContentLoaded", () => {
    const groups = [...document.querySelectorAll(".nr-ordered")];
    if (!groups.length) return;
    groups.forEach(sortByPosition);

    document.addEventListener("pointerdown", (event) => {
      const handle = event.target.closest(".nr-ordered .nr-handle");
      if (handle && !handle.closest(".empty-form")) startDrag(event, handle);
    });
    document.addEventListener("keydown", (event) => {
      const handle = event.target.closest?.(".nr-ordered .nr-handle");
      if (!handle || !["ArrowUp", "ArrowDown"].includes(event.key)) return;
      event.preventDefault();
      move(handle.closest(".nr-ordered-row"), event.key === "ArrowUp" ? -1 : 1);
      handle.focus();
    });
    document.addEventListener("click", (event) => {
      const button = event.target.closest(".nr-ordered .nr-move button");
      if (!button) return;
      move(button.closest(".nr-ordered-row"), Number(button.dataset.step));
      button.focus();
    });
    // A new row goes last; a removed one leaves no gap.
    document.addEventListener("formset:added", (event) => {
      const group = event.target.closest(".nr-ordered");
      if (group) renumber(group);
    });
    document.addEventListener("formset:removed", () => groups.forEach(renumber));

    const form = groups[0].closest("form");
    form.addEventListener("submit", () => groups.forEach(renameForSaving));
  });
})();
