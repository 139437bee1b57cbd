// 裁量计算: as facts are entered, fetch the result panel rendered by the server (no markup is built here).
(function () {
  var form = document.getElementById("calc-form");
  var panel = document.getElementById("result");
  if (!form || !panel) return;
  var url = form.getAttribute("data-result");
  var sent = 0, shown = 0, timer = null;
  function update() {
    var seq = ++sent;
    panel.setAttribute("aria-busy", "true");
    panel.setAttribute("data-sent", String(seq));
    fetch(url, {method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (seq < shown) return;             // an older answer arriving late
        shown = seq;
        panel.innerHTML = html;              // server-rendered, every value escaped there
        panel.setAttribute("data-seq", String(seq));
        if (seq === sent) panel.removeAttribute("aria-busy");
      })
      .catch(function () {
        panel.setAttribute("data-error", "yes");
        panel.removeAttribute("aria-busy");
      });
  }
  function soon() { clearTimeout(timer); timer = setTimeout(update, 250); }
  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  form.addEventListener("submit", function (e) {
    if (e.submitter && e.submitter.id === "opinion") return;   // the printable page opens as a page
    e.preventDefault();
    clearTimeout(timer);
    update();
  });
})();
