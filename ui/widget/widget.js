/*! plaibot chat widget: cited answers about Indonesia's AI and creative-economy ecosystem.
 * Embed: <script src="https://HOST/widget.js" data-lang="id" async></script>
 * API: window.plaibot.open() / close() / reset() / setLanguage("id"|"en")
 * Finished answers get thumbs up/down and an optional comment (POST /api/feedback).
 * Self-contained: Shadow DOM, no dependencies, no globals besides window.plaibot.
 * All user and answer text is rendered with createElement + textContent only. */
(function () {
  'use strict';
  if (window.plaibot || !Element.prototype.attachShadow) return;

  var doc = document;
  var KEY = 'plaibot:v1';
  var MAX = 1000;
  var script = doc.currentScript || doc.querySelector('script[src$="widget.js"],script[src*="/widget.js?"]');
  var attr = function (name) { return (script && script.getAttribute(name)) || ''; };
  var api = attr('data-api').replace(/\/+$/, '');
  if (!api) {
    try { api = new URL(script.src).origin; } catch (e) { api = location.origin; }
  }

  var S = {
    id: {
      open: 'Buka obrolan plaibot',
      title: 'Tanya plaibot',
      hello: 'Halo! Tanyakan apa saja tentang ekosistem AI dan ekonomi kreatif Indonesia. Setiap jawaban disertai sumbernya.',
      log: 'Percakapan',
      placeholder: 'Tulis pertanyaan…',
      send: 'Kirim',
      close: 'Tutup',
      reset: 'Mulai ulang',
      thinking: 'Sedang mencari jawaban…',
      sources: 'Sumber',
      net: 'Koneksi terputus. Periksa internet Anda lalu coba lagi.',
      rate: 'Terlalu banyak pertanyaan dalam waktu singkat. Coba lagi sebentar lagi.',
      rateN: 'Terlalu banyak pertanyaan dalam waktu singkat. Coba lagi dalam {n} detik.',
      busy: 'plaibot sedang menjawab banyak pertanyaan. Silakan coba lagi sebentar lagi.',
      forbidden: 'Maaf, obrolan plaibot tidak diizinkan di situs ini.',
      error: 'Maaf, terjadi kesalahan saat menjawab. Silakan coba lagi.',
      fb: 'Apakah jawaban ini membantu?',
      up: 'Membantu',
      down: 'Tidak membantu',
      note: 'Komentar (opsional)',
      thanks: 'Terima kasih atas masukan Anda.'
    },
    en: {
      open: 'Open plaibot chat',
      title: 'Ask plaibot',
      hello: "Hi! Ask anything about Indonesia's AI and creative-economy ecosystem. Every answer cites its sources.",
      log: 'Conversation',
      placeholder: 'Type a question…',
      send: 'Send',
      close: 'Close',
      reset: 'Start over',
      thinking: 'Looking for the answer…',
      sources: 'Sources',
      net: 'Connection problem. Check your internet connection and try again.',
      rate: 'Too many questions in a short time. Please try again shortly.',
      rateN: 'Too many questions in a short time. Please try again in {n} s.',
      busy: 'plaibot is answering a lot of questions right now. Please try again in a moment.',
      forbidden: 'Sorry, plaibot chat is not allowed on this site.',
      error: 'Sorry, something went wrong while answering. Please try again.',
      fb: 'Was this answer helpful?',
      up: 'Helpful',
      down: 'Not helpful',
      note: 'Comment (optional)',
      thanks: 'Thank you for your feedback.'
    }
  };

  var CSS =
    ':host{all:initial!important;display:block!important;position:fixed!important;right:0!important;bottom:0!important;' +
    'width:0!important;height:0!important;margin:0!important;padding:0!important;border:0!important;overflow:visible!important;' +
    'visibility:visible!important;opacity:1!important;transform:none!important;filter:none!important;z-index:2147483000!important}' +
    '*{box-sizing:border-box;margin:0;padding:0;border:0;background:none;font:400 15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;' +
    'color:#1f2933;letter-spacing:normal;word-spacing:normal;text-transform:none;text-decoration:none;text-indent:0;text-align:left;text-shadow:none;' +
    'box-shadow:none;float:none;min-width:0;max-width:none;visibility:visible;opacity:1;-webkit-text-fill-color:currentColor}' +
    '[hidden]{display:none!important}' +
    'strong{font-weight:700}' +
    'button{cursor:pointer;border:2px solid transparent}' +
    ':focus-visible{outline:3px solid #1a73e8;outline-offset:2px}' +
    '.plaibot-launcher{position:fixed;right:20px;bottom:20px;width:58px;height:58px;border-radius:50%;background:#0b5d8a;display:flex;' +
    'align-items:center;justify-content:center;box-shadow:0 4px 16px rgba(0,0,0,.28)}' +
    '.plaibot-launcher:hover{background:#094a6e}' +
    '.plaibot-launcher svg{display:block;width:28px;height:28px;fill:#fff}' +
    '.plaibot-panel{position:fixed;right:20px;bottom:90px;width:380px;height:560px;max-width:calc(100vw - 40px);max-height:calc(100vh - 110px);' +
    'display:flex;flex-direction:column;background:#fff;border:1px solid #cfd8e1;border-radius:14px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.25)}' +
    '.plaibot-head{display:flex;align-items:center;gap:6px;padding:10px 12px;background:#0b5d8a}' +
    '.plaibot-title{display:block;flex:1;font-size:17px;font-weight:700;color:#fff}' +
    '.plaibot-head button{display:block;padding:3px 9px;border:1px solid #cfe3ef;border-radius:6px;font-size:13px;color:#fff}' +
    '.plaibot-head button:hover{background:#094a6e}' +
    '.plaibot-head :focus-visible{outline-color:#fff}' +
    '.plaibot-log{display:flex;flex:1;flex-direction:column;gap:10px;padding:12px;overflow-y:auto;background:#f4f7fa}' +
    '.plaibot-empty{display:block;color:#4a5663;font-size:14px}' +
    '.plaibot-msg{display:block;max-width:88%;padding:8px 12px;border-radius:12px;overflow-wrap:anywhere}' +
    '.plaibot-user{align-self:flex-end;background:#0b5d8a;color:#fff;white-space:pre-wrap}' +
    '.plaibot-bot{align-self:flex-start;background:#fff;border:1px solid #d9e1e8}' +
    '.plaibot-thinking{color:#4a5663;font-style:italic}' +
    '.plaibot-error{display:block;color:#b42318}' +
    '.plaibot-text+.plaibot-error{margin-top:6px}' +
    '.plaibot-sources{display:block;margin-top:8px;padding-top:6px;border-top:1px solid #e1e7ed}' +
    '.plaibot-sources p{display:block;font-size:13px;font-weight:700;color:#4a5663}' +
    '.plaibot-sources ol{display:block;list-style:none}' +
    '.plaibot-sources li{display:block;font-size:13px;margin-top:3px}' +
    '.plaibot-sources li *{font-size:13px}' +
    '.plaibot-sources a{color:#0b5d8a;text-decoration:underline;cursor:pointer}' +
    '.plaibot-sources a:hover{color:#073f5e}' +
    '.plaibot-note{color:#4a5663}' +
    '.plaibot-fb{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:8px}' +
    '.plaibot-fb button{display:flex;align-items:center;justify-content:center;height:30px;min-width:30px;padding:0 8px;border:1px solid #cfd8e1;border-radius:6px;font-size:14px}' +
    '.plaibot-fb button:hover,.plaibot-fb [aria-pressed=true]{background:#e3eef6;border-color:#0b5d8a}' +
    '.plaibot-fb svg{display:block;width:16px;height:16px;fill:#0b5d8a}' +
    '.plaibot-down svg{transform:scaleY(-1)}' +
    '.plaibot-fb p{flex-basis:100%;font-size:13px;color:#4a5663}' +
    '.plaibot-fbrow{display:flex;flex-basis:100%;gap:6px}' +
    '.plaibot-fb input{flex:1;min-width:0;height:32px;padding:4px 8px;border:1px solid #8a97a5;border-radius:6px;font-size:16px}' +
    '.plaibot-form{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid #d9e1e8;background:#fff}' +
    '.plaibot-input{display:block;flex:1;height:42px;min-height:42px;max-height:140px;padding:8px 10px;resize:none;overflow-y:auto;' +
    'border:1px solid #8a97a5;border-radius:8px;background:#fff;font-size:16px;line-height:1.5}' +
    '.plaibot-input::placeholder{color:#66727f;opacity:1;-webkit-text-fill-color:#66727f}' +
    '.plaibot-send{display:block;height:42px;padding:0 14px;border-radius:8px;background:#0b5d8a;color:#fff;font-weight:700}' +
    '.plaibot-send:hover{background:#094a6e}' +
    '.plaibot-send:disabled{opacity:.55;cursor:default}' +
    '.plaibot-live{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}' +
    '@media (max-width:639px){.plaibot-panel{top:0;left:0;right:0;bottom:0;width:auto;height:auto;max-width:none;max-height:none;border:0;border-radius:0}' +
    '.plaibot-is-open .plaibot-launcher{display:none}}';

  /* ---- storage: sessionStorage, or a silent in-memory stand-in when it throws ---- */
  var mem = {};
  function load() {
    var raw;
    try { raw = sessionStorage.getItem(KEY); } catch (e) { raw = mem[KEY]; }
    try { return JSON.parse(raw); } catch (e) { return null; }
  }
  function save() {
    var raw = JSON.stringify(state);
    mem[KEY] = raw;
    try { sessionStorage.setItem(KEY, raw); } catch (e) { /* memory copy is enough */ }
  }
  function wipe() {
    delete mem[KEY];
    try { sessionStorage.removeItem(KEY); } catch (e) { /* nothing stored */ }
  }

  function norm(lang) {
    lang = String(lang || '').slice(0, 2).toLowerCase();
    return lang === 'id' || lang === 'en' ? lang : '';
  }

  var saved = load();
  saved = saved && typeof saved === 'object' ? saved : {};
  var langSet = !!(saved.langSet && norm(saved.lang));
  var state = {
    lang: langSet ? norm(saved.lang) : norm(attr('data-lang')) || (norm(navigator.language) === 'id' ? 'id' : 'en'),
    langSet: langSet,
    open: saved.open === true,
    cid: typeof saved.cid === 'string' ? saved.cid : null,
    msgs: (Array.isArray(saved.msgs) ? saved.msgs : []).filter(function (m) {
      return m && (m.role === 'user' || m.role === 'bot') && typeof m.text === 'string';
    })
  };
  state.msgs.forEach(function (m) {
    // an answer interrupted by navigation cannot resume
    if (m.role === 'bot' && m.state !== 'done' && m.state !== 'error') { m.state = 'error'; m.err = { k: 'net' }; }
  });

  /* ---- DOM ---- */
  function h(tag, cls, text) {
    var el = doc.createElement(tag);
    if (cls) el.className = cls;
    if (text != null) el.textContent = text;
    return el;
  }
  function at(el, attrs) {
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    return el;
  }
  function button(cls) {
    var b = h('button', cls);
    b.type = 'button';
    return b;
  }

  var host = h('div');
  host.id = 'plaibot-widget';
  'all:initial;display:block;position:fixed;right:0;bottom:0;width:0;height:0;margin:0;padding:0;border:0;overflow:visible;visibility:visible;opacity:1;transform:none;filter:none;z-index:2147483000'
    .split(';').forEach(function (d) {
      var i = d.indexOf(':');
      host.style.setProperty(d.slice(0, i), d.slice(i + 1), 'important');
    });
  var shadow = host.attachShadow({ mode: 'open' });
  shadow.appendChild(h('style', null, CSS));

  var wrap = shadow.appendChild(h('div', 'plaibot-root'));
  var launcher = wrap.appendChild(at(button('plaibot-launcher'), { 'aria-expanded': 'false', 'aria-controls': 'plaibot-panel' }));
  function icon(d) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = at(doc.createElementNS(ns, 'svg'), { viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' });
    svg.appendChild(at(doc.createElementNS(ns, 'path'), { d: d }));
    return svg;
  }
  launcher.appendChild(icon('M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM7 9h10v2H7zm0-3h10v2H7zm0 6h7v2H7z'));

  var panel = wrap.appendChild(at(h('div', 'plaibot-panel'), {
    id: 'plaibot-panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'plaibot-title'
  }));
  panel.hidden = true;
  var head = panel.appendChild(h('div', 'plaibot-head'));
  var title = head.appendChild(h('h2', 'plaibot-title'));
  title.id = 'plaibot-title';
  var resetBtn = head.appendChild(button('plaibot-reset'));
  var closeBtn = head.appendChild(button('plaibot-close'));
  var log = panel.appendChild(at(h('div', 'plaibot-log'), { role: 'region', tabindex: '0' }));
  var form = panel.appendChild(h('div', 'plaibot-form'));
  var input = form.appendChild(h('textarea', 'plaibot-input'));
  input.maxLength = MAX;
  input.rows = 1;
  var send = form.appendChild(button('plaibot-send'));
  var live = wrap.appendChild(at(h('div', 'plaibot-live'), { role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' }));

  function T() { return S[state.lang]; }

  function applyLang() {
    var t = T();
    wrap.lang = state.lang;
    launcher.setAttribute('aria-label', t.open);
    launcher.title = t.open;
    title.textContent = t.title;
    resetBtn.textContent = t.reset;
    closeBtn.textContent = t.close;
    resetBtn.setAttribute('aria-label', t.reset);
    closeBtn.setAttribute('aria-label', t.close);
    log.setAttribute('aria-label', t.log);
    input.placeholder = t.placeholder;
    input.setAttribute('aria-label', t.placeholder);
    send.textContent = t.send;
    renderAll();
  }

  /* ---- rendering (text only: createElement + textContent) ---- */
  var views = new WeakMap();

  // tiny safe markdown: **bold** -> <strong>, line breaks -> <br>, everything else text
  function md(el, text) {
    text.replace(/\r\n?/g, '\n').split(/\*\*(?=\S)([\s\S]*?\S)\*\*/).forEach(function (part, i) {
      var target = i % 2 ? el.appendChild(h('strong')) : el;
      part.split('\n').forEach(function (line, j) {
        if (j) target.appendChild(h('br'));
        if (line) target.appendChild(doc.createTextNode(line));
      });
    });
  }

  function safeUrl(address) {
    try {
      var u = new URL(String(address));
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : '';
    } catch (e) { return ''; }
  }

  function errText(err) {
    var t = T();
    if (err.k === 'rate') return err.n ? t.rateN.replace('{n}', err.n) : t.rate;
    return err.m || t[err.k] || t.error;
  }

  function fill(m) {
    var el = views.get(m);
    if (!el) return;
    var t = T();
    el.textContent = '';
    if (m.role === 'user') { el.textContent = m.text; return; }
    if (m.text) md(el.appendChild(h('div', 'plaibot-text')), m.text);
    else if (m.state === 'pending') el.appendChild(h('span', 'plaibot-thinking', t.thinking));
    if (m.state === 'error') el.appendChild(h('p', 'plaibot-error', errText(m.err || {})));
    var list = Array.isArray(m.sources) ? m.sources.filter(function (s) { return s && typeof s === 'object'; }) : [];
    if (list.length) {
      var box = el.appendChild(h('div', 'plaibot-sources'));
      box.appendChild(h('p', null, t.sources));
      var ol = box.appendChild(at(h('ol'), { role: 'list' }));
      list.forEach(function (s, i) {
        var li = ol.appendChild(h('li'));
        var address = s.address == null ? '' : String(s.address);
        var label = String(s.title || address);
        var url = safeUrl(address);
        li.appendChild(h('span', 'plaibot-num', '[' + (s.number != null ? s.number : i + 1) + '] '));
        if (url) {
          var a = li.appendChild(h('a', null, label || url));
          a.href = url;
          a.target = '_blank';
          a.rel = 'noopener noreferrer';
        } else {
          li.appendChild(h('span', null, label));
          if (address && address !== label) li.appendChild(h('span', 'plaibot-note', ' — ' + address));
        }
        if (s.date) li.appendChild(h('span', 'plaibot-note', ' (' + s.date + ')'));
      });
    }
    if (m.state === 'done' && m.cid) feedback(m, el.appendChild(h('div', 'plaibot-fb')));
    // state last: tests and assistive tech wait for data-state="done"
    el.setAttribute('data-state', m.state || 'pending');
  }

  /* ---- feedback: thumbs up/down, then an optional comment ---- */
  var THUMB = 'M2 10h4v11H2zm6 11V10l5-8c1.4 0 2.4 1.2 2.1 2.6L14.5 9H21a1 1 0 0 1 1 1.2l-1.8 9.2a2 2 0 0 1-2 1.6z';

  // (re)draw one answer's feedback box; `focus` names what gets the focus after a redraw
  function feedback(m, box, focus) {
    var t = T();
    box.textContent = '';
    at(box, { role: 'group', 'aria-label': t.fb });
    if (m.fbDone) { box.appendChild(h('p', null, t.thanks)); return; }
    ['up', 'down'].forEach(function (r) {
      var b = box.appendChild(at(button('plaibot-' + r), { 'aria-label': t[r], title: t[r], 'aria-pressed': String(m.fb === r) }));
      b.appendChild(icon(THUMB));
      b.addEventListener('click', function () { vote(m, box, r); });
      if (focus === r) b.focus();
    });
    if (!m.fb) return;
    var row = box.appendChild(h('div', 'plaibot-fbrow'));
    var note = row.appendChild(at(h('input'), { type: 'text', maxlength: MAX, 'aria-label': t.note, placeholder: t.note }));
    var ok = row.appendChild(button('plaibot-fbsend'));
    ok.textContent = t.send;
    function done() { vote(m, box, m.fb, note.value.trim().slice(0, MAX)); }
    ok.addEventListener('click', done);
    note.addEventListener('keydown', function (e) { if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); done(); } });
    if (focus === 'note') note.focus();
  }

  // a thumb is sent at once; a comment sent later updates the same vote on the server
  function vote(m, box, rating, comment) {
    m.fb = rating;
    if (comment != null) m.fbDone = true;
    feedback(m, box, comment == null ? 'note' : '');
    save();
    if (comment != null) { live.textContent = T().thanks; input.focus(); }
    post('/api/feedback', JSON.stringify({
      conversation_id: m.cid, answer: m.text.slice(0, 2000), rating: rating, comment: comment || '', question: m.q || ''
    })).then(async function (res) {
      if (!res.ok) throw await httpError(res);
    }).catch(function (err) {
      live.textContent = errText(err && err.k ? err : { k: 'net' });
    });
  }

  function build(m) {
    var el = h('div', 'plaibot-msg plaibot-' + m.role);
    views.set(m, el);
    fill(m);
    return el;
  }

  function renderAll() {
    log.textContent = '';
    if (!state.msgs.length) log.appendChild(h('p', 'plaibot-empty', T().hello));
    state.msgs.forEach(function (m) { log.appendChild(build(m)); });
    log.scrollTop = log.scrollHeight;
  }

  function update(m) {
    var stick = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    fill(m);
    if (stick) log.scrollTop = log.scrollHeight;
  }

  /* ---- network ---- */
  var token = '';
  var tokenExp = 0;
  var tokenP = null;
  var busy = false;
  var ctrl = null;
  var gen = 0;

  function secs(v) {
    var n = Number(v);
    if (v == null || v === '' || !isFinite(n)) {
      var d = Date.parse(v);
      n = isNaN(d) ? 0 : (d - Date.now()) / 1000;
    }
    return n > 0 ? Math.ceil(n) : 0;
  }

  function errFrom(status, message, retry) {
    if (status === 429) return { k: 'rate', n: secs(retry) };
    if (status === 403) return { k: 'forbidden' };
    if (status === 503) return { k: 'busy' }; // at capacity, or the index briefly unavailable
    // 4xx messages (empty/too long question) are written for visitors; 5xx are not
    return { k: 'error', m: status >= 400 && status < 500 && status !== 401 && typeof message === 'string' ? message : '' };
  }

  async function httpError(res) {
    var body = {};
    try { body = (await res.json()) || {}; } catch (e) { /* not JSON */ }
    var e = body.error && typeof body.error === 'object' ? body.error : body;
    return errFrom(res.status, e.message, res.headers.get('Retry-After') || e.retry_after);
  }

  function getToken(fresh) {
    if (fresh) token = '';
    if (token && Date.now() < tokenExp) return Promise.resolve(token);
    if (!tokenP) {
      tokenP = fetch(api + '/api/session', { method: 'POST' }).then(async function (res) {
        if (!res.ok) throw await httpError(res);
        var d = await res.json();
        if (!d || typeof d.token !== 'string') throw { k: 'error' };
        token = d.token;
        tokenExp = Date.now() + (Number(d.expires_in) || 900) * 900; // renew at 90% of its life
        return token;
      });
      tokenP.then(function () { tokenP = null; }, function () { tokenP = null; });
    }
    return tokenP;
  }

  async function post(path, body, signal) {
    for (var i = 0; ; i++) {
      var res = await fetch(api + path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', Authorization: 'Bearer ' + await getToken(i > 0) },
        body: body,
        signal: signal
      });
      if (res.status !== 401 || i) return res; // 401: new token once, retry once
    }
  }

  async function stream(question, bot, my, signal) {
    var res = await post('/api/chat/stream', JSON.stringify({ question: question, conversation_id: state.cid, language: state.lang }), signal);
    if (!res.ok) throw await httpError(res);
    if (!res.body) throw { k: 'error' };
    var reader = res.body.getReader();
    var dec = new TextDecoder();
    var buf = '';
    try {
      for (;;) {
        var r = await reader.read();
        if (my !== gen) return;
        // normalise CR/CRLF, keeping a trailing CR until we know whether LF follows
        buf = (buf + (r.done ? dec.decode() : dec.decode(r.value, { stream: true }))).replace(r.done ? /\r\n?/g : /\r\n|\r(?!$)/g, '\n');
        var frames = buf.split('\n\n');
        buf = r.done ? '' : frames.pop();
        for (var i = 0; i < frames.length; i++) {
          if (event(frames[i], bot)) return;
        }
        if (r.done) throw { k: 'net' }; // stream ended without `done`
      }
    } finally {
      reader.cancel().catch(function () {});
    }
  }

  // one SSE frame; returns true when the answer is complete
  function event(frame, bot) {
    var name = 'message';
    var data = [];
    frame.split('\n').forEach(function (line) {
      var i = line.indexOf(':');
      if (i === 0) return; // comment / keep-alive
      var field = i < 0 ? line : line.slice(0, i);
      var value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
    });
    if (!data.length) return false;
    var d;
    try { d = JSON.parse(data.join('\n')); } catch (e) { return false; }
    if (!d || typeof d !== 'object') return false;
    if (name === 'token' || name === 'replace') {
      // replace: the text so far is superseded (e.g. the quoted answer after a failed check)
      bot.text = (name === 'token' ? bot.text : '') + (d.text == null ? '' : String(d.text));
      update(bot);
    } else if (name === 'sources') {
      bot.sources = Array.isArray(d.sources) ? d.sources : [];
      update(bot);
    } else if (name === 'error') {
      throw errFrom(Number(d.status), d.message, d.retry_after);
    } else if (name === 'done') {
      if (d.conversation_id != null) state.cid = String(d.conversation_id);
      bot.cid = state.cid; // feedback names the conversation the answer belongs to
      bot.state = 'done';
      if (typeof d.grounded === 'boolean') bot.grounded = d.grounded;
      live.textContent = bot.text.replace(/\*\*/g, ''); // announce the finished answer once
      update(bot);
      save();
      return true;
    }
    return false;
  }

  function setBusy(b) {
    busy = b;
    send.disabled = b;
    log.setAttribute('aria-busy', String(b));
  }

  function ask() {
    var question = input.value.trim().slice(0, MAX);
    if (!question || busy) return;
    input.value = '';
    grow();
    var bot = { role: 'bot', text: '', state: 'pending', q: question };
    state.msgs.push({ role: 'user', text: question }, bot);
    if (state.msgs.length > 60) state.msgs.splice(0, state.msgs.length - 60);
    renderAll();
    save();
    setBusy(true);
    var my = ++gen;
    ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    stream(question, bot, my, ctrl && ctrl.signal).catch(function (err) {
      if (my !== gen) return;
      bot.state = 'error';
      bot.err = err && err.k ? err : { k: err instanceof TypeError ? 'net' : 'error' };
      update(bot);
      live.textContent = errText(bot.err);
      save();
    }).then(function () {
      if (my === gen) { setBusy(false); ctrl = null; }
    });
  }

  function grow() {
    input.style.height = '';
    if (input.value) input.style.height = Math.min(input.scrollHeight + 2, 140) + 'px';
  }

  /* ---- open / close / reset / language ---- */
  function open(focus) {
    state.open = true;
    panel.hidden = false;
    wrap.classList.add('plaibot-is-open');
    launcher.setAttribute('aria-expanded', 'true');
    log.scrollTop = log.scrollHeight;
    save();
    if (focus) input.focus();
    getToken().catch(function () { /* retried when the question is sent */ });
  }

  function close(focus) {
    var inside = panel.contains(shadow.activeElement);
    state.open = false;
    panel.hidden = true;
    wrap.classList.remove('plaibot-is-open');
    launcher.setAttribute('aria-expanded', 'false');
    save();
    if (focus || inside) launcher.focus();
  }

  function reset() {
    gen++;
    if (ctrl) ctrl.abort();
    ctrl = null;
    setBusy(false);
    state.msgs = [];
    state.cid = null;
    live.textContent = '';
    wipe();
    renderAll();
  }

  function setLanguage(lang) {
    lang = norm(lang);
    if (!lang) return;
    state.lang = lang;
    state.langSet = true;
    applyLang();
    save();
  }

  launcher.addEventListener('click', function () { if (state.open) close(true); else open(true); });
  closeBtn.addEventListener('click', function () { close(true); });
  resetBtn.addEventListener('click', function () { reset(); input.focus(); });
  send.addEventListener('click', ask);
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' || e.key === 'Esc') { e.preventDefault(); close(true); }
  });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); ask(); }
  });
  input.addEventListener('input', grow);
  window.addEventListener('pagehide', save);

  applyLang();
  if (state.open) open(false);

  function mount() { if (!host.parentNode) doc.body.appendChild(host); }
  if (doc.body) mount(); else doc.addEventListener('DOMContentLoaded', mount);

  window.plaibot = {
    open: function () { open(true); },
    close: function () { close(false); },
    reset: reset,
    setLanguage: setLanguage
  };
})();
