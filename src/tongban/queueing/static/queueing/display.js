/* Call display (叫号屏): live over Server-Sent Events, 1 s polling as the fallback, and a queue of
   zh-CN voice announcements that never talk over each other (a recall is announced again). */
(function () {
  var root = document.getElementById('display');
  var api = root.getAttribute('data-api');
  var eventsUrl = root.getAttribute('data-events');
  var statusEl = document.getElementById('cd-status');
  var english = (document.documentElement.lang || '').indexOf('en') === 0;
  // on-screen labels come translated from the page; the spoken announcements stay zh-CN
  var L = {
    window: root.getAttribute('data-l-window') || '{n}号窗口',
    empty: root.getAttribute('data-l-empty') || '暂无呼叫',
    offline: root.getAttribute('data-l-offline') || '连接中断，正在重试…',
    polling: root.getAttribute('data-l-polling') || '轮询模式',
    voiceOff: root.getAttribute('data-l-voice-off') || '语音未开启，请点击开启'
  };
  function winLabel(n) { return esc(L.window.replace('{n}', n)); }
  var log = document.getElementById('announce-log');
  var VOICE_KEY = 'tb-display-voice';
  var voiceOn = false;
  try { voiceOn = localStorage.getItem(VOICE_KEY) === '1'; } catch (e) { voiceOn = false; }
  var voiceBtn = document.getElementById('voice-on');
  function showVoiceBtn() { voiceBtn.style.display = voiceOn ? 'none' : ''; }
  showVoiceBtn();
  // The voice stays on across reloads (localStorage), but after a reboot Chromium may refuse to speak until
  // someone taps the page: then the TV says so and shows the button again, rather than calling in silence.
  function voiceBlocked() {
    if (!voiceOn) return;
    voiceOn = false;
    try { localStorage.setItem(VOICE_KEY, ''); } catch (e) { /* ignore */ }
    voiceBtn.textContent = L.voiceOff;
    voiceBtn.setAttribute('data-blocked', '1');
    showVoiceBtn();
  }
  voiceBtn.addEventListener('click', function () {
    voiceOn = true;
    try { localStorage.setItem(VOICE_KEY, '1'); } catch (e) { /* ignore */ }
    voiceBtn.removeAttribute('data-blocked');
    showVoiceBtn();
    if ('speechSynthesis' in window) {
      var u = new SpeechSynthesisUtterance('语音播报已开启'); u.lang = 'zh-CN'; window.speechSynthesis.speak(u);
    }
  });

  // --- announcements: strictly one after another ---------------------------------------
  var pending = [];
  var speaking = false;
  function announce(text) {
    pending.push(text);
    if (!speaking) next();
  }
  function next() {
    var text = pending.shift();
    if (text === undefined) { speaking = false; return; }
    speaking = true;
    var li = document.createElement('li');
    li.textContent = text;
    log.appendChild(li);
    while (log.children.length > 30) log.removeChild(log.firstChild);
    var done = false;
    function finish() { if (done) return; done = true; setTimeout(next, 600); }
    if (voiceOn && 'speechSynthesis' in window) {
      var u = new SpeechSynthesisUtterance(text + '，' + text);
      u.lang = 'zh-CN';
      u.rate = 0.9;
      var started = false;
      u.onstart = function () { started = true; };
      u.onend = finish;
      u.onerror = function (e) {
        if (e && e.error === 'not-allowed') voiceBlocked(); // no tap on the page since it loaded
        finish();
      };
      window.speechSynthesis.speak(u);
      setTimeout(function () { // refused without a word: the speech never began
        if (!done && !started && !window.speechSynthesis.speaking) { voiceBlocked(); finish(); }
      }, 5000);
      setTimeout(finish, 12000); // a stuck engine must not block the queue forever
    } else {
      setTimeout(finish, 2500); // the same pacing without sound: the highlighted row stays readable
    }
  }

  // --- rendering -------------------------------------------------------------------------
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; }); }
  var flash = {};
  function render(data) {
    syncClock(data.at);
    var cur = document.getElementById('cd-current');
    if (!data.current.length) {
      cur.innerHTML = '<tr class="cd-empty"><td colspan="2">' + esc(L.empty) + '</td></tr>';
    } else {
      cur.innerHTML = data.current.map(function (c) {
        var cls = flash[c.ticket] ? ' class="cd-new"' : '';
        return '<tr data-ticket="' + c.ticket + '"' + cls + '><td class="cd-num">' + esc(c.number) +
          '</td><td class="cd-win">' + winLabel(c.window) + '</td></tr>';
      }).join('');
    }
    flash = {};
    fit();
    document.getElementById('cd-recent').innerHTML = data.recent.map(function (c) {
      return '<li>' + esc(c.number) + ' → ' + winLabel(c.window) + '</li>';
    }).join('');
    document.getElementById('cd-waiting').innerHTML = data.waiting.map(function (w) {
      // the queue's English name on an English page, as the server renders it (the local_name filter)
      var name = english && w.name_en ? w.name_en : w.name;
      return '<li data-prefix="' + esc(w.prefix) + '"><span>' + esc(w.prefix) + ' ' + esc(name) + '</span><b>' + w.waiting + '</b></li>';
    }).join('');
  }
  // Every current call must show, however many windows are calling: the rows get smaller and go into more
  // columns until the last one is on the screen (body has overflow hidden: what does not fit is not seen).
  var FITS = [[1, 96], [1, 80], [2, 80], [2, 64], [2, 54], [3, 54], [3, 44], [4, 40], [4, 34], [5, 30], [6, 26]];
  function fit() {
    var table = document.querySelector('.cd-current');
    var rows = document.getElementById('cd-current');
    if (!table || !rows) return;
    for (var i = 0; i < FITS.length; i++) {
      table.style.setProperty('--cd-cols', FITS[i][0]);
      table.style.setProperty('--cd-size', FITS[i][1] + 'px');
      table.classList.toggle('cd-multi', FITS[i][0] > 1);
      var fits = rows.getBoundingClientRect().bottom <= window.innerHeight - 8;
      for (var r = 0; fits && r < rows.children.length; r++) {
        var row = rows.children[r];
        fits = row.scrollWidth <= row.clientWidth + 1;
      }
      if (fits) break;
    }
    table.setAttribute('data-fit', String(Math.min(i, FITS.length - 1)));
  }
  window.addEventListener('resize', fit);
  fit();
  var inflight = false, again = false;
  function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    fetch(api, {headers: {'Accept': 'application/json'}, cache: 'no-store'})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(render)
      .catch(function () { statusEl.textContent = L.offline; })
      .finally(function () { inflight = false; if (again) { again = false; refresh(); } });
  }

  // --- live updates: SSE, or 1 s polling ---------------------------------------------------
  var pollTimer = null;
  function startPolling() {
    if (pollTimer) return;
    statusEl.textContent = L.polling;
    var lastAt = null; // the time of the newest call already shown: every call after it is announced
    pollTimer = setInterval(function () {
      fetch(api, {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (data) {
        // several calls can fall between two polls: each is announced, oldest first (recent is newest first)
        var newest = lastAt;
        data.recent.slice().reverse().forEach(function (c) {
          var at = Date.parse(c.at);
          if (lastAt !== null && at > lastAt) {
            flash[c.ticket] = true;
            announce('请 ' + c.number + ' 号到 ' + c.window + ' 号窗口');
          }
          if (newest === null || at > newest) newest = at;
        });
        lastAt = newest === null ? 0 : newest;
        render(data);
      }).catch(function () { /* keep polling */ });
    }, 1000);
  }
  if (!window.EventSource) {
    startPolling();
  } else {
    var failures = 0;
    var es = new EventSource(eventsUrl);
    es.onopen = function () { failures = 0; statusEl.textContent = ''; refresh(); };
    // Each call is announced once, whatever the stream says twice (a reconnection's replay of a call also heard
    // live): by its call event's id.
    var heard = {}, heardOrder = [];
    function firstTime(id) {
      if (id === undefined || id === null) return true;
      if (heard[id]) return false;
      heard[id] = true;
      heardOrder.push(id);
      if (heardOrder.length > 200) delete heard[heardOrder.shift()];
      return true;
    }
    es.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { return; }
      if ((msg.type === 'call' || msg.type === 'recall') && firstTime(msg.event)) {
        flash[msg.ticket] = true;
        announce(msg.text);
      }
      refresh();
    };
    es.onerror = function () {
      failures += 1;
      if (failures >= 5) { es.close(); startPolling(); }
    };
    setInterval(refresh, 15000); // safety net: the database is the truth
  }
  // The clock shows the hall's time: the center's time zone (not the TV's setting) and the server's clock (each
  // snapshot says when it was taken; a TV whose own clock is wrong is corrected by the difference).
  var clockOffset = 0;
  function syncClock(at) {
    var t = Date.parse(at);
    if (!isNaN(t)) clockOffset = t - Date.now();
  }
  var clockOpts = {hour12: false, timeZone: root.getAttribute('data-tz') || undefined};
  function tick() {
    var d = new Date(Date.now() + clockOffset);
    var lang = document.documentElement.lang || 'zh-CN';
    var text;
    try { text = d.toLocaleString(lang, clockOpts); } catch (e) { text = d.toLocaleString(lang, {hour12: false}); }
    document.getElementById('cd-clock').textContent = text;
  }
  try { syncClock(JSON.parse(document.getElementById('snapshot-data').textContent).at); } catch (e) { /* keep 0 */ }
  tick();
  setInterval(tick, 1000);
  window.tbDisplay = {announce: announce, refresh: refresh, fit: fit};
})();
