"""What every handler shares: its dependencies, one request's view (`Turn`), and base classes.

Handlers get their dependencies through the constructor (no module globals), read and change the
user's state through `Turn.state`, and build replies with `Turn.reply`. The state is loaded by a
request interceptor and saved by a response interceptor (skill/handlers/state.py).
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model import IntentRequest, Response

from ..audio_tracks import AudioCatalog
from ..routines import Course, RoutineLibrary
from ..session_state import UserState
from ..speech import esc

STATE_KEY = "back_routine.state"
LOADED_KEY = "back_routine.loaded"  # the attributes as loaded, to save only what changed

Clock = Callable[[], dt.datetime]

# The two reprompts most replies end with (inside a run, and before one), shared by every handler module.
REPROMPT_GO_ON = "Say next when you're ready, or repeat to hear that again."
REPROMPT_START = "Say start when you're ready, or help to hear what you can say."

# How much of something the user said is quoted back ("I don't know a routine called ..."): enough to
# recognise it, and a long slot value must not blow the reply past Alexa's size limits.
QUOTE_CHARS = 60


def pending_question(handler_input: HandlerInput) -> str | None:
    """The yes/no question asked in this request's session and not yet answered, if any: answer
    handlers for one question take their intent only while it is pending (handlers/__init__.py)."""
    state = handler_input.attributes_manager.request_attributes.get(STATE_KEY)
    session = handler_input.request_envelope.session
    if state is None or session is None:
        return None
    return state.pending_question(session.session_id)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Deps:
    """Everything handlers need from outside: the routines, the built tracks and the time."""

    library: RoutineLibrary
    clock: Clock = utc_now
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("skill"))
    audio: AudioCatalog = field(default_factory=lambda: AudioCatalog(None, None))  # default: no audio mode


class Turn:
    """One request as the handlers see it."""

    def __init__(self, handler_input: HandlerInput, deps: Deps):
        self.handler_input = handler_input
        self.deps = deps
        attributes = handler_input.attributes_manager.request_attributes
        state = attributes.get(STATE_KEY)
        if state is None:  # e.g. a handler used without the interceptor, in a unit test
            state = attributes[STATE_KEY] = UserState()
        self.state: UserState = state
        self._notices: list[str] = []
        self._long_slot_values: set[str] = set()
        self.routine_changed = False
        self._course_checked = False
        self._course: Course | None = None

    # -- request ------------------------------------------------------------------------------------

    @property
    def session_id(self) -> str | None:
        session = self.handler_input.request_envelope.session
        return session.session_id if session is not None else None

    @property
    def speakable(self) -> bool:
        """Alexa takes speech only in requests with a session (not AudioPlayer/PlaybackController)."""
        return self.handler_input.request_envelope.session is not None

    def supports(self, interface: str) -> bool:
        """Does the device support this interface ("AudioPlayer", "Alexa.Presentation.APL")?"""
        return device_supports(self.handler_input, interface)

    def now(self) -> dt.datetime:
        return self.deps.clock()

    def slot(self, name: str) -> tuple[str | None, str | None]:
        """(resolved id, spoken value) of a slot; (None, None) when it is empty.

        Alexa resolves custom slot values against the model's values and synonyms and sends the id
        in `resolutions`; the raw words are kept for matching ourselves when it did not.
        """
        request = self.handler_input.request_envelope.request
        intent = getattr(request, "intent", None)
        slots = (intent.slots if intent is not None else None) or {}
        slot = slots.get(name)
        if slot is None:
            return None, None
        value = (slot.value or "").strip() or None
        resolved = None
        resolutions = getattr(slot, "resolutions", None)
        for authority in (getattr(resolutions, "resolutions_per_authority", None) or []):
            code = getattr(getattr(getattr(authority, "status", None), "code", None), "value", None)
            if code == "ER_SUCCESS_MATCH" and authority.values:
                resolved = authority.values[0].value.id
                break
        if value in ("?",):  # Alexa's placeholder for a number it could not hear
            value = None
        # Returned whole (matching and the pain-word scan need every word); only quoting is cut, in reply().
        self._long_slot_values.update(v for v in (resolved, value) if v and len(v) > QUOTE_CHARS)
        return resolved, value

    # -- routine --------------------------------------------------------------------------------

    def course(self) -> Course | None:
        """The user's routine at their level and pace.

        If the routine they were in has gone (file deleted or broken), they are moved to the first
        routine that loads and told so once in this reply; None when there is no routine at all.
        """
        if self._course_checked:
            return self._course
        self._course_checked = True
        library, state = self.deps.library, self.state
        if state.routine and library.get(state.routine) is None:
            gone = state.routine_title or state.routine.replace("-", " ")
            self._notices.append(f"The routine you were doing, {esc(gone)}, isn't available any more.")
            state.routine = state.routine_title = None
            state.place = None
            state.run_started = None
            state.clear_question()
            self.routine_changed = True
        if not state.routine:
            state.routine = library.default_id()
            if state.routine is None:
                return None
            if self.routine_changed:
                self._notices.append(f"I've set you up with {esc(library.get(state.routine).title)} instead.")
        self._course = library.course(state.routine, state.level_for(state.routine), state.pace)
        if self._course is not None:
            state.routine_title = self._course.graph.title
            if state.place is not None:  # the routine may have been edited under the user's place
                block, part = self._course.clamp(state.place.block, state.place.part)
                if (block, part) != (state.place.block, state.place.part):
                    state.place = type(state.place)(block, part, state.place.done, state.place.finished)
                if (not state.place.finished and not state.place.done and self.session_id is not None
                        and state.played_in == self.session_id):
                    # They have just heard this chunk: going on from it opens with the rest in between
                    # (a rest is for moving on, not for repeating a set, coming back another day, or
                    # after a break they asked for, which was their rest).
                    self._course = self._course.seen_from(block, part)
        return self._course

    def refresh_course(self) -> Course | None:
        """After a level or pace change."""
        self._course_checked = False
        return self.course()

    # -- reply --------------------------------------------------------------------------------------

    def reply(self, speech: str, reprompt: str | None = None, *, end: bool = False) -> Response:
        """Speak `speech` (SSML body, without <speak>), prefixed with any notice for this turn.

        With a reprompt the microphone stays open; `end` closes the session; neither leaves the
        session open without a reprompt (used only where Alexa forbids one).
        """
        builder = self.handler_input.response_builder
        notices = self._notices
        if self.state.notice:  # left by a request nobody could hear (e.g. a failed audio stream)
            notices, self.state.notice = [self.state.notice] + notices, None
        builder.speak(self._quoted(" ".join(notices + [speech])))
        if end:
            builder.set_should_end_session(True)
        elif reprompt:
            builder.ask(self._quoted(reprompt))
        return builder.response

    def _quoted(self, ssml: str) -> str:
        """`ssml` with every long slot value it quotes cut to QUOTE_CHARS."""
        for value in sorted(self._long_slot_values, key=len, reverse=True):
            ssml = ssml.replace(esc(value), esc(quote(value)))
        return ssml

    def silent(self) -> Response:
        """No speech: for requests nobody hears (SessionEndedRequest, System.ExceptionEncountered)."""
        return self.handler_input.response_builder.response


def quote(said: str, limit: int = QUOTE_CHARS) -> str:
    """The start of `said`, at most `limit` characters, cut between words where it can be."""
    said = " ".join(said.split())
    if len(said) <= limit:
        return said
    cut = said[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut).rstrip(" ,.;:")


def device_supports(handler_input: HandlerInput, interface: str) -> bool:
    # The device lists what it supports, each as an object (often empty): present means supported.
    system = getattr(handler_input.request_envelope.context, "system", None)
    interfaces = getattr(getattr(system, "device", None), "supported_interfaces", None)
    if interfaces is None:
        return False
    attribute = {"AudioPlayer": "audio_player", "Alexa.Presentation.APL": "alexa_presentation_apl"}[interface]
    return getattr(interfaces, attribute, None) is not None


class IntentHandler(AbstractRequestHandler):
    """One handler per intent: subclasses set `intent_name` and implement `respond`."""

    intent_name: str = ""

    def __init__(self, deps: Deps):
        self.deps = deps

    def can_handle(self, handler_input: HandlerInput) -> bool:
        request = handler_input.request_envelope.request
        return isinstance(request, IntentRequest) and request.intent.name == self.intent_name

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.respond(Turn(handler_input, self.deps))

    def respond(self, turn: Turn) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError


class AnswerHandler(IntentHandler):
    """An answer (a yes, a no) to one question, taken only while that question is pending in this
    session: registered before the general handlers of the same intent (handlers/__init__.py), so a
    "yes" to anything else never reaches it. Subclasses set `question` and `intent_name`."""

    question: str = ""

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return super().can_handle(handler_input) and pending_question(handler_input) == self.question


class RequestTypeHandler(AbstractRequestHandler):
    """One handler per request type (LaunchRequest, SessionEndedRequest, ...)."""

    request_type: str = ""

    def __init__(self, deps: Deps):
        self.deps = deps

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return handler_input.request_envelope.request.object_type == self.request_type

    def handle(self, handler_input: HandlerInput) -> Response:
        return self.respond(Turn(handler_input, self.deps))

    def respond(self, turn: Turn) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError
