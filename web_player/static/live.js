// Back Routine live reload (back-routine serve --watch): when the track on screen is rebuilt after a
// save, play the new one from the same place, as it was playing or paused, with its captions and
// chapter times; when a save does not build, say why above the player and keep playing the last good
// track. Reads only the page: the <audio data-key>, its <track>, the [data-chapter-start] buttons;
// nothing of player.js. Events come from web_player/live.py (server-sent events, or a poll each second
// when those fail).
//
// After a swap the <audio> gets "back-routine:rebuilt" (detail: the new track, as live.py sends it)
// and, once the new file plays or is ready where it was, "back-routine:track-ready" (detail: times).
(function () {
  "use strict";

  var POLL_MS = 1000;
  var SILENCE_MS = 40000; // the server sends a heartbeat every 15 s: this long without one is a dead stream
  var CARRY_FOR_MS = 60000; // a place carried over a reload older than this is stale

  var script = document.currentScript;
  var audio = document.querySelector("audio[data-key]");
  if (!script || !audio) return;
  var key = audio.getAttribute("data-key");
  var carryKey = "back-routine:live:" + key;
  var status = statusBox();
  var lastSeq = null;

  restoreCarried();
  follow();

  // -- what the server says ------------------------------------------------------------------------

  function apply(state) {
    var fresh = state.seq !== lastSeq;
    var first = lastSeq === null; // what happened before this page opened is no news
    lastSeq = state.seq;
    if (state.status === "building") {
      if (fresh) status.note("Rebuilding after your save…");
      return; // files are being replaced: wait for the outcome
    }
    if (state.status === "failed") {
      if (fresh) status.error(state.message);
    } else if (fresh && !first && state.status === "built") {
      status.note("Updated from your save at " + new Date(state.at * 1000).toLocaleTimeString() + ".");
    }
    if (!state.track) {
      location.reload(); // the level or track is gone: the server's page says what there is instead
      return;
    }
    // No audio URL: the file is missing for a moment (or refused); keep what plays.
    if (!state.track.audio) return;
    if (!samePath(state.track.audio, audio.src)) {
      // The page plays something made from the built track, not the file itself (another pace): the
      // server makes it again from the new build when the page loads again.
      if (fresh && !first && state.status === "built") {
        carry(audio.currentTime);
        location.reload();
      }
      return;
    }
    if (absolute(state.track.audio) !== audio.src) swap(state.track);
  }

  function follow() {
    var url = withKey(script.getAttribute("data-events"));
    if (!window.EventSource) return poll();
    var source = new EventSource(url);
    var watchdog = null;
    function alive() {
      clearTimeout(watchdog);
      watchdog = setTimeout(function () { source.close(); follow(); }, SILENCE_MS);
    }
    source.addEventListener("open", alive);
    source.addEventListener("heartbeat", alive);
    source.addEventListener("state", function (event) { alive(); apply(JSON.parse(event.data)); });
    source.addEventListener("error", function () {
      // A dropped stream reconnects by itself; a refused one (too many pages follow) is closed: poll.
      if (source.readyState === EventSource.CLOSED) {
        clearTimeout(watchdog);
        poll();
      }
    });
  }

  function poll() {
    fetch(withKey(script.getAttribute("data-state")), { cache: "no-store" })
      .then(function (response) {
        // 404: live reload is off on this server; another 4xx: asking again would not help.
        if (response.status >= 400 && response.status < 500) return null;
        return response.ok ? response.json() : undefined;
      })
      .then(function (state) {
        if (state === null) return;
        if (state) apply(state);
        setTimeout(poll, POLL_MS);
      }, function () { setTimeout(poll, 5 * POLL_MS); }); // the server is down or restarting
  }

  // -- the new track in place of the old ------------------------------------------------------------

  function swap(track) {
    var chapters = chapterButtons();
    if (!sameChapters(chapters, track.chapters)) {
      // Chapters added, removed or renamed: the whole page changes, so load it again.
      carry(placeIn(chapters, track.chapters));
      location.reload();
      return;
    }
    var requestedAt = Date.now();
    var position = placeIn(chapters, track.chapters);
    var playing = !audio.paused && !audio.ended;
    var captions = audio.querySelector("track");
    // The same TextTrack loads the new cues, so whatever shows captions keeps working.
    if (captions && track.captions) captions.src = track.captions;
    audio.src = track.audio;
    resumeAt(position, playing, function (readyAt) {
      audio.dispatchEvent(new CustomEvent("back-routine:track-ready", {
        detail: { requestedAt: requestedAt, readyAt: readyAt, position: audio.currentTime, playing: !audio.paused }
      }));
    });
    chapters.forEach(function (button, i) { updateChapter(button, track.chapters[i]); });
    audio.dispatchEvent(new CustomEvent("back-routine:rebuilt", { detail: track }));
  }

  function resumeAt(position, playing, done) {
    function go() {
      var end = isFinite(audio.duration) ? audio.duration : position;
      audio.currentTime = Math.max(0, Math.min(position, end - 0.05));
      audio.addEventListener(playing ? "playing" : "seeked", function () { done(Date.now()); }, { once: true });
      if (playing) {
        var started = audio.play();
        if (started && started.catch) started.catch(function () { /* blocked: the user presses play */ });
      }
    }
    // A new src drops readyState to nothing at once, so this waits for the new file's metadata.
    if (audio.readyState >= 1) go();
    else audio.addEventListener("loadedmetadata", go, { once: true });
  }

  // The same place: as far into the same chapter (an edit in an earlier one moves the chapter, not
  // what is heard), else the same time.
  function placeIn(buttons, chapters) {
    var now = audio.currentTime;
    for (var i = buttons.length - 1; i >= 0; i--) {
      var start = Number(buttons[i].getAttribute("data-chapter-start")) / 1000;
      if (now + 0.05 >= start) {
        return chapters[i] && chapters[i].title === buttons[i].getAttribute("data-chapter-title")
          ? chapters[i].start_ms / 1000 + Math.max(now - start, 0) : now;
      }
    }
    return now;
  }

  function chapterButtons() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-chapter-start]"));
  }

  function sameChapters(buttons, chapters) {
    return buttons.length === chapters.length && buttons.every(function (button, i) {
      return button.getAttribute("data-chapter-title") === chapters[i].title;
    });
  }

  function updateChapter(button, chapter) {
    button.setAttribute("data-chapter-start", chapter.start_ms);
    button.setAttribute("data-chapter-end", chapter.end_ms);
    button.setAttribute("aria-label", chapter.title + ", at " + chapter.spoken);
    var time = button.querySelector(".chapter-time");
    if (time) time.textContent = chapter.clock;
  }

  // -- a place carried over a reload ---------------------------------------------------------------

  function carry(position) {
    try {
      sessionStorage.setItem(carryKey, JSON.stringify({ position: position, playing: !audio.paused, at: Date.now() }));
    } catch (e) { /* no storage: the page starts where the player remembers */ }
  }

  function restoreCarried() {
    var carried = null;
    try {
      carried = JSON.parse(sessionStorage.getItem(carryKey));
      sessionStorage.removeItem(carryKey);
    } catch (e) { /* no storage */ }
    if (!carried || !(Date.now() - carried.at < CARRY_FOR_MS)) return;
    resumeAt(carried.position, carried.playing, function () {});
  }

  // -- what the author reads ------------------------------------------------------------------------

  function statusBox() {
    var box = document.createElement("div");
    box.className = "live-status";
    box.hidden = true;
    var text = document.createElement("p");
    var detail = document.createElement("pre");
    detail.style.whiteSpace = "pre-wrap"; // a long message wraps instead of scrolling sideways
    box.appendChild(text);
    box.appendChild(detail);
    audio.parentNode.insertBefore(box, audio);
    return {
      note: function (message) {
        box.setAttribute("role", "status");
        box.classList.remove("live-error");
        text.textContent = message;
        text.className = "muted";
        detail.hidden = true;
        box.hidden = false;
      },
      error: function (message) {
        box.setAttribute("role", "alert");
        box.classList.add("live-error");
        text.textContent = "Your last save did not build, so this is still the track from before it. " +
          "Fix this and save again:";
        text.className = "";
        detail.textContent = message;
        detail.hidden = false;
        box.hidden = false;
      }
    };
  }

  function withKey(url) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "key=" + encodeURIComponent(key);
  }

  function absolute(url) {
    return new URL(url, location.href).href;
  }

  function samePath(a, b) {
    return new URL(a, location.href).pathname === new URL(b, location.href).pathname;
  }
})();
