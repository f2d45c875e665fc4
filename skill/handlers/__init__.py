"""Request handlers, one module per area and one class per intent or request type.

`request_handlers(deps)` lists them in dispatch order: the SDK asks each in turn, so the catch-alls
come last.
"""
from __future__ import annotations

from ask_sdk_core.dispatch_components import AbstractRequestHandler

from .after_session import PROGRESSION_ANSWER_HANDLERS
from .adjust import EasierHandler, FasterHandler, HarderHandler, SlowerHandler
from .answers import NoHandler, YesHandler
from .audio import AUDIO_INTENT_HANDLERS, PlayAudioHandler
from .base import Deps, IntentHandler, RequestTypeHandler, Turn
from .breather import BreakHandler
from .checkin import CHECKIN_ANSWER_HANDLERS
from .checkin_commands import CHECKIN_HANDLERS
from .errors import ErrorHandler
from .fallback import FallbackHandler, UnhandledRequestHandler, UnknownIntentHandler
from .info import HelpHandler, HowToHandler, WhereAmIHandler
from .launch import LaunchHandler
from .loop_shuffle import LoopOffHandler, LoopOnHandler, ShuffleOffHandler, ShuffleOnHandler
from .playback import PLAYBACK_HANDLERS
from .privacy import FORGET_ANSWER_HANDLERS, SKILL_EVENT_HANDLERS, ForgetProgressHandler
from .reminder_offer import REMINDER_ANSWER_HANDLERS
from .reminders import REMINDER_INTENT_HANDLERS, REMINDER_REQUEST_HANDLERS
from .routine import (GoToExerciseHandler, IntroHandler, NextHandler, PreviousHandler, ReadyHandler, RepeatHandler,
                      ResumeHandler, SkipExerciseHandler, StartOverHandler, StartRoutineHandler)
from .safety import HurtsIntentHandler, SensationHandler
from .session import (CancelHandler, ExceptionEncounteredHandler, NavigateHomeHandler, PauseHandler,
                      SessionEndedHandler, StopHandler)
from .screen import SCREEN_HANDLERS, ScreenInterceptor
from .state import LoadStateInterceptor, SaveStateInterceptor

INTENT_HANDLERS: tuple[type[IntentHandler], ...] = (
    StartRoutineHandler, NextHandler, ReadyHandler, PreviousHandler, RepeatHandler, StartOverHandler, ResumeHandler,
    SkipExerciseHandler, GoToExerciseHandler, IntroHandler, BreakHandler,
    WhereAmIHandler, HowToHandler, HelpHandler,
    SlowerHandler, FasterHandler, EasierHandler, HarderHandler,
    HurtsIntentHandler, SensationHandler,
    YesHandler, NoHandler,
    PauseHandler, StopHandler, CancelHandler, NavigateHomeHandler,
    PlayAudioHandler, LoopOnHandler, LoopOffHandler, ShuffleOnHandler, ShuffleOffHandler,
    ForgetProgressHandler,
    *REMINDER_INTENT_HANDLERS,
    *CHECKIN_HANDLERS,
    FallbackHandler,
)
REQUEST_HANDLERS: tuple[type[RequestTypeHandler], ...] = (
    LaunchHandler, SessionEndedHandler, ExceptionEncounteredHandler,
)


def handled_intents() -> set[str]:
    return {h.intent_name for h in INTENT_HANDLERS}


def request_handlers(deps: Deps) -> list[AbstractRequestHandler]:
    handlers: list[AbstractRequestHandler] = [cls(deps) for cls in REQUEST_HANDLERS]
    handlers += [cls(deps) for cls in SKILL_EVENT_HANDLERS + PLAYBACK_HANDLERS + SCREEN_HANDLERS]
    handlers += [cls(deps) for cls in REMINDER_REQUEST_HANDLERS]  # the answer to asking for the permission
    # The yes and no to "delete everything?" take their intent only while that question is pending,
    # before any other handler of the same intent (the audio ones included) can.
    handlers += [cls(deps) for cls in FORGET_ANSWER_HANDLERS]
    # Likewise the yes and no to the offers after a session: "shall I remind you tomorrow at this time?"
    # (handlers/reminder_offer.py) and "want to try the full level next time?" (handlers/after_session.py).
    handlers += [cls(deps) for cls in REMINDER_ANSWER_HANDLERS]
    handlers += [cls(deps) for cls in PROGRESSION_ANSWER_HANDLERS]
    # And the answers to "how is your back, from zero to ten?" (handlers/checkin.py).
    handlers += [cls(deps) for cls in CHECKIN_ANSWER_HANDLERS]
    # Audio versions of built-in intents first: each takes its intent only while the audio is in
    # charge, and the voice handler of the same intent answers otherwise.
    handlers += [cls(deps) for cls in AUDIO_INTENT_HANDLERS]
    handlers += [cls(deps) for cls in INTENT_HANDLERS]
    handlers += [UnknownIntentHandler(deps), UnhandledRequestHandler(deps)]
    return handlers


__all__ = [
    "AUDIO_INTENT_HANDLERS", "Deps", "ErrorHandler", "INTENT_HANDLERS", "LoadStateInterceptor", "PLAYBACK_HANDLERS",
    "REQUEST_HANDLERS", "SCREEN_HANDLERS", "SKILL_EVENT_HANDLERS", "FORGET_ANSWER_HANDLERS", "SaveStateInterceptor", "ScreenInterceptor",
    "Turn", "handled_intents", "request_handlers",
]
