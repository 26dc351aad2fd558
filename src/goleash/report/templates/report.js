// goleash report: group search and the icicle flame graph. Hand-written, no library.
// Text from the dump is only ever put into the page through textContent, never as markup.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";

  // --- search ----------------------------------------------------------------------------
  var search = document.getElementById("search");
  var counter = document.getElementById("shown-count");
  var flameQuery = "";
  function applySearch() {
    var q = search ? search.value.trim().toLowerCase() : "";
    var items = document.querySelectorAll("[data-search]");
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      var hit = !q || items[i].getAttribute("data-search").indexOf(q) >= 0;
      items[i].classList.toggle("hidden", !hit);
      if (hit) shown++;
    }
    if (counter) {
      var total = items.length;
      counter.textContent = q ? shown + " of " + total + " groups match" : total + (total === 1 ? " group" : " groups");
    }
    flameQuery = q;
    if (flame) flame.mark();
  }
  if (search) search.addEventListener("input", applySearch);

  // --- flame graph (icicle: outermost frame on top) ---------------------------------------
  var flame = null;
  var holder = document.getElementById("flame");
  var dataTag = document.getElementById("flame-data");
  if (holder && dataTag) {
    var data = JSON.parse(dataTag.textContent);
    flame = makeFlame(holder, data);
  }

  function makeFlame(el, data) {
    var names = data.names;
    var ROW = 18;
    var parents = new Map();
    (function index(node) {
      var kids = node[3];
      for (var i = 0; i < kids.length; i++) {
        parents.set(kids[i], node);
        index(kids[i]);
      }
    })(data.root);
    var focus = data.root;
    var path = document.getElementById("flame-path");
    var reset = document.getElementById("flame-reset");
    if (reset) reset.addEventListener("click", function () { zoom(data.root); });

    function label(node) {
      return node[0] < 0 ? "all goroutines" : names[node[0]];
    }
    function colour(node) {
      if (node[0] < 0) return "#c9ced6";
      var share = node[1] ? node[2] / node[1] : 0;
      if (share > 0) {
        var l = Math.round(78 - 26 * share);
        return "hsl(12, 76%, " + l + "%)";
      }
      var name = label(node);
      if (name.indexOf("runtime.") === 0 || name.indexOf("internal/") === 0) return "#d5dbe3";
      var first = name.split("/")[0];
      if (name.indexOf("main.") === 0 || first.indexOf(".") > 0) return "#8fb3de";
      return "#b9cbe2";
    }

    function draw() {
      var width = el.clientWidth || 1000;
      var rows = [];
      // Ancestors of the focus, full width, then the focus subtree.
      var chain = [];
      for (var n = focus; n; n = parents.get(n)) chain.unshift(n);
      var svg = document.createElementNS(SVGNS, "svg");
      var maxDepth = 0;
      var cells = [];
      for (var d = 0; d < chain.length - 1; d++) cells.push([chain[d], d, 0, width]);
      (function layout(node, depth, x, w) {
        cells.push([node, depth, x, w]);
        if (depth > maxDepth) maxDepth = depth;
        var kids = node[3], cx = x;
        for (var i = 0; i < kids.length; i++) {
          var kw = w * kids[i][1] / node[1];
          if (kw >= 0.8) layout(kids[i], depth + 1, cx, kw);
          cx += kw;
        }
      })(focus, chain.length - 1, 0, width);
      var height = (maxDepth + 1) * ROW;
      svg.setAttribute("viewBox", "0 0 " + width + " " + height);
      svg.setAttribute("height", String(height));
      var frag = document.createDocumentFragment();
      for (var c = 0; c < cells.length; c++) {
        var node = cells[c][0], y = cells[c][1] * ROW, x = cells[c][2], w = cells[c][3];
        var g = document.createElementNS(SVGNS, "g");
        g.setAttribute("class", "cell");
        g.__node = node;
        var r = document.createElementNS(SVGNS, "rect");
        r.setAttribute("x", x.toFixed(1));
        r.setAttribute("y", String(y));
        r.setAttribute("width", Math.max(w, 0.5).toFixed(1));
        r.setAttribute("height", String(ROW - 1));
        r.setAttribute("fill", colour(node));
        var t = document.createElementNS(SVGNS, "title");
        var pct = data.root[1] ? (100 * node[1] / data.root[1]).toFixed(1) : "0";
        t.textContent = label(node) + "\n" + node[1] + " goroutines (" + pct + "%)" +
          (node[2] ? ", " + node[2] + " suspect" : "");
        r.appendChild(t);
        g.appendChild(r);
        if (w > 40) {
          var tx = document.createElementNS(SVGNS, "text");
          tx.setAttribute("x", (x + 3).toFixed(1));
          tx.setAttribute("y", String(y + 13));
          var s = label(node), fit = Math.floor((w - 6) / 6.6);
          tx.textContent = s.length > fit ? s.slice(0, Math.max(fit - 1, 1)) + "\u2026" : s;
          g.appendChild(tx);
        }
        frag.appendChild(g);
      }
      svg.appendChild(frag);
      svg.addEventListener("click", function (ev) {
        var cell = ev.target.closest ? ev.target.closest("g.cell") : null;
        if (cell && cell.__node) zoom(cell.__node);
      });
      el.textContent = "";
      el.appendChild(svg);
      if (path) {
        path.textContent = chain.length > 1 ? "zoomed: " + chain.slice(1).map(label).join(" \u2192 ") : "click a frame to zoom";
      }
      mark();
    }

    function mark() {
      var cells = el.querySelectorAll("g.cell");
      for (var i = 0; i < cells.length; i++) {
        var n = cells[i].__node;
        var hit = flameQuery && n[0] >= 0 && names[n[0]].toLowerCase().indexOf(flameQuery) >= 0;
        cells[i].classList.toggle("match", !!hit);
      }
    }

    function zoom(node) {
      focus = node;
      el.setAttribute("data-focus", label(node));
      draw();
    }

    var pending = 0;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(draw, 150);
    });
    draw();
    return { zoom: zoom, mark: mark, draw: draw };
  }
  window.goleashFlame = flame;
})();
