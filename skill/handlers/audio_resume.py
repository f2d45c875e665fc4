"""Going on with the audio version from any handler: the track for the user's routine, level and
pace (or why none can play, and then the voice guide carries on), resuming the stream, offering that
at launch, and the same step after a change of pace or level.

Launch, the yes/no answers, the pace and level handlers, loop and shuffle and the playback buttons use
these as well as the audio intents (audio.py): kept apart, none of them depends on those intents.
"""
from __future__ import annotations

from ask_sdk_model import Response

from ..audio_player import rewound
from ..audio_state import FINISHED
from ..audio_tracks import Track
from ..routines import Course
from ..session_state import MODE_VOICE, QUESTION_RESUME_AUDIO
from ..speech import esc
from .audio_flow import current_spot, current_track, in_stream, note_sentence, playing_now, respond, start_stream
from .base import Turn
from .flow import no_routines, play, resume_target, start_run

REPROMPT_AUDIO = "Say resume to carry on listening, or start to follow along by voice."


def available_track(turn: Turn, course: Course) -> tuple[Track | None, str]:
    """The full-session track for the user's routine, level and pace (or the nearest pace there is as
    audio), or why it cannot play (one sentence)."""
    if not turn.supports("AudioPlayer"):
        return None, "This device can't play the audio version, so I'll guide you by voice."
    if not turn.deps.audio.configured:
        return None, "The audio version isn't set up for this skill yet, so I'll guide you by voice."
    graph = course.graph
    track = turn.deps.audio.track(graph.routine_id, graph.level, graph.pace)
    if track is None:
        return None, (f"The audio version of {esc(graph.title)} at the {esc(graph.level)} level hasn't been built yet, "
                      "so I'll guide you by voice.")
    return track, ""


def nearest_pace_sentence(track: Track) -> str:
    """When the track is not at the user's pace (only some paces are published): which it is."""
    if not track.approximate:
        return ""
    wanted = track.wanted_pace
    how = "faster" if track.pace < wanted else "slower"
    how = f"a little {how}" if abs(track.pace - wanted) <= 0.3 else how
    return f"The nearest pace I have as audio is {_pace(track.pace)}, {how} than your {_pace(wanted)}."


def _pace(pace: float) -> str:
    return f"{round(pace, 2):g}"


def _sentences(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def audio_adjusted(turn: Turn, said: str) -> Response:
    """After "slower", "faster", "easier" or "harder" while the audio is in charge: the same step of
    the track at the new setting, saying briefly what changed. A paused stream stays paused (resume
    then plays the new track from there); a finished one is not started again."""
    track = current_track(turn)
    if track is None:
        return resume_audio(turn, said)
    lead = _sentences(said, nearest_pace_sentence(track))
    if turn.state.audio.status == FINISHED:
        return turn.reply(f"{lead} Say start over to hear the audio version again.",
                          "Say start over to hear it again, or stop to finish.")
    if not playing_now(turn.handler_input):
        return turn.reply(f"{lead} Say resume to carry on listening.", REPROMPT_AUDIO)
    if in_stream(turn, track):  # no other pace as audio: the stream carries on as it is
        return respond(turn, None, lead)
    spot = current_spot(turn, track)
    return start_stream(turn, track, spot.offset_ms, spot.chapter, _sentences(lead, note_sentence(spot)))


def voice_instead(turn: Turn, course: Course, sentence: str) -> Response:
    """Say why there is no audio, then carry on by voice: from the user's place, or from the start."""
    state = turn.state
    state.mode = MODE_VOICE
    if state.in_progress and not turn.routine_changed:
        block, part = resume_target(course, state.place)
        return play(turn, course, block, part, f"{sentence} Let's carry on where you left off.")
    return start_run(turn, course, lead=sentence)


def resume_audio(turn: Turn, lead: str = "") -> Response:
    """Play on from where the stream stopped, a few seconds back; the start once it was finished."""
    state = turn.state
    track = current_track(turn)
    if track is None:
        if not turn.speakable:
            return respond(turn)
        course = turn.course()
        if course is None:
            return no_routines(turn)
        return voice_instead(turn, course, "The audio version isn't available right now, so I'll guide you by voice.")
    if state.audio.status == FINISHED:
        if turn.speakable:
            return turn.reply("You've finished the audio version. Well done. Say start over to hear it again.",
                              "Say start over to hear it again, or stop to finish.")
        first = track.chapters[0]
        return start_stream(turn, track, 0, first)
    spot = current_spot(turn, track)
    speech = " ".join(s for s in (lead, note_sentence(spot)) if s) or None
    return start_stream(turn, track, rewound(spot), spot.chapter, speech)


def offer_audio_resume(turn: Turn, welcome: str) -> Response:
    """A returning user who was listening: offer to carry on playing."""
    audio = turn.state.audio
    turn.state.ask(QUESTION_RESUME_AUDIO, turn.session_id)
    return turn.reply(f"{welcome} You were listening to the audio version, at {esc(audio.chapter_title or 'the start')}. "
                      "Shall I carry on playing?", "Say yes to carry on playing, or start to follow along by voice.")


def audio_to_resume(turn: Turn) -> bool:
    """Launch: is there a stream to offer to resume (not finished, and this device can play it)?"""
    audio = turn.state.audio
    return (turn.state.mode != MODE_VOICE and audio is not None and audio.status != FINISHED
            and turn.supports("AudioPlayer") and current_track(turn) is not None)
