/* Ticket machine: elderly mode (bigger, prompts read aloud), print, idle wipe back to the start. */
(function () {
  var body = document.body;
  var KEY = 'tb-elderly';
  function speak(text) {
    if (!text || !('speechSynthesis' in window)) return;
    var u = new SpeechSynthesisUtterance(text);
    // read the prompts in the language they are shown in
    u.lang = document.documentElement.lang === 'en' ? 'en-US' : 'zh-CN';
    u.rate = 0.85;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(u);
  }
  // Everything marked data-speak, in the order it is shown: a step's heading and instructions, an error, and on
  // the ticket page the number (as a sentence: data-speak-text), how many are ahead and the wait.
  function readPrompts() {
    var parts = [];
    document.querySelectorAll('[data-speak]').forEach(function (el) {
      var text = (el.getAttribute('data-speak-text') || el.textContent).replace(/\s+/g, ' ').trim();
      if (text) parts.push(text.replace(/[。.]$/, ''));
    });
    speak(parts.join(document.documentElement.lang === 'en' ? '. ' : '。'));
  }
  function setElderly(on) {
    body.classList.toggle('elderly', on);
    var btn = document.getElementById('elderly-toggle');
    if (btn) btn.setAttribute('aria-pressed', on ? 'true' : 'false');
    try { sessionStorage.setItem(KEY, on ? '1' : ''); } catch (e) { /* private mode */ }
  }
  // This ticket's slip printed already (a reload, the page again after the SMS form): the "printing, take it"
  // note would send a resident to wait for a slip that is not coming, and elderly mode would read it out.
  var printedSlip = document.querySelector('.ticket-slip[data-ticket]');
  try {
    if (printedSlip && sessionStorage.getItem('tb-printed') === printedSlip.getAttribute('data-ticket')) {
      var note = document.getElementById('print-note');
      if (note) note.remove();
    }
  } catch (e) { /* private mode: the note stays */ }
  var on = false;
  try { on = sessionStorage.getItem(KEY) === '1'; } catch (e) { on = false; }
  setElderly(on);
  if (on) readPrompts();
  var toggle = document.getElementById('elderly-toggle');
  if (toggle) toggle.addEventListener('click', function () {
    var next = !body.classList.contains('elderly');
    setElderly(next);
    if (next) readPrompts();
  });
  // The slip prints by itself once the number is given (with Chromium's --kiosk-printing, straight to the
  // printer): a resident who does not see the print button still leaves with the slip. Once per ticket: a
  // reload of the same page (or the page again after asking for the SMS) does not print it twice; the button
  // prints it again. A machine without a printer (?paper=screen) prints nothing.
  var slip = document.querySelector('.ticket-slip[data-ticket]');
  var printBtn = document.getElementById('print-btn');
  if (printBtn) printBtn.addEventListener('click', function () { window.print(); });
  var PRINTED = 'tb-printed'; // also read above, for the note
  var printed = !(slip && slip.getAttribute('data-autoprint') === '1');
  function printOnce() {
    var id = slip.getAttribute('data-ticket');
    var again = false;
    try {
      again = sessionStorage.getItem(PRINTED) === id;
      sessionStorage.setItem(PRINTED, id); // before printing: a reload during the print is not a second slip
    } catch (e) { again = false; /* private mode: printing twice beats not printing */ }
    if (!again) window.print();
    printed = true;
    reset(); // the idle wipe counts from now: it cannot take the page away before the slip has printed
  }
  // idle wipe: back to the start screen after 45 s without a touch (ticket page: 30 s)
  var home = document.getElementById('start-over');
  var limit = document.getElementById('ticket-number') ? 30000 : 45000;
  var timer;
  // a language chosen by one resident is not the next one's: the wipe goes back to Chinese too
  function languageChosen() { return /(?:^|; )django_language=/.test(document.cookie); }
  function reset() {
    clearTimeout(timer);
    if (!printed) return;
    timer = setTimeout(function () {
      try { sessionStorage.removeItem(KEY); } catch (e) { /* ignore */ }
      var chosen = languageChosen();
      if (chosen) document.cookie = 'django_language=; Max-Age=0; path=/';
      if (home && (chosen || location.href !== home.href)) location.href = home.href;
    }, limit);
  }
  ['click', 'keydown', 'touchstart', 'input'].forEach(function (ev) { document.addEventListener(ev, reset, true); });
  if (!printed) {
    // after the page's styles and the QR code are in: what prints is the finished slip
    if (document.readyState === 'complete') printOnce(); else window.addEventListener('load', printOnce);
  } else if (home && (location.pathname + location.search !== home.getAttribute('href') || languageChosen())) {
    reset();
  }
})();
