// The status page: HTML, CSS and script as plain strings in berth's bundle (no build step, no
// CDN, no external font). The script never turns data into HTML: every element is made with
// createElement and textContent, and the server's Content-Security-Policy allows no inline script.
// How it works: src/ui/README.md; what it shows: docs/ui.md.

export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>berth</title>
<link rel="stylesheet" href="app.css">
<script src="app.js" defer></script>
</head>
<body>
<header id="head">
  <div class="brand"><span class="logo">berth</span> <span id="cluster" class="cluster">…</span></div>
  <div id="leader" class="meta"></div>
  <div id="counts" class="counts"></div>
  <div id="conn" class="conn">connecting</div>
</header>
<div id="banner" class="banner" hidden></div>
<section id="login" class="login" hidden>
  <form id="login-form">
    <h2>Log in to the status page</h2>
    <p>Open the address that <code>berth ui</code> prints (it carries the token), or give the token or the password of <code>--ui-password-file</code>.</p>
    <input id="secret" type="password" autocomplete="current-password" placeholder="token or password" aria-label="token or password">
    <button type="submit">Log in</button>
    <p id="login-error" class="error"></p>
  </form>
</section>
<nav id="tabs" class="tabs" hidden>
  <button data-view="overview" class="tab active">Bundles &amp; replicas</button>
  <button data-view="nodes" class="tab">Nodes</button>
  <button data-view="activity" class="tab">Activity <span id="activity-count" class="pill"></span></button>
  <span class="spacer"></span>
  <span id="mode" class="mode"></span>
</nav>
<main id="main" hidden>
  <section id="view-overview" class="view">
    <div class="panel"><h3>Bundles <span id="bundle-count" class="muted"></span></h3><div id="bundles" class="vlist bundles"></div></div>
    <div class="panel grow">
      <div class="filters">
        <h3>Replicas</h3>
        <label>node <select id="f-node"><option value="">all</option></select></label>
        <label>state <select id="f-state"><option value="">all</option><option value="running">running</option><option value="not-running">not running</option><option value="failed">failed</option><option value="unknown">unknown</option></select></label>
        <input id="f-q" type="search" placeholder="search replicas, addresses, reasons" aria-label="search">
        <span id="f-bundle" class="chip" hidden></span>
        <span id="f-count" class="muted"></span>
      </div>
      <div id="replicas" class="vlist"></div>
    </div>
  </section>
  <section id="view-nodes" class="view" hidden>
    <div id="nodes" class="nodes"></div>
    <div class="panel grow"><h3 id="node-title">Select a node</h3><div id="node-replicas" class="vlist"></div></div>
  </section>
  <section id="view-activity" class="view" hidden>
    <div class="cols">
      <div class="panel"><h3>Failed actions and failures</h3><ul id="failures" class="list"></ul></div>
      <div class="panel"><h3>Recent events</h3><ul id="events" class="list timeline"></ul></div>
    </div>
    <div class="panel"><h3>Plan of the last pass <span id="plan-state" class="muted"></span></h3><div id="plan" class="table plan"></div></div>
  </section>
</main>
<aside id="detail" class="detail" hidden></aside>
<dialog id="confirm">
  <h3 id="confirm-title">Confirm</h3>
  <p>The same as this command:</p>
  <pre id="confirm-command"></pre>
  <div class="buttons"><button id="confirm-cancel" type="button">Cancel</button> <button id="confirm-ok" type="button" class="primary">Run</button></div>
