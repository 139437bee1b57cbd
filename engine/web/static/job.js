// 批量审查: follow the job's state; when it ends, reload so the server renders the summary and links.
(function () {
  var box = document.getElementById("job");
  if (!box) return;
  var state = box.getAttribute("data-state");
  if (state === "done" || state === "failed") return;
  var url = box.getAttribute("data-status-url");
  function poll() {
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.error) { document.getElementById("message").textContent = j.error.message; return; }
        document.getElementById("progress").value = j.progress;
        document.getElementById("stage").textContent = j.stage_zh;
        document.getElementById("message").textContent = j.message;
        if (j.state === "done" || j.state === "failed") { window.location.reload(); return; }
        setTimeout(poll, 400);
      })
      .catch(function () { setTimeout(poll, 1500); });
  }
  setTimeout(poll, 200);
})();
