// The resident's ticket page: when a refresh shows the ticket called, say so beyond the page itself: the tab's
// title (seen from another tab) and, where the phone allows it, a vibration.
(function () {
  'use strict';
  var baseTitle = document.title;
  var lastWindow = (document.getElementById('follow') || {dataset: {}}).dataset.window || '';

  function announce(el) {
    var win = el.dataset.window || '';
    var called = document.getElementById('follow-called');
    document.title = win && called ? called.textContent.trim() + ' · ' + el.dataset.number : baseTitle;
    if (win && win !== lastWindow && navigator.vibrate) {
      try { navigator.vibrate([400, 200, 400, 200, 400]); } catch (e) { /* not allowed before a touch */ }
    }
    lastWindow = win;
  }

  document.body.addEventListener('htmx:afterSettle', function () {
    var el = document.getElementById('follow');
    if (el) announce(el);
  });
  var first = document.getElementById('follow');
  if (first) announce(first);
})();