</dialog>
<div id="toast" class="toast" hidden></div>
</body>
</html>
`;

export const PAGE_CSS = String.raw`:root {
  --bg: #f6f7f9; --panel: #ffffff; --fg: #1c2330; --muted: #5d6778; --line: #dde1e8; --head: #eef1f5;
  --ok: #1a7f37; --ok-bg: #dafbe1; --warn: #9a6700; --warn-bg: #fff4c5; --bad: #c1121f; --bad-bg: #ffe3e3;
  --info: #0a58ca; --info-bg: #dbe9ff; --accent: #3b5bdb; --row-hover: #f0f3fa;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; font-size: 13px;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1318; --panel: #171c23; --fg: #dfe4ea; --muted: #8e99a8; --line: #2a313b; --head: #1d232c;
    --ok: #4ac26b; --ok-bg: #12301c; --warn: #e3b341; --warn-bg: #33290c; --bad: #ff6b6b; --bad-bg: #3a1418;
    --info: #79a8ff; --info-bg: #14243f; --accent: #7c9cff; --row-hover: #1e2530;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; background: var(--bg); color: var(--fg); height: 100%; }
body { display: flex; flex-direction: column; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
button { font: inherit; color: inherit; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 2px 8px; cursor: pointer; }
button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
select, input { font: inherit; color: inherit; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 3px 6px; }
header { display: flex; align-items: center; gap: 18px; padding: 8px 14px; background: var(--panel); border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.brand { font-size: 15px; font-weight: 600; }
.logo { color: var(--accent); }
.meta { color: var(--muted); }
.counts { display: flex; gap: 6px; flex-wrap: wrap; flex: 1; }
.conn { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: var(--head); color: var(--muted); }
.conn.live { background: var(--ok-bg); color: var(--ok); }
.conn.stale { background: var(--bad-bg); color: var(--bad); }
.conn.paused { background: var(--warn-bg); color: var(--warn); }
.chip { display: inline-flex; gap: 4px; align-items: center; padding: 1px 8px; border-radius: 10px; background: var(--head); border: 1px solid var(--line); white-space: nowrap; }
.chip b { font-weight: 600; }
.banner { padding: 6px 14px; background: var(--warn-bg); color: var(--warn); border-bottom: 1px solid var(--line); }
.banner.bad { background: var(--bad-bg); color: var(--bad); }
.banner a { color: inherit; }
.tabs { display: flex; gap: 2px; padding: 6px 14px 0; border-bottom: 1px solid var(--line); background: var(--bg); align-items: end; }
.tab { border: 1px solid transparent; border-bottom: none; border-radius: 6px 6px 0 0; background: transparent; padding: 5px 12px; }
.tab.active { background: var(--panel); border-color: var(--line); font-weight: 600; margin-bottom: -1px; }
.spacer { flex: 1; }
.mode { color: var(--muted); padding-bottom: 4px; }
.pill { display: inline-block; min-width: 16px; padding: 0 5px; border-radius: 8px; background: var(--bad-bg); color: var(--bad); font-size: 11px; }
.pill:empty { display: none; }
main { flex: 1; min-height: 0; display: flex; }
.view { flex: 1; display: flex; flex-direction: column; gap: 10px; padding: 10px 14px; min-height: 0; overflow: auto; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.panel.grow { flex: 1; min-height: 260px; display: flex; flex-direction: column; }
.panel h3 { margin: 0 0 6px; font-size: 13px; }
.cols { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.muted { color: var(--muted); }
.table .tr, .vlist .tr { display: grid; align-items: center; gap: 8px; height: 26px; padding: 0 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
.table .tr > span, .vlist .tr > span { overflow: hidden; text-overflow: ellipsis; }
.table .th, .vlist .th { color: var(--muted); font-weight: 600; background: var(--head); }
.vlist.bundles { flex: none; min-height: 0; }
.bundles .tr { grid-template-columns: minmax(120px, 1.2fr) minmax(140px, 1.5fr) 90px 80px 70px minmax(120px, 2fr) 190px; cursor: pointer; }
.bundles .tr.sel { outline: 2px solid var(--accent); outline-offset: -2px; }
.rep { grid-template-columns: minmax(110px, 1fr) minmax(90px, 0.8fr) minmax(80px, 0.7fr) 120px 90px 80px minmax(90px, 0.8fr) 60px minmax(160px, 2.5fr); cursor: pointer; }
.plan .tr { grid-template-columns: 90px 110px minmax(110px, 1fr) 80px minmax(200px, 4fr); }
.tr:not(.th):hover { background: var(--row-hover); }
.vlist { position: relative; flex: 1; min-height: 200px; display: flex; flex-direction: column; }
.vbox { flex: 1; overflow-y: auto; position: relative; min-height: 0; }
.vinner { position: relative; }
.vinner .tr { position: absolute; left: 0; right: 0; }
.state { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; line-height: 17px; background: var(--head); }
.s-running, .s-online, .s-healthy, .s-done, .s-in-sync, .s-started, .s-promoted { background: var(--ok-bg); color: var(--ok); }
.s-lost, .s-fenced, .s-exited, .s-dead, .s-failed, .s-unhealthy, .s-refused, .s-error, .s-failed-promoted, .s-failed-unpromoted, .s-failed-started { background: var(--bad-bg); color: var(--bad); }
.s-standby, .s-suspect, .s-unknown, .s-created, .s-paused, .s-restarting, .s-pending, .s-held, .s-waiting, .s-drift, .s-suspended, .s-unplaced { background: var(--warn-bg); color: var(--warn); }
.s-none, .s-not-configured, .s-stopped { color: var(--muted); }
.s-unpromoted { background: var(--info-bg); color: var(--info); }
.filters { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; margin-bottom: 6px; }
.filters h3 { margin: 0; }
.filters input[type=search] { min-width: 260px; }
.nodes { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 8px; }
.node { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px; cursor: pointer; display: flex; flex-direction: column; gap: 4px; }
.node.sel { outline: 2px solid var(--accent); }
.node .name { font-weight: 600; display: flex; justify-content: space-between; gap: 6px; }
.node .bar { height: 4px; background: var(--head); border-radius: 2px; overflow: hidden; }
.node .bar i { display: block; height: 100%; background: var(--ok); }
.list { list-style: none; margin: 0; padding: 0; max-height: 320px; overflow: auto; }
.list li { padding: 3px 0; border-bottom: 1px solid var(--line); display: flex; gap: 8px; align-items: baseline; }
.list li .state { flex: none; }
.list li .t { color: var(--muted); white-space: nowrap; }
.list li .k { min-width: 64px; }
.detail { position: fixed; right: 0; top: 0; bottom: 0; width: 380px; background: var(--panel); border-left: 1px solid var(--line); padding: 12px; overflow: auto; box-shadow: -4px 0 16px rgba(0, 0, 0, .15); }
.detail dl { display: grid; grid-template-columns: 110px 1fr; gap: 4px 8px; }
.detail dt { color: var(--muted); }
.detail dd { margin: 0; word-break: break-word; }
.login { display: flex; justify-content: center; padding: 60px 14px; }
.login form { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 18px; max-width: 460px; display: flex; flex-direction: column; gap: 10px; }
.error { color: var(--bad); min-height: 1em; }
dialog { background: var(--panel); color: var(--fg); border: 1px solid var(--line); border-radius: 8px; min-width: 420px; }
dialog pre { background: var(--head); padding: 8px; border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
.buttons { display: flex; justify-content: flex-end; gap: 8px; }
.toast { position: fixed; bottom: 14px; right: 14px; max-width: 520px; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; box-shadow: 0 4px 16px rgba(0, 0, 0, .2); }
.toast.bad { border-color: var(--bad); }
.acts { display: flex; gap: 4px; }
.acts button { padding: 0 6px; font-size: 12px; }
@media (max-width: 900px) { .cols { grid-template-columns: 1fr; } }
`;

export const PAGE_JS = String.raw`// berth's status page. Every element is built with textContent from the data: nothing the
// controller sends is ever parsed as HTML. One event stream per page, closed while it is hidden.
(function () {
  'use strict';
  var ROW = 26;
  var STALE_MS = 6000;
  var S = {
    snap: null, rows: [], events: [], changedAt: null, csrf: null, actions: false,
    lastHeard: 0, es: null, conn: 'connecting', term: null, leaderNote: null,
    view: 'overview', f: { node: '', state: '', q: '', bundle: '' }, node: null, detail: null, queued: false
  };
  function $(id) { return document.getElementById(id); }
  function el(tag, props, kids) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === undefined || v === null) return;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, String(v));
      });
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function slug(s) { return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-'); }
  function badge(s) { return el('span', { class: 'state s-' + slug(s), text: s }); }
  function time(iso) { if (!iso) return '-'; var d = new Date(iso); return isNaN(d) ? String(iso) : d.toLocaleTimeString(); }
  function httpUrl(u) { return typeof u === 'string' && /^https?:\/\/[^\s]+$/.test(u) ? u : null; }

  // ---- session ----
  function post(path, body) {
    var h = { 'Content-Type': 'application/json' };
    if (S.csrf) h['X-Berth-CSRF'] = S.csrf;
    return fetch(path, { method: 'POST', headers: h, body: JSON.stringify(body), credentials: 'same-origin' })
      .then(function (r) { return r.json().then(function (j) { return { status: r.status, body: j }; }); });
  }
  function start() {
    var m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    var token = m ? decodeURIComponent(m[1]) : null;
    if (m) history.replaceState(null, '', location.pathname + location.search);
    var go = token ? post('/login', { secret: token }).then(function (r) { return r.body; }) : fetch('/session', { credentials: 'same-origin' }).then(function (r) { return r.json(); });
    go.then(function (s) {
      if (s && s.authenticated) loggedIn(s); else showLogin(token ? 'the token in the address was not accepted' : '');
    }).catch(function () { showLogin('the controller does not answer'); });
  }
  function showLogin(msg) {
    $('login').hidden = false; $('tabs').hidden = true; $('main').hidden = true;
    $('login-error').textContent = msg || '';
    setConn('logged out');
  }
  function loggedIn(s) {
    S.csrf = s.csrf; S.actions = !!s.actions;
    $('login').hidden = true; $('tabs').hidden = false; $('main').hidden = false;
    $('mode').textContent = S.actions ? 'actions enabled' : 'read-only';
    connect();
  }
  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    post('/login', { secret: $('secret').value }).then(function (r) {
      $('secret').value = '';
      if (r.body && r.body.authenticated) loggedIn(r.body); else showLogin('not accepted');
    });
  });

  // ---- the stream ----
  function setConn(c) { S.conn = c; var e = $('conn'); e.textContent = c; e.className = 'conn ' + slug(c); }
  function connect() {
    if (S.es || document.hidden || !S.csrf) return;
    var es = new EventSource('/events');
    S.es = es;
    es.addEventListener('snapshot', function (m) {
      var d = JSON.parse(m.data);
      heard();
      S.rows = d.snapshot.replicas; S.events = d.events; S.changedAt = d.changedAt;
      setSnap(d.snapshot);
    });
    es.addEventListener('patch', function (m) {
      var d = JSON.parse(m.data);
      heard();
      if (!S.snap) return;
      var byKey = new Map(S.rows.map(function (r, i) { return [r.key, i]; }));
      var gone = new Set(d.patch.remove);
      d.patch.upsert.forEach(function (r) { var i = byKey.get(r.key); if (i === undefined) S.rows.push(r); else S.rows[i] = r; });
      if (gone.size) S.rows = S.rows.filter(function (r) { return !gone.has(r.key); });
      S.events = S.events.concat(d.events).slice(-200);
      S.changedAt = d.changedAt;
      var head = d.patch.head; head.replicas = S.rows;
      setSnap(head);
    });
    es.addEventListener('events', function (m) { heard(); S.events = S.events.concat(JSON.parse(m.data).events).slice(-200); queue(); });
    es.addEventListener('ping', function () { heard(); });
    es.onerror = function () {
      if (es.readyState === EventSource.CLOSED) {
        S.es = null;
        fetch('/session', { credentials: 'same-origin' }).then(function (r) { return r.json(); }).then(function (s) {
          if (!s.authenticated) showLogin('the session ended'); else setTimeout(connect, 2000);
        }).catch(function () { setTimeout(connect, 2000); });
      }
      setConn('stale');
      banner();
    };
  }
  function disconnect() { if (S.es) { S.es.close(); S.es = null; } setConn('paused'); banner(); }
  function heard() { S.lastHeard = Date.now(); if (S.conn !== 'live') { setConn('live'); banner(); } }
  document.addEventListener('visibilitychange', function () { if (document.hidden) disconnect(); else connect(); });
  setInterval(function () {
    if (S.es && S.conn === 'live' && Date.now() - S.lastHeard > STALE_MS) { setConn('stale'); banner(); }
  }, 1000);

  function setSnap(s) {
    if (S.snap && S.snap.term !== s.term && s.term !== null) {
      S.leaderNote = { at: Date.now(), text: 'The leader changed: term ' + (S.snap.term === null ? '-' : S.snap.term) + ' -> ' + s.term + (s.leader ? ' (' + s.leader + ')' : '') + '.' };
    }
    S.snap = s;
    queue();
  }
  function queue() { if (S.queued) return; S.queued = true; requestAnimationFrame(function () { S.queued = false; render(); }); }

  // ---- banner: stale data, a follower, a new leader ----
  function banner() {
    var b = $('banner'); clear(b); b.className = 'banner'; b.hidden = true;
    var s = S.snap;
    if (S.conn === 'stale') {
      b.hidden = false; b.className = 'banner bad';
      b.appendChild(document.createTextNode('Stale: no word from the controller since ' + (S.lastHeard ? new Date(S.lastHeard).toLocaleTimeString() : 'the page opened') + '; what is shown may be out of date. Reconnecting…'));
    } else if (S.conn === 'paused') {
      b.hidden = false;
      b.textContent = 'Paused while the tab is hidden.';
    } else if (s && !s.leading) {
      b.hidden = false; b.className = 'banner bad';
      b.appendChild(document.createTextNode('This controller does not lead: its data is not the cluster\'s. '));
      var u = httpUrl(s.leader);
      if (u) b.appendChild(el('span', null, ['The leader is ', el('code', { text: u }), '; open its page with ', el('code', { text: 'berth ui' }), '.']));
    } else if (S.leaderNote && Date.now() - S.leaderNote.at < 60000) {
      b.hidden = false;
      b.textContent = S.leaderNote.text;
    }
  }
  setInterval(banner, 5000);

  // ---- rendering ----
  function render() {
    banner();
    var s = S.snap; if (!s) return;
    $('cluster').textContent = s.cluster;
    document.title = 'berth: ' + s.cluster;
    var lead = $('leader'); clear(lead);
    lead.appendChild(document.createTextNode((s.leading ? 'leader ' + s.controller : 'follower of ' + (s.leader || '(none)')) + ' · term ' + (s.term === null ? '-' : s.term) + ' · changed ' + time(S.changedAt) + ' · pass ' + (s.pass === null ? '-' : s.pass) + (s.converged ? ' · converged' : '')));
    var c = s.counts, cs = $('counts'); clear(cs);
    function chip(label, n, st) { return el('span', { class: 'chip' }, [n > 0 && st ? badge(String(n)) : el('b', { text: n }), ' ' + label]); }
    cs.appendChild(chip('online', c.online, 'online'));
    cs.appendChild(chip('standby', c.standby, 'standby'));
    cs.appendChild(chip('lost', c.lost, 'lost'));
    if (c.otherNodes) cs.appendChild(chip('suspect/unknown', c.otherNodes, 'suspect'));
    cs.appendChild(chip('running', c.running, 'running'));
    cs.appendChild(chip('not running', c.notRunning, c.notRunning ? 'pending' : null));
    cs.appendChild(chip('failed', c.failed, 'failed'));
    var g = s.gitops;
    cs.appendChild(el('span', { class: 'chip', title: g.lastError || g.source || '' }, ['GitOps ', badge(g.state), g.revision ? el('code', { text: ' ' + g.revision.slice(0, 10) }) : null]));
    $('activity-count').textContent = s.failures.length ? String(s.failures.length) : '';
    if (S.view === 'overview') renderOverview(s);
    else if (S.view === 'nodes') renderNodes(s);
    else renderActivity(s);
    if (S.detail) renderDetail();
  }

  function actionButton(label, action) {
    if (!S.actions) return null;
    return el('button', { type: 'button', text: label, 'data-action': action.kind, onclick: function (ev) { ev.stopPropagation(); confirmAction(action, label); } });
  }

  var bundleList = null;
  function bundleRow(x) {
    var stopped = x.targetRole === 'Stopped';
    return el('div', { class: 'tr' + (S.f.bundle === x.id ? ' sel' : ''), 'data-bundle': x.id, onclick: function () { S.f.bundle = S.f.bundle === x.id ? '' : x.id; queue(); } }, [
      el('span', { class: 'mono', text: x.id }), el('span', { class: 'mono muted', text: x.image }),
      el('span', null, [el('span', { class: 'state ' + (x.running >= x.replicas ? 's-running' : x.targetRole === 'Stopped' ? 's-none' : 's-pending'), text: x.running + ' / ' + x.replicas })]), el('span', { text: x.targetRole }), el('span', { text: x.managed ? 'yes' : 'no' }),
      el('span', { class: 'muted', text: x.note || '' }),
      el('span', { class: 'acts' }, [actionButton(stopped ? 'enable' : 'disable', { kind: stopped ? 'enable' : 'disable', bundle: x.id }), actionButton('cleanup', { kind: 'cleanup', bundle: x.id })])
    ]);
  }
  function renderOverview(s) {
    if (!bundleList) bundleList = new VList($('bundles'), el('div', { class: 'tr th' }, ['bundle', 'image', 'running', 'target', 'managed', 'note', S.actions ? 'actions' : ''].map(function (h) { return el('span', { text: h }); })), bundleRow);
    var q = S.f.q.toLowerCase();
    var shown = q ? s.bundles.filter(function (x) { return (x.id + ' ' + x.image + ' ' + (x.note || '')).toLowerCase().indexOf(q) >= 0 || x.id === S.f.bundle; }) : s.bundles;
    $('bundles').style.height = (Math.min(Math.max(shown.length, 1), 8) + 1) * ROW + 4 + 'px';
    $('bundle-count').textContent = shown.length === s.bundles.length ? String(s.bundles.length) : shown.length + ' of ' + s.bundles.length;
    bundleList.set(shown);
    var sel = $('f-node'), want = [''].concat(s.nodes.map(function (n) { return n.name; }));
    if (sel.options.length !== want.length || want.some(function (v, i) { return sel.options[i].value !== v; })) {
      var cur = sel.value; clear(sel);
      want.forEach(function (v) { sel.appendChild(el('option', { value: v, text: v || 'all' })); });
      sel.value = want.indexOf(cur) >= 0 ? cur : '';
    }
    var fb = $('f-bundle'); clear(fb); fb.hidden = !S.f.bundle;
    if (S.f.bundle) { fb.appendChild(document.createTextNode('bundle ' + S.f.bundle + ' ')); fb.appendChild(el('button', { type: 'button', text: '×', title: 'all bundles', onclick: function () { S.f.bundle = ''; queue(); } })); }
    var rows = S.rows.filter(match);
    $('f-count').textContent = rows.length + ' of ' + S.rows.length;
    repList.set(rows);
  }
  function match(r) {
    var f = S.f;
    if (f.bundle && r.bundle !== f.bundle) return false;
    if (f.node && r.node !== f.node) return false;
    if (f.state === 'running' && r.state !== 'running') return false;
    if (f.state === 'not-running' && r.state === 'running') return false;
    if (f.state === 'failed' && !(r.failures > 0 || (r.resource && r.resource.failcount > 0))) return false;
    if (f.state === 'unknown' && r.state !== 'unknown') return false;
    if (f.q) {
      var q = f.q.toLowerCase();
      var hay = (r.name + ' ' + r.node + ' ' + (r.address || '') + ' ' + r.state + ' ' + (r.why || '') + (r.resource ? ' ' + r.resource.id + ' ' + r.resource.role : '')).toLowerCase();
      if (hay.indexOf(q) < 0) return false;
    }
    return true;
  }
  ['f-node', 'f-state'].forEach(function (id) { $(id).addEventListener('change', function (e) { S.f[id.slice(2)] = e.target.value; queue(); }); });
  $('f-q').addEventListener('input', function (e) { S.f.q = e.target.value; queue(); });

  // A list that makes rows only for what is on screen: 10,000 replicas stay fast.
  function VList(box, header, rowOf) {
    this.box = el('div', { class: 'vbox' }); this.inner = el('div', { class: 'vinner' });
    this.rows = []; this.rowOf = rowOf;
    box.appendChild(header); this.box.appendChild(this.inner); box.appendChild(this.box);
    var self = this;
    this.box.addEventListener('scroll', function () { self.draw(); });
  }
  VList.prototype.set = function (rows) { this.rows = rows; this.inner.style.height = rows.length * ROW + 'px'; this.draw(); };
  VList.prototype.draw = function () {
    var top = this.box.scrollTop, h = this.box.clientHeight || 600;
    var from = Math.max(0, Math.floor(top / ROW) - 8), to = Math.min(this.rows.length, Math.ceil((top + h) / ROW) + 8);
    clear(this.inner);
    for (var i = from; i < to; i++) { var r = this.rowOf(this.rows[i]); r.style.top = i * ROW + 'px'; this.inner.appendChild(r); }
  };
  var REP_COLS = ['replica', 'bundle', 'node', 'address', 'state', 'health', 'resource / role', 'fails', 'why'];
  function repHeader() { return el('div', { class: 'tr th rep' }, REP_COLS.map(function (h) { return el('span', { text: h }); })); }
  function repRow(r) {
    var res = r.resource ? el('span', null, [el('span', { class: 'mono', text: r.resource.id + ' ' }), badge(r.resource.role)]) : el('span', { class: 'muted', text: '—' });
    return el('div', { class: 'tr rep', 'data-key': r.key, onclick: function () { S.detail = r.key; renderDetail(); } }, [
      el('span', { class: 'mono', text: r.name }), el('span', { class: 'mono', text: r.bundle }), el('span', { text: r.node }),
      el('span', { class: 'mono', text: r.address || '' }), el('span', null, [badge(r.state)]), el('span', null, [r.health ? badge(r.health) : '']),
      res, el('span', { text: (r.failures || '') + (r.resource && r.resource.failcount ? (r.failures ? ' + ' : '') + r.resource.failcount : '') }), el('span', { class: 'muted', text: r.why || '' })
    ]);
  }
  var repList = new VList($('replicas'), repHeader(), repRow);
  var nodeList = new VList($('node-replicas'), repHeader(), repRow);

  function renderNodes(s) {
    var box = $('nodes'); clear(box);
    s.nodes.forEach(function (n) {
      var pct = n.replicas ? Math.round(100 * n.running / n.replicas) : 0;
      var bar = el('i'); bar.style.width = pct + '%';
      box.appendChild(el('div', { class: 'node' + (S.node === n.name ? ' sel' : ''), 'data-node': n.name, onclick: function () { S.node = n.name; queue(); } }, [
        el('div', { class: 'name' }, [el('span', { text: n.name }), badge(n.state)]),
        el('div', { class: 'muted', text: n.running + ' running of ' + n.replicas + ' here' }),
        el('div', { class: 'bar' }, [bar]),
        el('div', { class: 'acts' }, [n.state === 'standby' ? actionButton('unstandby', { kind: 'unstandby', node: n.name }) : actionButton('standby', { kind: 'standby', node: n.name }),
          actionButton('cleanup', { kind: 'cleanup', node: n.name })])
      ]));
    });
    var here = S.node ? S.rows.filter(function (r) { return r.node === S.node; }) : [];
    var node = S.node && s.nodes.filter(function (n) { return n.name === S.node; })[0];
    $('node-title').textContent = node ? 'On ' + node.name + ' (' + node.state + '): ' + here.length + ' replica' + (here.length === 1 ? '' : 's') : 'Select a node';
    nodeList.set(here);
  }

  function renderActivity(s) {
    var f = $('failures'); clear(f);
    if (!s.failures.length && !s.problems.length) f.appendChild(el('li', { class: 'muted', text: 'no failures' }));
    s.problems.forEach(function (p) { f.appendChild(el('li', null, [badge(p.code), el('span', { text: p.message })])); });
    s.failures.forEach(function (x) { f.appendChild(el('li', null, [el('span', { class: 't', text: x.at ? time(x.at) : '' }), badge(x.code || x.kind), el('span', { text: x.message })])); });
    var e = $('events'); clear(e);
    if (!S.events.length) e.appendChild(el('li', { class: 'muted', text: 'nothing yet' }));
    S.events.slice().reverse().forEach(function (x) { e.appendChild(el('li', null, [el('span', { class: 't', text: time(x.at) }), el('span', { class: 'k' }, [badge(x.kind)]), el('span', { text: x.text })])); });
    var p = $('plan'); clear(p);
    $('plan-state').textContent = s.converged ? '(converged: nothing to do)' : s.planMore ? '(' + s.planMore + ' more not listed)' : '';
    p.appendChild(el('div', { class: 'tr th' }, ['node', 'action', 'replica', 'outcome', 'why'].map(function (h) { return el('span', { text: h }); })));
    s.plan.forEach(function (x) {
      p.appendChild(el('div', { class: 'tr' }, [el('span', { text: x.node }), el('span', { text: x.kind }), el('span', { class: 'mono', text: x.replica || '' }), el('span', null, [badge(x.outcome)]), el('span', { class: 'muted', text: x.reason + (x.error ? ': ' + x.error : '') })]));
    });
  }

  function renderDetail() {
    var d = $('detail'); clear(d);
    var r = S.rows.filter(function (x) { return x.key === S.detail; })[0];
    if (!r) { d.hidden = true; S.detail = null; return; }
    d.hidden = false;
    function row(k, v) { return [el('dt', { text: k }), el('dd', null, [v])]; }
    var x = r.resource;
    var inner = x ? [].concat(row('resource', x.id + ' (' + x.agent + ')'), row('role', badge(x.role)), row('fail count', String(x.failcount)),
      row('last failure', x.lastFailure || '-'), row('monitor', x.monitor || '-'), row('promotion score', x.promotion === undefined ? '-' : String(x.promotion))) : row('resource', 'none (the bundle runs no resource inside)');
    var items = [].concat(row('replica', r.name), row('bundle', r.bundle), row('node', r.node), row('address', r.address || '-'), row('state', badge(r.state)),
      row('health', r.health || '-'), row('spec', r.upToDate ? 'up to date' : 'older than the CIB asks'),
      row('failures', String(r.failures) + (r.lastFailureAt ? ' (last ' + time(r.lastFailureAt) + ')' : '')), row('why', r.why || (r.state === 'running' ? 'running' : '-')), inner);
    d.appendChild(el('div', { class: 'buttons' }, [el('button', { type: 'button', text: 'close', onclick: function () { S.detail = null; d.hidden = true; } })]));
    d.appendChild(el('h3', { class: 'mono', text: r.name }));
    d.appendChild(el('dl', null, items));
  }

  // ---- actions ----
  var pending = null;
  function confirmAction(action, label) {
    post('/action', Object.assign({ preview: true }, action)).then(function (r) {
      if (r.status !== 200) return toast(r.body.problems, true);
      pending = action;
      $('confirm-title').textContent = label + ' ' + (action.node || action.bundle || '');
      $('confirm-command').textContent = r.body.command;
      $('confirm').showModal();
    });
  }
  $('confirm-cancel').addEventListener('click', function () { pending = null; $('confirm').close(); });
  $('confirm-ok').addEventListener('click', function () {
    var a = pending; pending = null; $('confirm').close();
    if (!a) return;
    post('/action', a).then(function (r) {
      if (r.status === 200) toast([{ code: 'done', message: r.body.command }].concat(r.body.notes.map(function (n) { return { code: 'note', message: n }; })), false);
      else toast(r.body.problems.concat((r.body.notes || []).map(function (n) { return { code: 'done', message: n }; })), true);
    });
  });
  function toast(items, bad) {
    var t = $('toast'); clear(t); t.hidden = false; t.className = 'toast' + (bad ? ' bad' : '');
    (items || []).forEach(function (p) { t.appendChild(el('div', null, [badge(p.code), ' ', el('span', { text: p.message })])); });
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.hidden = true; }, bad ? 15000 : 6000);
  }

  // ---- tabs ----
  Array.prototype.forEach.call(document.querySelectorAll('.tab'), function (b) {
    b.addEventListener('click', function () {
      S.view = b.getAttribute('data-view');
      Array.prototype.forEach.call(document.querySelectorAll('.tab'), function (x) { x.classList.toggle('active', x === b); });
      ['overview', 'nodes', 'activity'].forEach(function (v) { $('view-' + v).hidden = v !== S.view; });
      queue();
    });
  });
  start();
})();
`;
