// Back Routine web player: chapters, captions, lock-screen controls and remembered positions for the
// one <audio> of a routine page. Plain script, no dependencies; without it the page still plays
// through the browser's own controls.
(function () {
  "use strict";

  var SKIP_SECONDS = 10;
  var SAVE_EVERY_SECONDS = 5;
  var RESTART_CHAPTER_AFTER = 3; // "previous" within this many seconds of a chapter start goes one further back

  localizeTimes();
  var audio = document.getElementById("player-audio");
  choosePaceOnChange(audio);
  if (!audio) return;

  var chapters = readChapters();
  // serve --watch swaps in a rebuilt track and rewrites the chapter buttons (live.js): read them again,
  // or a click would seek to where the chapter was before the edit.
  audio.addEventListener("back-routine:rebuilt", function () {
    chapters.forEach(function (chapter) { chapter.button.removeAttribute("aria-current"); });
    chapters = readChapters();
    current = -1;
    showChapter(chapterAt(audio.currentTime));
  });

  function readChapters() {
    return Array.prototype.map.call(document.querySelectorAll("[data-chapter-start]"), function (button) {
      return {
        start: Number(button.getAttribute("data-chapter-start")) / 1000,
        title: button.getAttribute("data-chapter-title"),
        button: button
      };
    });
  }
  var chapterNow = document.getElementById("chapter-now");
  var caption = document.getElementById("caption");
  var toggle = document.querySelector('[data-action="toggle"]');
  var storageKey = "back-routine:position:" + audio.getAttribute("data-key");
  var current = -1;
  var lastSaved = 0;

  // -- chapters --------------------------------------------------------------------------------------

  function chapterAt(seconds) {
    for (var i = chapters.length - 1; i >= 0; i--) {
      // A little slack: a seek to a chapter start may land a few ms before it.
      if (seconds + 0.05 >= chapters[i].start) return i;
    }
    return chapters.length ? 0 : -1;
  }

  function showChapter(index) {
    if (index === current || index < 0) return;
    if (current >= 0) chapters[current].button.removeAttribute("aria-current");
    current = index;
    chapters[index].button.setAttribute("aria-current", "true");
    chapterNow.textContent = chapters[index].title;
    updateMetadata();
  }

  function seek(seconds, play) {
    var end = isFinite(audio.duration) ? audio.duration : Infinity;
    audio.currentTime = Math.max(0, Math.min(seconds, end));
    showChapter(chapterAt(audio.currentTime));
    if (play) playAudio();
  }

  function nextChapter() {
    var i = chapterAt(audio.currentTime);
    if (i + 1 < chapters.length) seek(chapters[i + 1].start, !audio.paused);
  }

  function previousChapter() {
    var i = chapterAt(audio.currentTime);
    if (i < 0) return;
    var intoChapter = audio.currentTime - chapters[i].start;
    var target = intoChapter > RESTART_CHAPTER_AFTER || i === 0 ? i : i - 1;
    seek(chapters[target].start, !audio.paused);
  }

  function playAudio() {
    var started = audio.play();
    if (started && started.catch) started.catch(function () { /* blocked or interrupted: the user can press play */ });
  }

  chapters.forEach(function (chapter, i) {
    chapter.button.addEventListener("click", function () { seek(chapters[i].start, true); });
  });

  var actions = {
    toggle: function () { if (audio.paused) playAudio(); else audio.pause(); },
    previous: previousChapter,
    next: nextChapter,
    back: function () { seek(audio.currentTime - SKIP_SECONDS, false); },
    restart: function () { hideResume(); seek(0, true); }
  };
  Array.prototype.forEach.call(document.querySelectorAll("[data-action]"), function (button) {
    var action = actions[button.getAttribute("data-action")];
    if (action) button.addEventListener("click", action);
  });

  function showPlaying() {
    toggle.textContent = audio.paused ? "Play" : "Pause";
    if ("mediaSession" in navigator) navigator.mediaSession.playbackState = audio.paused ? "paused" : "playing";
  }
  audio.addEventListener("play", showPlaying);
  audio.addEventListener("pause", showPlaying);
  audio.addEventListener("timeupdate", function () {
    showChapter(chapterAt(audio.currentTime));
    if (Math.abs(audio.currentTime - lastSaved) >= SAVE_EVERY_SECONDS) savePosition();
  });
  audio.addEventListener("seeked", function () { showChapter(chapterAt(audio.currentTime)); updatePosition(); });

  // -- captions: the VTT track stays hidden (audio shows none) and its cues are written under the player

  var track = audio.textTracks && audio.textTracks.length ? audio.textTracks[0] : null;

  function showCaption() {
    // The words being said, or else the last ones said before this point (dimmed), so a hold or a
    // rest still shows its instruction, and a seek never leaves words from elsewhere on screen.
    var active = track.activeCues && track.activeCues.length ? track.activeCues[track.activeCues.length - 1] : null;
    var shown = active;
    if (!shown && track.cues) {
      for (var i = 0; i < track.cues.length && track.cues[i].startTime <= audio.currentTime; i++) shown = track.cues[i];
    }
    var text = shown ? shown.text : "";
    if (caption.textContent !== text) caption.textContent = text;
    caption.classList.toggle("idle", !active);
  }

  if (track) {
    track.mode = "hidden"; // also what makes the browser load the cues
    track.addEventListener("cuechange", showCaption);
    audio.addEventListener("seeked", showCaption);
  }

  // -- remembered position, per track ------------------------------------------------------------------

  function savePosition() {
    lastSaved = audio.currentTime;
    try {
      if (audio.currentTime > 1 && !audio.ended) localStorage.setItem(storageKey, audio.currentTime.toFixed(1));
    } catch (e) { /* private mode or storage full: nothing to remember with */ }
  }

  function restorePosition() {
    // Arriving from a pace change (see the pace choice below): start at the chapter that was playing,
    // which the slower or quicker track has too, at its own time.
    var at = parseInt(new URLSearchParams(location.search).get("at"), 10);
    if (at >= 0 && at < chapters.length && audio.currentTime <= 1) {
      seek(chapters[at].start, false);
      return;
    }
    var saved = NaN;
    try { saved = parseFloat(localStorage.getItem(storageKey)); } catch (e) { /* no storage */ }
    if (!(saved > 5 && saved < audio.duration - 5) || audio.currentTime > 1) return;
    seek(saved, false);
    document.getElementById("resume-text").textContent = "Carrying on from " + clock(saved) + ".";
    document.getElementById("resume").hidden = false;
  }

  function hideResume() { document.getElementById("resume").hidden = true; }

  audio.addEventListener("pause", savePosition);
  audio.addEventListener("ended", function () {
    try { localStorage.removeItem(storageKey); } catch (e) { /* no storage */ }
  });
  window.addEventListener("pagehide", savePosition);
  if (audio.readyState >= 1) restorePosition();
  else audio.addEventListener("loadedmetadata", restorePosition, { once: true });

  // -- Media Session: lock screen, notification and headset buttons ----------------------------------

  function updateMetadata() {
    if (!("mediaSession" in navigator) || typeof MediaMetadata === "undefined") return;
    navigator.mediaSession.metadata = new MediaMetadata({
      title: current >= 0 ? chapters[current].title : audio.getAttribute("data-title"),
      artist: audio.getAttribute("data-title"),
      album: audio.getAttribute("data-album"),
      artwork: [{ src: audio.getAttribute("data-artwork"), sizes: "any", type: "image/svg+xml" }]
    });
  }

  function updatePosition() {
    var session = navigator.mediaSession;
    if (!session || !session.setPositionState || !isFinite(audio.duration)) return;
    try {
      session.setPositionState({ duration: audio.duration, playbackRate: audio.playbackRate,
                                 position: Math.min(audio.currentTime, audio.duration) });
    } catch (e) { /* a position past the duration while metadata changes */ }
  }

  if ("mediaSession" in navigator) {
    var handlers = {
      play: playAudio,
      pause: function () { audio.pause(); },
      previoustrack: previousChapter,
      nexttrack: nextChapter,
      seekbackward: function (d) { seek(audio.currentTime - (d.seekOffset || SKIP_SECONDS), false); },
      seekforward: function (d) { seek(audio.currentTime + (d.seekOffset || SKIP_SECONDS), false); },
      seekto: function (d) { seek(d.seekTime, false); }
    };
    Object.keys(handlers).forEach(function (name) {
      try { navigator.mediaSession.setActionHandler(name, handlers[name]); } catch (e) { /* not supported here */ }
    });
    audio.addEventListener("loadedmetadata", updatePosition);
    audio.addEventListener("ratechange", updatePosition);
    audio.addEventListener("play", updatePosition);
  }

  showChapter(chapterAt(0));
  updateMetadata();

  // -- helpers ---------------------------------------------------------------------------------------

  function clock(seconds) {
    var s = Math.floor(seconds), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(r).padStart(2, "0");
  }

  function choosePaceOnChange(audio) {
    // The pace list plays the chosen pace at once; without this script its button does the same.
    var select = document.getElementById("pace-select");
    if (!select) return;
    select.addEventListener("change", function () {
      var form = select.form;
      var playing = audio && audio.currentTime > 1 ? chapterIndexAt(audio.currentTime) : -1;
      if (playing >= 0) {
        var at = document.createElement("input");
        at.type = "hidden"; at.name = "at"; at.value = String(playing);
        form.appendChild(at);
      }
      form.submit();
    });
  }

  function chapterIndexAt(seconds) {
    var buttons = document.querySelectorAll("[data-chapter-start]"), found = -1;
    for (var i = 0; i < buttons.length; i++) {
      if (seconds + 0.05 >= Number(buttons[i].getAttribute("data-chapter-start")) / 1000) found = i;
    }
    return found;
  }

  function localizeTimes() {
    // The server writes UTC; the reader's own clock is friendlier.
    Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) el.textContent = when.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
    });
  }
})();
