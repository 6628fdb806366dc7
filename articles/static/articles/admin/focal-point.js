"use strict";
// Click the preview to choose the focal point: the part that stays in view in every crop.
// `newsroomFocalPoint(frame, x, y)` ties a preview to its two inputs; the image page has one,
// the media library draws one for each picture it shows.
window.newsroomFocalPoint = (frame, x, y) => {
  const marker = frame.querySelector(".newsroom-focal-marker");
  const place = () => {
    marker.style.left = `${Number(x.value) * 100}%`;
    marker.style.top = `${Number(y.value) * 100}%`;
  };
  frame.addEventListener("click", (event) => {
    const box = frame.getBoundingClientRect();
    x.value = ((event.clientX - box.left) / box.width).toFixed(2);
    y.value = ((event.clientY - box.top) / box.height).toFixed(2);
    place();
    x.dispatchEvent(new Event("input", { bubbles: true }));
  });
  x.addEventListener("input", place);
  y.addEventListener("input", place);
  place();
};

document.addEventListener("DOMContentLoaded", () => {
  const frame = document.querySelector(".newsroom-focal");
  const x = document.getElementById("id_focal_x");
  const y = document.getElementById("id_focal_y");
  if (frame && x && y) window.newsroomFocalPoint(frame, x, y);
});
