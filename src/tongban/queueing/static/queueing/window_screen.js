/* Window screen (窗口屏): re-reads itself when the center's event stream speaks of this window (a call, a
   recall, a finish, a pause) or of a ticket's state; every 30 s regardless (htmx), in case the stream is down. */
(function () {
  'use strict';
  var root = document.getElementById('window-screen-root');
  if (!root || !window.EventSource) return;
  var number = parseInt(root.getAttribute('data-window'), 10);
  function refresh() {
    var el = document.getElementById('ws');
    if (el && window.htmx) window.htmx.trigger(el, 'refresh');
  }
  var source = new EventSource(root.getAttribute('data-events'));
  source.onmessage = function (event) {
    var msg;
    try { msg = JSON.parse(event.data); } catch (e) { return; }
    if (msg.window === number || msg.type === 'state') refresh();
  };
  source.addEventListener('hello', refresh); // (re)connected: whatever happened meanwhile
})();
