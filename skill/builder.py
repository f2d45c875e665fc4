"""`build_skill(...)`: the whole Alexa skill as an ask-sdk-core CustomSkill.

The same object serves the Flask endpoint (skill/webapp.py), the `talk` console and the tests; it
could equally be wrapped by ask-sdk's Lambda handler with the DynamoDB persistence adapter.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
from ask_sdk_core.skill import CustomSkill
from ask_sdk_core.skill_builder import CustomSkillBuilder

from .handlers import ErrorHandler, LoadStateInterceptor, SaveStateInterceptor, request_handlers
from .handlers.base import Clock, Deps, utc_now
from .routines import RoutineLibrary


def build_skill(
    routines_dir: str | os.PathLike[str] | RoutineLibrary,
    persistence_adapter: AbstractPersistenceAdapter,
    clock: Clock = utc_now,
    *,
    skill_id: str | None = None,
    logger: logging.Logger | None = None,
) -> CustomSkill:
    """The skill guiding the routines in `routines_dir`, keeping each user's progress through
    `persistence_adapter`. `clock() -> aware datetime` dates the history ("third session this week").
    `skill_id`, if given, makes the SDK itself refuse requests for other skills as well."""
    library = routines_dir if isinstance(routines_dir, RoutineLibrary) else RoutineLibrary(Path(routines_dir))
    deps = Deps(library=library, clock=clock, log=logger or logging.getLogger("skill"))
    builder = CustomSkillBuilder(persistence_adapter=persistence_adapter)
    if skill_id:
        builder.skill_id = skill_id
    for handler in request_handlers(deps):
        builder.add_request_handler(handler)
    builder.add_exception_handler(ErrorHandler(deps))
    builder.add_global_request_interceptor(LoadStateInterceptor())
    builder.add_global_response_interceptor(SaveStateInterceptor())
    return builder.create()
