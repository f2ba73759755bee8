/* Window screen (窗口屏): follows the center's event stream, narrowed to this window, and re-reads its part when
   something happened there, so a call shows within a second. The part is replaced only when it changed: the
   called number flashes when it is new, not on every re-read; a recall flashes it again. Without a stream (no
   EventSource, or it keeps failing) the part is polled every data-poll seconds. */
(function () {
  var root = document.getElementById('ws-root');
  if (!root) return;
  var url = root.getAttribute('data-url');
  var eventsUrl = root.getAttribute('data-events');
  var poll = (Number(root.getAttribute('data-poll')) || 1) * 1000;
  var check = (Number(root.getAttribute('data-check')) || 15) * 1000;

  function flashAgain() {
    var num = document.getElementById('ws-number');
    if (num && num.classList.contains('ws-called')) num.replaceWith(num.cloneNode(true)); // restarts the animation
  }
  var inflight = false, again = false, recalled = false;
  function refresh() {
    if (inflight) { again = true; return; }
    inflight = true;
    fetch(url, {headers: {'HX-Request': 'true'}, cache: 'no-store'})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var t = document.createElement('template');
        t.innerHTML = html.trim();
        var fresh = t.content.firstElementChild;
        var shown = document.getElementById('ws');
        if (fresh && shown && fresh.outerHTML !== shown.outerHTML) {
          shown.replaceWith(fresh);
        } else if (recalled) {
          flashAgain();
        }
        recalled = false;
      })
      .catch(function () { /* the next message or check tries again */ })
      .finally(function () { inflight = false; if (again) { again = false; refresh(); } });
  }

  var pollTimer = null;
  function startPolling() {
    if (pollTimer) return;
    root.setAttribute('data-live', 'polling');
    pollTimer = setInterval(refresh, poll);
  }
  if (!window.EventSource) {
    startPolling();
    return;
  }
  var failures = 0;
  var es = new EventSource(eventsUrl);
  es.addEventListener('hello', function () { // what happened while connecting
    failures = 0;
    root.setAttribute('data-live', '1');
    refresh();
  });
  es.onmessage = function (ev) {
    var msg;
    try { msg = JSON.parse(ev.data); } catch (e) { return; }
    if (msg.type === 'recall') recalled = true;
    refresh();
  };
  es.onerror = function () {
    root.setAttribute('data-live', '');
    failures += 1;
    if (failures >= 5) { es.close(); startPolling(); }
  };
  setInterval(refresh, check); // safety net: the database is the truth
  window.tbWindowScreen = {refresh: refresh};
})();
