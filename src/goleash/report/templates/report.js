// goleash report: group search and the icicle flame graph. Hand-written, no library.
// Text from the dump is only ever put into the page through textContent, never as markup.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";

  // --- compact rows: the groups past the first ones, built from JSON -----------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }
  var slice = null;
  var searchText = null;
  var moreTag = document.getElementById("groups-data");
  var moreHolder = document.getElementById("more-groups");
  if (moreTag && moreHolder) {
    var more = JSON.parse(moreTag.textContent);
    var fr = function (f) { return more.fn[f[0]] + " " + more.file[f[1]] + ":" + f[2]; };
    // What the search box matches for a compact row: made on the first search, not at load.
    searchText = function (i) {
      var r = more.rows[i], words = r[6].map(fr), labels = r[8];
      if (r[7]) words.push(fr(r[7]));
      Object.keys(labels).forEach(function (k) { words.push(k + "=" + labels[k]); });
      words.push(r[1], r[2]);
      return words.join("\n").toLowerCase();
    };
    var row = function (i) {
      var r = more.rows[i], frames = r[6];
      // A plain div, not <details>: thousands of them are built and laid out many times faster.
      var d = el("div", "group compact " + r[4]);
      d.id = "g" + (more.first + i);
      d.__row = i;
      var s = el("div", "summary");
      s.setAttribute("role", "button");
      s.tabIndex = 0;
      s.appendChild(el("span", "count", plural(r[0], "goroutine")));
      s.appendChild(el("span", "pill", (r[1] || "unknown state") + " \u00b7 " + r[2]));
      var verdict = r[4] === "suspect" ? "SUSPECT" : r[4] === "ignored" ? "ignored: " + r[5] : "not suspect";
      s.appendChild(el("span", "pill " + r[4], verdict + " \u00b7 " + r[3].toFixed(2)));
      var site = frames.find(function (f) { return !/^(runtime\.|internal\/|sync\.|time\.Sleep)/.test(more.fn[f[0]]); }) || frames[0];
      if (site) {
        var file = more.file[site[1]].split(/[\\/]/).pop();
        s.appendChild(el("span", "site mono", more.fn[site[0]] + " (" + file + ":" + site[2] + ")"));
      }
      d.appendChild(s);
      return d;
    };
    var open = function (d) {
      d.classList.toggle("open");
      if (d.__filled) return;
      d.__filled = true;
      var r = more.rows[d.__row], creator = r[7], labels = r[8];
      var body = el("div", "body");
      var facts = el("dl", "facts");
      var fact = function (k, v) { facts.appendChild(el("dt", "", k)); facts.appendChild(el("dd", "mono", v)); };
      if (creator) fact("created at", fr(creator));
      if (r[9]) fact("waiting", r[9][0] === r[9][1] ? plural(r[9][0], "minute") : r[9][0] + "\u2013" + r[9][1] + " minutes");
      if (r[10]) fact("leaked", r[10] + " of " + r[0] + " (goroutineleak)");
      var ls = Object.keys(labels).map(function (k) { return k + "=" + labels[k]; });
      if (ls.length) fact("labels", ls.join(", "));
      body.appendChild(facts);
      var ol = el("ol", "stack");
      r[6].forEach(function (f) { ol.appendChild(el("li", "mono", fr(f))); });
      body.appendChild(ol);
      d.appendChild(body);
    };
    moreHolder.addEventListener("click", function (ev) {
      var s = ev.target.closest ? ev.target.closest(".compact > .summary") : null;
      if (s) open(s.parentElement);
    });
    moreHolder.addEventListener("keydown", function (ev) {
      if ((ev.key === "Enter" || ev.key === " ") && ev.target.classList.contains("summary")) {
        ev.preventDefault();
        open(ev.target.parentElement);
      }
    });
    // The first rows at once; the rest in one go right after the first paint, appended at
    // once so the list is laid out once, not once per slice.
    var next = 0;
    slice = function (size) {
      var frag = document.createDocumentFragment();
      var end = Math.min(next + size, more.rows.length);
      for (; next < end; next++) frag.appendChild(row(next));
      moreHolder.appendChild(frag);
      if (next < more.rows.length) {
        requestAnimationFrame(function () { setTimeout(function () { slice(more.rows.length); }, 0); });
      } else {
        moreHolder.setAttribute("data-complete", "");
      }
      if (search && search.value) applySearch();
    };
  }

  // --- search ----------------------------------------------------------------------------
  var search = document.getElementById("search");
  var counter = document.getElementById("shown-count");
  var flameQuery = "";
  function applySearch() {
    var q = search ? search.value.trim().toLowerCase() : "";
    var items = document.querySelectorAll(".group");
    var shown = 0;
    for (var i = 0; i < items.length; i++) {
      if (items[i].__search === undefined && items[i].__row !== undefined && q) {
        items[i].__search = searchText(items[i].__row);
      }
      var text = items[i].__search || items[i].getAttribute("data-search") || "";
      var hit = !q || text.indexOf(q) >= 0;
      items[i].classList.toggle("hidden", !hit);
      // A group's wrapper (a diff's sides, a test's name) goes with it.
      var wrap = items[i].parentElement;
      if (wrap && (wrap.classList.contains("leak") || wrap.classList.contains("change"))) {
        wrap.classList.toggle("hidden", !hit);
      }
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
  if (slice) slice(200);

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
