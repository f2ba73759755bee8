/* Window panel hotkeys: F2 call next, F3 recall, F4 start, F6 no-show, F9 finish (the panel may be
   embedded in the applications workbench; the buttons carry data-hotkey). */
(function () {
  if (window.__tbQueueHotkeys) return;
  window.__tbQueueHotkeys = true;
  document.addEventListener('keydown', function (ev) {
    if (!/^F\d+$/.test(ev.key)) return;
    var btn = document.querySelector('#queue-panel [data-hotkey="' + ev.key + '"]');
    if (!btn) return;
    ev.preventDefault();
    if (!btn.disabled) btn.click();
  });
})();
