"use strict";
// The media library: a <dialog> in the article form to browse, upload, frame and pick the lead
// image. The server draws every piece of markup (the widget, a page of results, a picture's
// details); this script fetches them, moves focus sensibly and keeps the hidden value.
(() => {
  const FOCUSABLE =
    'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

  const csrfToken = () => {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) return field.value;
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
  };

  // Every request answers JSON or an HTML fragment; anything else is said in words.
  const request = async (url, options = {}) => {
    let response;
    try {
      response = await fetch(url, {
        credentials: "same-origin",
        ...options,
        headers: { "X-CSRFToken": csrfToken(), ...(options.headers || {}) },
      });
    } catch {
      return { ok: false, problem: "offline" };
    }
    // An ended session is sent to the login page: that page is not an answer to show.
    if (response.redirected) return { ok: false, status: 401 };
    const type = response.headers.get("Content-Type") || "";
    const body = type.includes("json") ? await response.json() : await response.text();
    return { ok: response.ok, status: response.status, body };
  };

  const problemText = (dialog, result) => {
    const words = dialog.dataset;
    if (result.problem === "offline") return words.offline;
    if (result.status === 401) return words.loggedOut;
    if (result.status === 403) return words.forbidden;
    if (result.status === 413) return words.tooLarge;
    return words.failed;
  };

  const clearErrors = (form) => {
    for (const error of form.querySelectorAll(".nr-media-error")) {
      error.hidden = true;
      error.textContent = "";
    }
    for (const field of form.querySelectorAll("[aria-invalid]")) {
      field.removeAttribute("aria-invalid");
      const described = (field.getAttribute("aria-describedby") || "")
        .split(" ")
        .filter((id) => id && id !== `${field.id}_error`);
      if (described.length) field.setAttribute("aria-describedby", described.join(" "));
      else field.removeAttribute("aria-describedby");
    }
  };

  // {element id: [messages]}, as the server sends them; focus goes to the first wrong field.
  const showErrors = (form, errors) => {
    clearErrors(form);
    let first = null;
    for (const [id, messages] of Object.entries(errors)) {
      const error = document.getElementById(`${id}_error`);
      if (error) {
        error.textContent = messages.join(" ");
        error.hidden = false;
      }
      const field = document.getElementById(id);
      if (field) {
        field.setAttribute("aria-invalid", "true");
        const described = (field.getAttribute("aria-describedby") || "").split(" ");
        field.setAttribute("aria-describedby", [...described, `${id}_error`].join(" ").trim());
        first = first || field;
      } else {
        first = first || error;
      }
    }
    if (first) {
      if (!first.matches(FOCUSABLE)) first.setAttribute("tabindex", "-1");
      first.focus();
    }
  };

  const setUp = (field) => {
    const input = field.querySelector("input[type=hidden]");
    const openButton = field.querySelector(".nr-media-open");
    const clearButton = field.querySelector(".nr-media-clear");
    const chosen = field.querySelector(".nr-media-chosen");
    const noneChosen = field.querySelector(".nr-media-none-chosen");
    const template = field.querySelector("template.nr-media-template");
    let dialog = null;
    let results, detail, upload, search, status;
    let query = "";
    let loaded = false;
    let asked = 0; // the latest page asked for: an older answer arriving late is dropped
    let typing = null;
    let firstPage = null; // the first page's request, once asked for

    const announce = (text) => {
      if (status) status.textContent = text || "";
    };

    const showChosen = (image) => {
      input.value = image ? image.id : "";
      chosen.hidden = !image;
      noneChosen.hidden = Boolean(image);
      clearButton.hidden = !image;
      openButton.textContent = image ? openButton.dataset.change : openButton.dataset.choose;
      if (image) {
        const img = chosen.querySelector("img");
        img.src = image.thumb;
        img.alt = image.alt;
        chosen.querySelector(".nr-media-chosen-alt").textContent = image.alt;
        chosen.querySelector(".nr-media-chosen-credit").textContent = image.credit;
      }
      // Whoever watches the form for changes (the save prompt, autosave) hears of it.
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    };

    const loadPage = async (page = 1, refocus = null) => {
      const url = new URL(field.dataset.browseUrl, window.location.href);
      if (query) url.searchParams.set("q", query);
      url.searchParams.set("page", page);
      const mine = ++asked;
      results.setAttribute("aria-busy", "true");
      const result = await request(url);
      if (mine !== asked) return;
      results.removeAttribute("aria-busy");
      if (!result.ok) {
        results.textContent = problemText(dialog, result);
        firstPage = null;
        return;
      }
      results.innerHTML = result.body;
      loaded = true;
      const current = input.value;
      for (const item of results.querySelectorAll(".nr-media-item")) {
        item.setAttribute("aria-pressed", String(item.dataset.imageId === current));
      }
      if (refocus) {
        const again = results.querySelector(`[data-direction="${refocus}"]:not([disabled])`);
        (again || results.querySelector(".nr-media-item") || search).focus();
      }
    };

    const showUpload = () => {
      detail.hidden = true;
      detail.textContent = "";
      if (upload) upload.hidden = false;
    };

    const showDetail = (html, message) => {
      detail.innerHTML = html;
      detail.hidden = false;
      if (upload) upload.hidden = true;
      const picked = detail.querySelector(".nr-media-picked");
      const frame = detail.querySelector(".newsroom-focal");
      const details = detail.querySelector("form.nr-media-details");
      let changed = false;
      if (frame && details) {
        const [x, y] = ["focal_x", "focal_y"].map((name) =>
          details.querySelector(`[name$="-${name}"]`),
        );
        window.newsroomFocalPoint(frame, x, y);
        const altText = details.querySelector("[name$=-alt_text]");
        details.addEventListener("input", () => {
          changed = true;
          // A picture without alt text is usable once it has some (saved as it is used).
          detail.querySelector(".nr-media-use").disabled = !altText.value.trim();
        });
        details.addEventListener("submit", async (event) => {
          event.preventDefault();
          await saveDetails(details);
        });
      }
      detail.querySelector(".nr-media-back").addEventListener("click", () => {
        showUpload();
        (upload?.querySelector("input[type=file]") || search).focus();
      });
      detail.querySelector(".nr-media-use").addEventListener("click", async () => {
        // Unsaved words or focal point are saved first: what is used is what is stored.
        if (changed && details && !(await saveDetails(details))) return;
        const now = detail.querySelector(".nr-media-picked");
        showChosen({
          id: now.dataset.imageId,
          thumb: now.dataset.thumbUrl,
          alt: now.dataset.alt,
          credit: now.dataset.credit,
        });
        dialog.close();
      });
      const statusLine = detail.querySelector(".nr-media-status");
      if (statusLine && message) statusLine.textContent = message;
      picked.querySelector("h3").focus();
    };

    const saveDetails = async (form) => {
      const statusLine = form.querySelector(".nr-media-status");
      statusLine.textContent = dialog.dataset.saving;
      const result = await request(form.action, { method: "POST", body: new FormData(form) });
      if (result.ok) {
        showDetail(result.body.html, result.body.message);
        return true;
      }
      statusLine.textContent = "";
      if (result.body && result.body.errors) showErrors(form, result.body.errors);
      else statusLine.textContent = problemText(dialog, result);
      return false;
    };

    const loadDetail = async (id) => {
      const url = field.dataset.detailUrl.replace(/\/0\/$/, `/${encodeURIComponent(id)}/`);
      const result = await request(url);
      if (result.ok) showDetail(result.body.html);
      else announce(problemText(dialog, result));
    };

    const setUpUpload = () => {
      const fileInput = upload.querySelector("input[type=file]");
      const drop = upload.querySelector(".nr-media-drop");
      const preview = upload.querySelector(".nr-media-drop-preview");
      const name = upload.querySelector(".nr-media-drop-name");
      const showFile = () => {
        const file = fileInput.files[0];
        if (preview.src) URL.revokeObjectURL(preview.src);
        preview.hidden = !file;
        if (file) preview.src = URL.createObjectURL(file);
        else preview.removeAttribute("src");
        name.textContent = file ? file.name : "";
        drop.classList.toggle("nr-media-has-file", Boolean(file));
      };
      fileInput.addEventListener("change", () => {
        showFile();
        // The picture chosen, its alt text is the one thing still required: go there.
        if (fileInput.files.length) upload.querySelector("[name$=-alt_text]").focus();
      });
      for (const type of ["dragenter", "dragover"]) {
        drop.addEventListener(type, (event) => {
          event.preventDefault();
          drop.classList.add("nr-media-dragging");
        });
      }
      drop.addEventListener("dragleave", () => drop.classList.remove("nr-media-dragging"));
      drop.addEventListener("drop", (event) => {
        event.preventDefault();
        drop.classList.remove("nr-media-dragging");
        if (!event.dataTransfer.files.length) return;
        const files = new DataTransfer();
        files.items.add(event.dataTransfer.files[0]);
        fileInput.files = files.files;
        showFile();
        upload.querySelector("[name$=-alt_text]").focus();
      });
      upload.addEventListener("submit", async (event) => {
        event.preventDefault();
        const button = upload.querySelector("button[type=submit]");
        button.disabled = true;
        status.textContent = dialog.dataset.uploading;
        const result = await request(upload.action, { method: "POST", body: new FormData(upload) });
        button.disabled = false;
        status.textContent = "";
        if (result.ok) {
          clearErrors(upload);
          upload.reset();
          showFile();
          query = "";
          search.querySelector("input[type=search]").value = "";
          await loadPage(1);
          showDetail(result.body.html, result.body.message);
        } else if (result.body && result.body.errors) {
          showErrors(upload, result.body.errors);
        } else {
          status.textContent = problemText(dialog, result);
        }
      });
    };

    // Tab and Shift+Tab go round the dialog's own controls.
    const trapFocus = (event) => {
      if (event.key !== "Tab") return;
      const focusable = [...dialog.querySelectorAll(FOCUSABLE)].filter(
        (element) => !element.closest("[hidden]") && element.getClientRects().length,
      );
      if (!focusable.length) return;
      const first = focusable[0];
      const last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    };

    const build = () => {
      dialog = template.content.firstElementChild.cloneNode(true);
      Object.assign(dialog.dataset, field.dataset);
      document.body.append(dialog);
      results = dialog.querySelector(".nr-media-results");
      detail = dialog.querySelector(".nr-media-detail");
      upload = dialog.querySelector("form.nr-media-upload");
      search = dialog.querySelector("form.nr-media-search");
      status = dialog.querySelector(".nr-media-upload .nr-media-status") || null;
      dialog.querySelector(".nr-media-close").addEventListener("click", () => dialog.close());
      dialog.addEventListener("keydown", trapFocus);
      dialog.addEventListener("close", () => openButton.focus());
      const searchBox = search.querySelector("input[type=search]");
      search.addEventListener("submit", (event) => {
        event.preventDefault();
        clearTimeout(typing);
        query = searchBox.value.trim();
        loadPage(1);
      });
      // Results follow the typing, once it pauses.
      searchBox.addEventListener("input", () => {
        clearTimeout(typing);
        typing = setTimeout(() => {
          if (searchBox.value.trim() === query) return;
          query = searchBox.value.trim();
          loadPage(1);
        }, 350);
      });
      const jump = dialog.querySelector(".nr-media-jump");
      if (jump && upload) {
        jump.addEventListener("click", () => {
          showUpload();
          upload.scrollIntoView({ block: "start" });
          upload.querySelector("input[type=file]").focus();
        });
      } else if (jump) {
        jump.hidden = true;
      }
      results.addEventListener("click", (event) => {
        const item = event.target.closest(".nr-media-item");
        if (item) {
          for (const other of results.querySelectorAll(".nr-media-item")) {
            other.setAttribute("aria-pressed", String(other === item));
          }
          loadDetail(item.dataset.imageId);
          return;
        }
        const pager = event.target.closest("[data-page]");
        if (pager && pager.dataset.page) loadPage(pager.dataset.page, pager.dataset.direction);
      });
      if (upload) setUpUpload();
    };

    // The first page is asked for as soon as the pointer or the focus reaches the button, so
    // the dialog usually opens on pictures already there.
    const prefetch = () => {
      if (!dialog) build();
      if (!loaded && !firstPage) firstPage = loadPage(1);
    };
    openButton.addEventListener("pointerenter", prefetch);
    openButton.addEventListener("focus", prefetch);
    openButton.addEventListener("click", () => {
      prefetch();
      dialog.showModal();
      search.querySelector("input[type=search]").focus();
      if (input.value) loadDetail(input.value);
      else showUpload();
    });
    clearButton.addEventListener("click", () => {
      showChosen(null);
      openButton.focus();
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    for (const field of document.querySelectorAll("[data-media-library]")) setUp(field);
  });
})();
