// fluens report: linked highlighting, tooltips, zoom toggle and, when the
// page is served by `fluens serve`, reloading when a newer build exists.
(function () {
  'use strict';
  var models = {};
  var src = document.getElementById('fl-models');
  (src ? JSON.parse(src.textContent || '[]') || [] : []).forEach(function (m) { models[m.id] = m; });

  // Index every model element once, so highlighting touches only the few
  // elements of one model.
  var index = new Map();
  var els = document.querySelectorAll('[data-model]');
  for (var i = 0; i < els.length; i++) {
    var id = els[i].getAttribute('data-model');
    var list = index.get(id);
    if (!list) { list = []; index.set(id, list); }
    list.push(els[i]);
  }

  var tip = document.getElementById('fl-tip');
  var hover = null, pinned = null;

  // One overlay per chart, stacked on it: highlighting draws copies of a
  // model's marks there, so the chart itself (thousands of marks) is never
  // repainted while the mouse moves.
  var SVGNS = 'http://www.w3.org/2000/svg';
  var overlays = new Map();
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    if (!svg.querySelector('[data-model]')) return;
    var wrap = document.createElement('div');
    wrap.className = 'fl-wrap';
    svg.parentNode.insertBefore(wrap, svg);
    wrap.appendChild(svg);
    var ov = document.createElementNS(SVGNS, 'svg');
    ['viewBox', 'width', 'height'].forEach(function (a) { if (svg.hasAttribute(a)) ov.setAttribute(a, svg.getAttribute(a)); });
    ov.setAttribute('class', svg.getAttribute('class') + ' fl-ov');
    ov.setAttribute('aria-hidden', 'true');
    var vb = svg.viewBox.baseVal;
    var veil = document.createElementNS(SVGNS, 'rect');
    veil.setAttribute('class', 'fl-veil');
    veil.setAttribute('width', vb.width);
    veil.setAttribute('height', vb.height);
    ov.appendChild(veil);
    var pins = document.createElementNS(SVGNS, 'g'), hovers = document.createElementNS(SVGNS, 'g');
    ov.appendChild(pins);
    ov.appendChild(hovers);
    wrap.appendChild(ov);
    overlays.set(svg, { svg: ov, layers: { pin: pins, hl: hovers } });
  });

  // mark sets or clears the class cls (hl or pin) on the model's elements
  // and, for marks in charts, draws or removes their copies.
  function mark(id, cls, on) {
    var list = index.get(id);
    if (!list) return;
    for (var i = 0; i < list.length; i++) {
      var el = list[i];
      el.classList.toggle(cls, on);
      var o = el.ownerSVGElement && overlays.get(el.ownerSVGElement);
      if (!o) continue;
      var layer = o.layers[cls];
      if (!on) { layer.textContent = ''; continue; }
      var c = el.cloneNode(true);
      c.removeAttribute('data-model');
      c.classList.remove('hide', 'hl', 'pin');
      var clip = el.parentNode.closest('[clip-path]');
      if (clip) c.setAttribute('clip-path', clip.getAttribute('clip-path'));
      layer.appendChild(c);
    }
  }
  function refreshVeils() {
    var on = hover !== null || pinned !== null;
    overlays.forEach(function (o) { o.svg.classList.toggle('on', on); });
  }

  function modelText(m) {
    var lines = [m.s, m.f.toUpperCase() + ', depth ' + m.d + ', ' + m.p.toLocaleString('en') + ' parameters' + (m.fl ? ', ' + m.fl.toLocaleString('en') + ' FLOPs' : '')];
    lines.push('accuracy per mix: ' + m.a.map(function (a) { return a === null ? '–' : a; }).join(' '));
    lines.push('decay (slope) ' + m.sl + (m.ci ? ' 95% CI ' + m.ci : '') + ', r² ' + m.r2 + ', max accuracy ' + m.m + (m.n > 1 ? ', ' + m.n + ' seeds' : ''));
    return lines.join('\n');
  }
  function showTip(text, ev) {
    tip.textContent = text;
    tip.hidden = false;
    moveTip(ev);
  }
  // The tooltip is placed in the next animation frame, so that reading its
  // size never forces a layout inside the event handler.
  var tipAt = null, tipFrame = 0;
  function placeTip() {
    tipFrame = 0;
    if (tip.hidden || !tipAt) return;
    var x = tipAt.x + 14, y = tipAt.y + 14;
    var w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth) x = Math.max(0, tipAt.x - w - 14);
    if (y + h > window.innerHeight) y = Math.max(0, tipAt.y - h - 14);
    tip.style.transform = 'translate(' + x + 'px,' + y + 'px)';
  }
  function moveTip(ev) {
    if (tip.hidden || !ev) return;
    tipAt = { x: ev.clientX, y: ev.clientY };
    if (!tipFrame) tipFrame = requestAnimationFrame(placeTip);
  }

  function setHover(id, ev) {
    if (id === hover) { moveTip(ev); return; }
    if (hover !== null) mark(hover, 'hl', false);
    hover = id;
    if (id !== null) {
      mark(id, 'hl', true);
      var m = models[id];
      showTip(m ? modelText(m) : id, ev);
    }
    refreshVeils();
  }

  document.addEventListener('mouseover', function (ev) {
    var t = ev.target;
    var el = t && t.closest ? t.closest('[data-model],[data-tip]') : null;
    if (el && el.hasAttribute('data-model')) { setHover(el.getAttribute('data-model'), ev); return; }
    setHover(null, ev);
    if (el) showTip(el.getAttribute('data-tip'), ev); else tip.hidden = true;
  });
  document.addEventListener('mousemove', moveTip);
  document.addEventListener('click', function (ev) {
    var t = ev.target;
    var el = t && t.closest ? t.closest('[data-model]') : null;
    // Clicks outside the charts and model lists (links, the zoom toggle)
    // leave the pin alone.
    if (!el && !(t && t.closest && t.closest('svg.chart'))) return;
    var id = el ? el.getAttribute('data-model') : null;
    if (pinned !== null) mark(pinned, 'pin', false);
    pinned = (id === null || id === pinned) ? null : id;
    if (pinned !== null) mark(pinned, 'pin', true);
    refreshVeils();
  });

  var zoom = document.getElementById('zoom-toggle');
  if (zoom) {
    var full = document.getElementById('maxacc-full'), zoomed = document.getElementById('maxacc-zoom');
    var apply = function () { full.hidden = zoom.checked; zoomed.hidden = !zoom.checked; };
    zoom.addEventListener('change', apply);
    apply();
  }

  // Served by `fluens serve`: poll /version and reload when a newer build
  // is there. Opened from disk, the page never touches the network.
  var build = document.querySelector('meta[name="fluens-build"]');
  if (build && (location.protocol === 'http:' || location.protocol === 'https:')) {
    var mine = build.getAttribute('content');
    var poll = function () {
      fetch('version', { cache: 'no-store' }).then(function (r) { return r.ok ? r.text() : null; }).then(function (v) {
        if (v && v.trim() !== mine) location.reload();
      }).catch(function () {}).then(function () { setTimeout(poll, 2000); });
    };
    setTimeout(poll, 2000);
  }

  window.fluens = { index: index, highlight: setHover, pinned: function () { return pinned; } };
})();
