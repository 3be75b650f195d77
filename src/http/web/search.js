// mcp-gitops: search as you type, and copy buttons. The page works without this script: the
// list is paged and searched by the server (`/?q=…&page=…`). With it, the search box filters
// the whole registry in the browser over `/search.json` (fetched once per revision) and shows
// matches 50 at a time. Elements are built with the DOM API, never from HTML strings.
(function () {
  'use strict';

  var BATCH = 50;

  function hue(name) {
    // FNV-1a, as render.rs computes it (names are ASCII).
    var h = 0x811c9dc5;
    for (var i = 0; i < name.length; i++) {
      h ^= name.charCodeAt(i) & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h % 8;
  }

  function monogram(title) {
    var short = title.split('/').pop();
    var m = short.match(/[\p{L}\p{N}]/u);
    return m ? m[0].toUpperCase() : '?';
  }

  function publisher(name) {
    var ns = name.split('/')[0];
    if (ns.indexOf('io.github.') === 0) return 'github.com/' + ns.slice('io.github.'.length);
    return ns.split('.').reverse().join('.');
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function href(name) {
    var base = (document.getElementById('q') || {dataset: {}}).dataset.base || '';
    return base + '/servers/' + name.split('/').map(encodeURIComponent).join('/');
  }

  // [name, title, description, version, status, transports] → the same <li> render.rs writes.
  function card(row) {
    var name = row[0], title = row[1] || row[0];
    var li = el('li', 'card');
    var mono = el('span', 'mono hue-' + hue(name), monogram(title));
    mono.setAttribute('aria-hidden', 'true');
    li.appendChild(mono);
    var body = el('div', 'card-body');
    var h2 = el('h2', 'card-title');
    var a = el('a', null, title);
    a.href = href(name);
    h2.appendChild(a);
    body.appendChild(h2);
    var p = el('p', 'card-name');
    p.appendChild(el('code', null, name));
    p.appendChild(document.createTextNode(' '));
    p.appendChild(el('span', 'publisher', 'by ' + publisher(name)));
    body.appendChild(p);
    body.appendChild(el('p', 'card-desc', row[2]));
    var meta = el('p', 'card-meta');
    var v = el('span', 'version', row[3]);
    v.title = 'Latest version';
    meta.appendChild(v);
    if (row[4]) {
      meta.appendChild(document.createTextNode(' '));
      meta.appendChild(el('span', 'badge badge-' + row[4], row[4]));
    }
    (row[5] || []).forEach(function (t) {
      meta.appendChild(document.createTextNode(' '));
      meta.appendChild(el('span', 'chip', t));
    });
    body.appendChild(meta);
    li.appendChild(body);
    return li;
  }

  function setupSearch() {
    var input = document.getElementById('q');
    var list = document.getElementById('servers');
    var count = document.getElementById('count');
    if (!input || !list || !count) return;
    var form = input.form;
    var pager = document.querySelector('.pager');
    var empty = document.getElementById('empty');
    var original = Array.prototype.slice.call(list.children);
    var originalCount = count.textContent;
    var originalQuery = input.value;
    var originalSearch = location.search;
    var rows = null, hay = null, loading = null, matches = [], shown = 0;
    var more = el('button', 'secondary', 'Show more');
    more.type = 'button';
    more.id = 'more';
    more.hidden = true;
    list.parentNode.insertBefore(more, list.nextSibling);

    function load() {
      if (!loading) {
        loading = fetch(input.getAttribute('data-index'), { headers: { Accept: 'application/json' } })
          .then(function (r) {
            if (!r.ok) throw new Error('search index: HTTP ' + r.status);
            return r.json();
          })
          .then(function (j) {
            rows = j.servers;
            hay = rows.map(function (r) { return (r[0] + '\n' + r[1] + '\n' + r[2]).toLowerCase(); });
            performance.mark('search-ready');
            document.documentElement.setAttribute('data-search', 'ready');
          })
          .catch(function (e) {
            loading = null;
            document.documentElement.setAttribute('data-search', 'failed');
            if (window.console) console.warn(e);
          });
      }
      return loading;
    }

    function showMore() {
      var end = Math.min(matches.length, shown + BATCH);
      var frag = document.createDocumentFragment();
      for (var i = shown; i < end; i++) frag.appendChild(card(rows[matches[i]]));
      list.appendChild(frag);
      shown = end;
      more.hidden = shown >= matches.length;
      more.textContent = 'Show more (' + (matches.length - shown) + ' left)';
    }

    function run() {
      var q = input.value.trim();
      var url = q ? '?q=' + encodeURIComponent(q) : location.pathname + (originalQuery ? '' : originalSearch);
      if (q === originalQuery.trim() && !rows) return;
      history.replaceState(null, '', url);
      if (!q && !originalQuery) {
        list.replaceChildren.apply(list, original);
        count.textContent = originalCount;
        if (pager) pager.hidden = false;
        if (empty) empty.hidden = original.length > 0;
        more.hidden = true;
        return;
      }
      if (!rows) {
        load().then(function () { if (rows) run(); });
        return;
      }
      performance.mark('search-start');
      var words = q.toLowerCase().split(/\s+/).filter(Boolean);
      matches = [];
      for (var i = 0; i < hay.length; i++) {
        var h = hay[i], ok = true;
        for (var w = 0; w < words.length; w++) {
          if (h.indexOf(words[w]) < 0) { ok = false; break; }
        }
        if (ok) matches.push(i);
      }
      list.replaceChildren();
      shown = 0;
      showMore();
      if (pager) pager.hidden = true;
      if (empty) empty.hidden = matches.length > 0;
      count.textContent = words.length
        ? matches.length + ' of ' + rows.length + ' servers match “' + q + '”'
        : rows.length + ' servers';
      performance.measure('search-filter', 'search-start');
    }

    // Fetch the index when the page is idle (or as soon as someone reaches for the box).
    input.addEventListener('focus', load);
    input.addEventListener('input', run);
    more.addEventListener('click', showMore);
    if (form) {
      form.addEventListener('submit', function (e) {
        e.preventDefault();
        run();
      });
    }
    var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 1); };
    idle(load);
  }

  function setupCopy() {
    var pres = document.querySelectorAll('pre.snippet');
    Array.prototype.forEach.call(pres, function (pre) {
      var button = el('button', 'copy secondary', 'Copy');
      button.type = 'button';
      button.setAttribute('aria-label', 'Copy the mcp.json snippet');
      button.addEventListener('click', function () {
        var text = pre.textContent;
        var done = function () {
          button.textContent = 'Copied';
          setTimeout(function () { button.textContent = 'Copy'; }, 1500);
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { select(pre); });
        } else {
          select(pre);
        }
      });
      pre.parentNode.insertBefore(button, pre.nextSibling);
    });
  }

  // Without clipboard access (plain http), select the text so Ctrl+C copies it.
  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function start() {
    setupSearch();
    setupCopy();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
