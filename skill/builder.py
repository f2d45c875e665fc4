"""`build_skill(...)`: the whole Alexa skill as an ask-sdk-core CustomSkill.

The same object serves the Flask endpoint (skill/webapp.py), the `talk` console and the tests;
`skill_builder(...)` gives the SDK's builder itself, whose `lambda_handler()` serves AWS Lambda
(skill/lambda_handler.py), with the DynamoDB persistence adapter there.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_model.services import ApiClient

from .audio_tracks import AudioCatalog
from .handlers import ErrorHandler, LoadStateInterceptor, SaveStateInterceptor, ScreenInterceptor, request_handlers
from .handlers.base import Clock, Deps, utc_now
from .reminders import TimedApiClient
from .routines import RoutineLibrary


def build_skill(routines_dir: str | os.PathLike[str] | RoutineLibrary, persistence_adapter: AbstractPersistenceAdapter,
                clock: Clock = utc_now, **options: Any) -> CustomSkill:
    """The skill itself, made by `skill_builder` (see there; `options`: its skill_id, logger, audio)."""
    return skill_builder(routines_dir, persistence_adapter, clock, **options).create()


def skill_builder(
    routines_dir: str | os.PathLike[str] | RoutineLibrary,
    persistence_adapter: AbstractPersistenceAdapter,
    clock: Clock = utc_now,
    *,
    skill_id: str | None = None,
    logger: logging.Logger | None = None,
    audio: AudioCatalog | None = None,
    api_client: ApiClient | None = None,
) -> CustomSkillBuilder:
    """The configured ask-sdk builder (`.create()` for a CustomSkill, `.lambda_handler()` for Lambda)
    of the skill guiding the routines in `routines_dir`, keeping each user's progress through
    `persistence_adapter`. `clock() -> aware datetime` dates the history ("third session this week").
    `skill_id`, if given, makes the SDK itself refuse requests for other skills as well. `audio`
    (built tracks and their public URL) turns on the audio version; without it the skill says the
    audio version isn't set up and guides by voice. `api_client` calls Alexa's APIs (reminders, the
    device's time zone) at each request's apiEndpoint; by default ask-sdk's HTTPS client with a
    deadline on every call (skill/reminders.py)."""
    library = routines_dir if isinstance(routines_dir, RoutineLibrary) else RoutineLibrary(Path(routines_dir))
    log = logger or logging.getLogger("skill")
    deps = Deps(library=library, clock=clock, log=log, audio=audio or AudioCatalog(None, None))
    builder = CustomSkillBuilder(persistence_adapter=persistence_adapter, api_client=api_client or TimedApiClient())
    if skill_id:
        builder.skill_id = skill_id
    for handler in request_handlers(deps):
        builder.add_request_handler(handler)
    builder.add_exception_handler(ErrorHandler(deps))
    builder.add_global_request_interceptor(LoadStateInterceptor())
    # Order matters: the screen is added to the reply before the state is saved, so a failed save
    # can take it out again (state.SaveStateInterceptor).
    builder.add_global_response_interceptor(ScreenInterceptor(deps))
    builder.add_global_response_interceptor(SaveStateInterceptor(log))
    return builder
