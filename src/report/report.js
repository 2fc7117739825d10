// Hover box: shows the data-tip of the shape under the pointer. The page reads fully without it.
(function () {
  var tip = document.getElementById("tip");
  if (!tip) { return; }
  document.addEventListener("mousemove", function (e) {
    var el = e.target && e.target.closest ? e.target.closest("[data-tip]") : null;
    if (!el) { tip.hidden = true; return; }
    tip.textContent = el.getAttribute("data-tip");
    tip.style.left = (e.clientX + 12) + "px";
    tip.style.top = (e.clientY + 12) + "px";
    tip.hidden = false;
  });
})();
