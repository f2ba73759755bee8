/* Kiosk behaviour: idle wipe (countdown, then /kiosk/reset/), and voice prompts in elderly mode. */
(function () {
  "use strict";
  var cfg = document.getElementById("kiosk-config").dataset;
  var idle = parseInt(cfg.idleSeconds || "60", 10) * 1000;
  var countdown = parseInt(cfg.countdownSeconds || "10", 10);
  var resetUrl = cfg.resetUrl;
  var elderly = document.body.classList.contains("elderly");
  var overlay = document.getElementById("kiosk-idle");
  var counter = document.getElementById("kiosk-idle-count");
  var stay = document.getElementById("kiosk-stay");
  var idleTimer = null, tickTimer = null, left = 0;

  function say(text) {
    if (!elderly || !text || !window.speechSynthesis) return;
    try {
      window.speechSynthesis.cancel();
      var u = new SpeechSynthesisUtterance(text);
      u.lang = document.documentElement.lang === "en" ? "en-US" : "zh-CN";
      u.rate = 0.85;
      window.speechSynthesis.speak(u);
    } catch (e) { /* no voice on this terminal */ }
  }
  function wipe() {
    var url = resetUrl + (elderly ? "?elderly=1" : "");
    document.querySelectorAll("input").forEach(function (i) { i.value = ""; });
    var main = document.getElementById("main");
    if (main) main.innerHTML = "";
    window.location.replace(url);
  }
  function stopCountdown() {
    if (tickTimer) { clearInterval(tickTimer); tickTimer = null; }
    if (overlay) overlay.hidden = true;
  }
  function startCountdown() {
    left = countdown;
    if (overlay) { overlay.hidden = false; }
    if (stay) stay.focus();
    if (counter) counter.textContent = String(left);
    say(overlay ? overlay.dataset.say : "");
    tickTimer = setInterval(function () {
      left -= 1;
      if (counter) counter.textContent = String(Math.max(left, 0));
      if (left <= 0) { stopCountdown(); wipe(); }
    }, 1000);
  }
  function activity() {
    stopCountdown();
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(startCountdown, idle);
  }
  ["pointerdown", "keydown", "touchstart", "input", "wheel"].forEach(function (ev) {
    document.addEventListener(ev, activity, { passive: true });
  });
  if (stay) stay.addEventListener("click", activity);
  activity();

  // Voice prompts: the page's prompt on load, and each button's label when touched.
  var prompt = document.querySelector("[data-say]:not(#kiosk-idle)");
  if (prompt) setTimeout(function () { say(prompt.dataset.say); }, 300);
  document.addEventListener("click", function (e) {
    var el = e.target.closest("a.btn, button");
    if (el && el.id !== "kiosk-stay") say(el.dataset.say || el.textContent.trim());
  });
  window.tongbanKiosk = { say: say, wipe: wipe };
})();
