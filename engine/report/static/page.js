/* The report's own behaviour: draw the charts from their embedded specifications, and make the tables
   searchable and sortable.  Everything from input reaches the page as escaped text or JSON data; this
   script only reads text and reorders rows, it never builds markup from data. */
(function () {
  "use strict";

  function drawCharts() {
    var nodes = document.querySelectorAll("[data-spec]");
    Array.prototype.forEach.call(nodes, function (el) {
      var spec = JSON.parse(document.getElementById(el.getAttribute("data-spec")).textContent);
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg" }).then(function () {
        el.setAttribute("data-rendered", "yes");
      }).catch(function (err) {
        el.textContent = "图表无法显示 (the chart could not be drawn): " + err;
        el.setAttribute("data-rendered", "failed");
      });
    });
  }

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    var v = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
    if (numeric) {
      var n = parseFloat(v);
      return isNaN(n) ? -Infinity : n;
    }
    return v;
  }

  function setupTable(table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var counter = document.querySelector('[data-count="' + table.id + '"]');
    var input = document.querySelector('input[data-filter="' + table.id + '"]');
    var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });

    function count() {
      if (!counter) { return; }
      var shown = rows.filter(function (r) { return !r.hidden; }).length;
      counter.textContent = "显示 " + shown + " / " + rows.length + " 行 (rows shown)";
    }
    if (input) {
      input.addEventListener("input", function () {
        var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
        rows.forEach(function (r, i) {
          r.hidden = !words.every(function (w) { return texts[i].indexOf(w) >= 0; });
        });
        count();
      });
    }
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      if (!th.hasAttribute("data-sortable")) { return; }
      th.setAttribute("tabindex", "0");
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var numeric = th.getAttribute("data-type") === "num";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var keyed = rows.map(function (r, i) { return [cellValue(r, index, numeric), i, r]; });
        keyed.sort(function (a, b) {
          var c = numeric ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]), "zh-CN");
          if (c === 0) { c = a[1] - b[1]; }
          return ascending ? c : -c;
        });
        keyed.forEach(function (k) { body.appendChild(k[2]); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
    });
    count();
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-table]"), setupTable);
  drawCharts();
}());
