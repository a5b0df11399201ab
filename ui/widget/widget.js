/*! plaibot chat widget: cited answers about Indonesia's AI and creative-economy ecosystem.
 * Embed: <script src="https://HOST/widget.js" data-lang="id" async></script>
 * Options (data- attributes or plaibot.configure({...})): data-color="#rrggbb",
 * data-position="bottom-right|bottom-left", data-theme="auto|light|dark", data-title,
 * data-greeting, data-starters="Q1|Q2" (each also as -id / -en, e.g. data-greeting-en).
 * Bad values keep the default and say why in the console.
 * API: window.plaibot.open() / close() / reset() / setLanguage("id"|"en") / configure(options)
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
      thanks: 'Terima kasih atas masukan Anda.',
      quote: 'Kutipan sumber',
      starters: 'Contoh pertanyaan'
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
      thanks: 'Thank you for your feedback.',
      quote: 'Passage of source',
      starters: 'Suggested questions'
    }
  };

  // Colours are custom properties: a light and a dark palette here, the partner's accent
  // (--accent, the text on it --ink, links --link) set by paint() after a contrast check.
  var CSS =
    ':host{all:initial!important;display:block!important;position:fixed!important;right:0!important;bottom:0!important;' +
    'width:0!important;height:0!important;margin:0!important;padding:0!important;border:0!important;overflow:visible!important;' +
    'visibility:visible!important;opacity:1!important;transform:none!important;filter:none!important;z-index:2147483000!important}' +
    '.plaibot-root{--bg:#fff;--log:#f4f7fa;--fg:#1f2933;--muted:#4a5663;--line:#d9e1e8;--edge:#8a97a5;--err:#b42318;--hi:#e3eef6;--ring:#1a73e8;--ph:#66727f;color-scheme:light}' +
    '.plaibot-dark{--bg:#1c232b;--log:#12181e;--fg:#e6edf3;--muted:#a9b6c3;--line:#36424f;--edge:#7d8a98;--err:#ff9b92;--hi:#26384a;--ring:#8ab4f8;--ph:#9aa7b4;color-scheme:dark}' +
    '*{box-sizing:border-box;margin:0;padding:0;border:0;background:none;font:400 15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;' +
    'color:var(--fg);letter-spacing:normal;word-spacing:normal;text-transform:none;text-decoration:none;text-indent:0;text-align:left;text-shadow:none;' +
    'box-shadow:none;float:none;min-width:0;max-width:none;visibility:visible;opacity:1;-webkit-text-fill-color:currentColor}' +
    '[hidden]{display:none!important}' +
    'strong{font-weight:700}' +
    'button{cursor:pointer;border:2px solid transparent}' +
    ':focus-visible{outline:3px solid var(--ring);outline-offset:2px}' +
    '.plaibot-launcher{position:fixed;right:20px;bottom:20px;width:58px;height:58px;border-radius:50%;background:var(--accent);display:flex;' +
    'align-items:center;justify-content:center;box-shadow:0 4px 16px rgba(0,0,0,.28)}' +
    '.plaibot-launcher svg{display:block;width:28px;height:28px;fill:var(--ink)}' +
    '.plaibot-launcher:hover,.plaibot-head button:hover,.plaibot-send:hover{background-image:linear-gradient(var(--hover),var(--hover))}' +
    '.plaibot-panel{position:fixed;right:20px;bottom:90px;width:380px;height:560px;max-width:calc(100vw - 40px);max-height:calc(100vh - 110px);' +
    'display:flex;flex-direction:column;background:var(--bg);border:1px solid var(--line);border-radius:14px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.25)}' +
    '.plaibot-left .plaibot-launcher,.plaibot-left .plaibot-panel{right:auto;left:20px}' +
    '.plaibot-head{display:flex;align-items:center;gap:6px;padding:10px 12px;background:var(--accent)}' +
    '.plaibot-head *{color:var(--ink)}' +
    '.plaibot-title{display:block;flex:1;font-size:17px;font-weight:700}' +
    '.plaibot-head button{display:block;padding:3px 9px;border:1px solid;border-radius:6px;font-size:13px}' +
    '.plaibot-head :focus-visible{outline-color:var(--ink)}' +
    '.plaibot-log{display:flex;flex:1;flex-direction:column;gap:10px;padding:12px;overflow-y:auto;background:var(--log)}' +
    '.plaibot-empty{display:block;color:var(--muted);font-size:14px}' +
    '.plaibot-starters{display:flex;flex-direction:column;align-items:flex-start;gap:6px}' +
    '.plaibot-starters button{padding:6px 12px;border:1px solid var(--link);border-radius:16px;background:var(--bg);color:var(--link);font-size:14px;text-align:left}' +
    '.plaibot-starters button:hover,.plaibot-cite:hover,.plaibot-cite[aria-expanded=true]{background:var(--hi)}' +
    '.plaibot-msg{display:block;max-width:88%;padding:8px 12px;border-radius:12px;overflow-wrap:anywhere}' +
    '.plaibot-user{align-self:flex-end;background:var(--accent);color:var(--ink);white-space:pre-wrap}' +
    '.plaibot-bot{align-self:flex-start;background:var(--bg);border:1px solid var(--line)}' +
    '.plaibot-thinking{color:var(--muted);font-style:italic}' +
    '.plaibot-error{display:block;color:var(--err)}' +
    '.plaibot-text+.plaibot-error{margin-top:6px}' +
    '.plaibot-cite{display:inline;padding:0 2px;border:0;border-radius:4px;color:var(--link);text-decoration:underline dotted}' +
    '.plaibot-quote{display:block;margin-top:8px;padding:8px 10px;border-left:4px solid var(--link);border-radius:4px;background:var(--log)}' +
    '.plaibot-quote blockquote{display:block;font-style:italic}' +
    '.plaibot-quote figcaption{display:block;margin-top:4px}' +
    '.plaibot-sources{display:block;margin-top:8px;padding-top:6px;border-top:1px solid var(--line)}' +
    '.plaibot-sources p{display:block;font-size:13px;font-weight:700;color:var(--muted)}' +
    '.plaibot-sources ol{display:block;list-style:none}' +
    '.plaibot-sources li{display:block;margin-top:3px;font-size:13px}' +
    '.plaibot-sources li *,.plaibot-quote figcaption *{font-size:13px}' +
    '.plaibot-msg a{color:var(--link);text-decoration:underline;cursor:pointer}' +
    '.plaibot-note{color:var(--muted)}' +
    '.plaibot-fb{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin-top:8px}' +
    '.plaibot-fb button{display:flex;align-items:center;justify-content:center;height:30px;min-width:30px;padding:0 8px;border:1px solid var(--line);border-radius:6px;font-size:14px}' +
    '.plaibot-fb button:hover,.plaibot-fb [aria-pressed=true]{background:var(--hi);border-color:var(--link)}' +
    '.plaibot-fb svg{display:block;width:16px;height:16px;fill:var(--link)}' +
    '.plaibot-down svg{transform:scaleY(-1)}' +
    '.plaibot-fb p{flex-basis:100%;font-size:13px;color:var(--muted)}' +
    '.plaibot-fbrow{display:flex;flex-basis:100%;gap:6px}' +
    '.plaibot-fb input{flex:1;min-width:0;height:32px;padding:4px 8px;border:1px solid var(--edge);border-radius:6px;background:var(--bg);font-size:16px}' +
    '.plaibot-form{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid var(--line);background:var(--bg)}' +
    '.plaibot-input{display:block;flex:1;height:42px;min-height:42px;max-height:140px;padding:8px 10px;resize:none;overflow-y:auto;' +
    'border:1px solid var(--edge);border-radius:8px;background:var(--bg);font-size:16px;line-height:1.5}' +
    '.plaibot-input::placeholder{color:var(--ph);opacity:1;-webkit-text-fill-color:var(--ph)}' +
    '.plaibot-send{display:block;height:42px;padding:0 14px;border-radius:8px;background:var(--accent);color:var(--ink);font-weight:700}' +
    '.plaibot-send:disabled{opacity:.55;cursor:default}' +
    '.plaibot-live{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}' +
    '@media (max-width:639px){.plaibot-root .plaibot-panel{top:0;left:0;right:0;bottom:0;width:auto;height:auto;max-width:none;max-height:none;border:0;border-radius:0}' +
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

  /* ---- partner options: validated, a bad value keeps the default and says why ---- */
  var ACCENT = '#0b5d8a';
  var C = { color: ACCENT, position: 'bottom-right', theme: 'auto', title: {}, greeting: {}, starters: {} };
  var CHOICES = { position: ['bottom-right', 'bottom-left'], theme: ['auto', 'light', 'dark'] };
  var LIMITS = { title: 60, greeting: 400, starters: 200 };
  var warned = {};

  function warn(msg) {
    if (!warned[msg] && window.console) console.warn('plaibot: ' + msg);
    warned[msg] = 1;
  }

  function given(v) { return v != null && v !== ''; }

  function configure(o) {
    o = o && typeof o === 'object' ? o : {};
    if (given(o.color)) {
      var c = String(o.color).trim();
      if (/^#([\da-f]{3}){1,2}$/i.test(c)) C.color = c.length === 4 ? c.replace(/\w/g, '$&$&') : c;
      else warn('color "' + c + '" is not #rgb or #rrggbb; keeping ' + C.color);
    }
    ['position', 'theme'].forEach(function (k) {
      if (!given(o[k])) return;
      var v = String(o[k]).trim().toLowerCase();
      v = v === 'left' || v === 'right' ? 'bottom-' + v : v;
      if (CHOICES[k].indexOf(v) >= 0) C[k] = v;
      else warn(k + ' "' + o[k] + '" is not one of ' + CHOICES[k].join(', ') + '; keeping ' + C[k]);
    });
    for (var k in LIMITS) if (given(o[k])) texts(k, o[k]);
    paint();
    applyLang();
  }

  // a text option: one value for both languages, or {id: ..., en: ...}; starters are a list
  // (or one string split at "|"), at most four questions
  function texts(key, v) {
    var per = typeof v === 'object' && !Array.isArray(v) ? v : { all: v };
    for (var lang in per) {
      var x = per[lang];
      if (!given(x)) continue;
      if (lang !== 'all' && !norm(lang)) { warn(key + ': language "' + lang + '" is not id or en'); continue; }
      lang = norm(lang) || lang;
      var list = key === 'starters' ? (Array.isArray(x) ? x : String(x).split('|')) : [x];
      list = list.map(function (q) { return String(q).trim(); }).filter(Boolean);
      var ok = list.filter(function (q) { return q.length <= LIMITS[key]; }).slice(0, key === 'starters' ? 4 : 1);
      if (ok.length < list.length) warn(key + ': at most ' + LIMITS[key] + ' characters' + (key === 'starters' ? ' and four questions' : '') + '; the rest is left out');
      if (ok.length) C[key][lang] = key === 'starters' ? ok : ok[0];
    }
  }

  function pick(key) { return C[key][state.lang] || C[key].all; }

  // WCAG relative luminance and contrast ratio of #rrggbb colours
  function lum(hex) {
    var n = parseInt(hex.slice(1), 16);
    return [[16, 0.2126], [8, 0.7152], [0, 0.0722]].reduce(function (sum, p) {
      var c = (n >> p[0] & 255) / 255;
      return sum + p[1] * (c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
    }, 0);
  }
  function contrast(a, b) {
    var x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
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

  var scheme = window.matchMedia && matchMedia('(prefers-color-scheme: dark)');
  if (scheme && scheme.addEventListener) scheme.addEventListener('change', paint);

  // Text on the accent is white or black, whichever passes WCAG AA (4.5:1; one always does);
  // links use the accent only where it passes against the panel, else the theme's own blue.
  function paint() {
    var dark = C.theme === 'dark' || (C.theme === 'auto' && !!scheme && scheme.matches);
    var ink = contrast(C.color, '#ffffff') >= 4.5 ? '#ffffff' : '#000000';
    var ratio = contrast(C.color, dark ? '#1c232b' : '#ffffff');
    var link = ratio >= 4.5 ? C.color : dark ? '#8cc8ef' : ACCENT;
    if (link !== C.color && C.color !== ACCENT) {
      warn('color ' + C.color + ' has ' + ratio.toFixed(1) + ':1 contrast on the ' + (dark ? 'dark' : 'light') + ' panel; links use ' + link);
    }
    wrap.classList.toggle('plaibot-dark', dark);
    wrap.classList.toggle('plaibot-left', C.position === 'bottom-left');
    [['--accent', C.color], ['--ink', ink], ['--link', link],
      ['--hover', ink === '#000000' ? 'rgba(255,255,255,.3)' : 'rgba(0,0,0,.2)']].forEach(function (v) {
      wrap.style.setProperty(v[0], v[1]);
    });
  }

  function applyLang() {
    var t = T();
    wrap.lang = state.lang;
    launcher.setAttribute('aria-label', t.open);
    launcher.title = t.open;
    title.textContent = pick('title') || t.title;
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

  // tiny safe markdown: **bold** -> <strong>, line breaks -> <br>, a citation [n] of a known
  // source -> a button that shows its passage, everything else text
  function md(el, text, m, refs) {
    text.replace(/\r\n?/g, '\n').split(/\*\*(?=\S)([\s\S]*?\S)\*\*/).forEach(function (part, i) {
      var target = i % 2 ? el.appendChild(h('strong')) : el;
      part.split('\n').forEach(function (line, j) {
        if (j) target.appendChild(h('br'));
        line.split(/(\[\d{1,3}\])/).forEach(function (bit, k) {
          var s = k % 2 && refs[bit.slice(1, -1)];
          if (s) target.appendChild(cite(m, s));
          else if (bit) target.appendChild(doc.createTextNode(bit));
        });
      });
    });
  }

  // [n]: toggles the passage of source n under the answer text, keeping the focus on [n]
  function cite(m, s) {
    var b = at(button('plaibot-cite'), {
      'aria-expanded': String(m.show === s.n), 'aria-label': T().quote + ' [' + s.n + ']', title: s.label
    });
    b.textContent = '[' + s.n + ']';
    b.addEventListener('click', function () {
      var all = function () { return views.get(m).querySelectorAll('.plaibot-cite'); };
      var i = [].indexOf.call(all(), b);
      m.show = m.show === s.n ? 0 : s.n;
      fill(m);
      save();
      if (all()[i]) all()[i].focus();
    });
    return b;
  }

  // title (a link when the address is http(s)), address if it is not one, and date
  function describe(el, s) {
    if (s.url) {
      var a = el.appendChild(h('a', null, s.label || s.url));
      a.href = s.url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
    } else {
      el.appendChild(h('span', null, s.label));
      if (s.address && s.address !== s.label) el.appendChild(h('span', 'plaibot-note', ' — ' + s.address));
    }
    if (s.date) el.appendChild(h('span', 'plaibot-note', ' (' + s.date + ')'));
  }

  function sourcesOf(m) {
    return (Array.isArray(m.sources) ? m.sources : []).filter(function (s) { return s && typeof s === 'object'; })
      .map(function (s, i) {
        var address = s.address == null ? '' : String(s.address);
        return {
          n: s.number != null ? String(s.number) : String(i + 1), address: address, url: safeUrl(address),
          label: String(s.title || address), date: s.date ? String(s.date) : '', snippet: s.snippet ? String(s.snippet) : ''
        };
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
    var list = sourcesOf(m);
    var refs = {};
    list.forEach(function (s) { refs[s.n] = s; });
    if (m.text) md(el.appendChild(h('div', 'plaibot-text')), m.text, m, refs);
    else if (m.state === 'pending') el.appendChild(h('span', 'plaibot-thinking', t.thinking));
    if (m.state === 'error') el.appendChild(h('p', 'plaibot-error', errText(m.err || {})));
    var shown = refs[m.show];
    if (shown) {
      var fig = el.appendChild(at(h('figure', 'plaibot-quote'), { 'aria-label': t.quote + ' [' + shown.n + ']' }));
      if (shown.snippet) fig.appendChild(h('blockquote', null, shown.snippet));
      describe(fig.appendChild(h('figcaption')), shown);
    }
    if (list.length) {
      var box = el.appendChild(h('div', 'plaibot-sources'));
      box.appendChild(h('p', null, t.sources));
      var ol = box.appendChild(at(h('ol'), { role: 'list' }));
      list.forEach(function (s) {
        var li = ol.appendChild(h('li'));
        li.appendChild(cite(m, s));
        li.appendChild(doc.createTextNode(' '));
        describe(li, s);
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
    if (!state.msgs.length) {
      log.appendChild(h('p', 'plaibot-empty', pick('greeting') || T().hello));
      var qs = pick('starters') || [];
      var box = qs.length ? log.appendChild(at(h('div', 'plaibot-starters'), { role: 'group', 'aria-label': T().starters })) : null;
      qs.forEach(function (q) {
        box.appendChild(button()).textContent = q;
        box.lastChild.addEventListener('click', function () { input.value = q; ask(); input.focus(); });
      });
    }
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

  var lang3 = function (name) {
    return { all: attr('data-' + name), id: attr('data-' + name + '-id'), en: attr('data-' + name + '-en') };
  };
  configure({
    color: attr('data-color'), position: attr('data-position'), theme: attr('data-theme'),
    title: lang3('title'), greeting: lang3('greeting'), starters: lang3('starters')
  });
  if (state.open) open(false);

  function mount() { if (!host.parentNode) doc.body.appendChild(host); }
  if (doc.body) mount(); else doc.addEventListener('DOMContentLoaded', mount);

  window.plaibot = {
    open: function () { open(true); },
    close: function () { close(false); },
    reset: reset,
    setLanguage: setLanguage,
    configure: configure
  };
})();
