"""The skill on AWS Lambda: set the function's handler to `skill.lambda_handler.handler`.

Configured from environment variables (skill/config.py): typically
BACK_ROUTINE_DYNAMODB_TABLE (progress in DynamoDB) and BACK_ROUTINE_PUBLIC_URL (the tracks published
with `back-routine publish`, whose manifests are then read from there), plus BACK_ROUTINE_SKILL_ID.
Lambda requests come from Alexa through the Lambda trigger, so there is no signature to verify;
the skill id check (the trigger's and the SDK's) is what keeps other skills out. The envelope is
checked as on the web endpoint (skill/envelope_check.py) and a malformed one refused the way the
SDK's own Lambda wrapper refuses what it cannot deserialize: by raising. Responses over Alexa's 24 KB
are replaced as there too (skill/response_guard.py).
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable, Mapping

from ask_sdk_core.exceptions import AskSdkException

from .builder import skill_builder
from .config import SQLITE, SkillConfig, make_audio, make_persistence
from .envelope_check import envelope_problem
from .response_guard import fit_response

log = logging.getLogger("skill.lambda")

LambdaHandler = Callable[[dict, Any], dict]


class MalformedRequest(AskSdkException):
    """The event is not an envelope the skill can answer (the Flask endpoint's 400)."""


# The one piece of module state, on purpose: a Lambda container serves many requests one after
# another, and building the skill (reading routines, creating the boto3 client, loading the APL
# document) is most of a cold request's cost. It is built on the first request, not at import,
# so an import never fails on configuration, and it holds nothing about any user.
_handler: LambdaHandler | None = None
_lock = threading.Lock()


def handler(event: dict, context: Any) -> dict:
    """The Lambda entry point: Alexa's request envelope in, the response envelope out."""
    global _handler
    if _handler is None:
        with _lock:
            if _handler is None:
                _handler = build_lambda_handler(config_from_env(os.environ))
    return _handler(event, context)


def config_from_env(env: Mapping[str, str]) -> SkillConfig:
    config = SkillConfig.from_env(env)
    if config.persistence == SQLITE and not env.get("BACK_ROUTINE_DB") and env.get("AWS_LAMBDA_FUNCTION_NAME"):
        # Only /tmp is writable on Lambda, and it lives as long as one container: fine for a try-out,
        # not for real users, whose progress belongs in DynamoDB.
        log.warning("no BACK_ROUTINE_DYNAMODB_TABLE: progress goes to /tmp and is lost with this container")
        config = SkillConfig.from_env(env, db_path=os.path.join("/tmp", "back-routine.sqlite3"))
    return config


def build_lambda_handler(config: SkillConfig) -> LambdaHandler:
    """ask-sdk's own Lambda wrapper (deserialize, invoke, serialize) around the configured skill."""
    builder = skill_builder(config.routines_dir, make_persistence(config), skill_id=config.skill_id,
                            logger=logging.getLogger("skill"), audio=make_audio(config))
    return guarded(builder.lambda_handler())


def guarded(inner: LambdaHandler) -> LambdaHandler:
    """`inner` behind the envelope check and the response size limit."""

    def handle(event: dict, context: Any) -> dict:
        problem = envelope_problem(event)
        if problem:
            request = event.get("request") if isinstance(event, dict) else None
            log.warning("alexa request rejected: reason=malformed_envelope detail=%r request_id=%s", problem,
                        request.get("requestId") if isinstance(request, dict) else None)
            raise MalformedRequest(problem)
        return fit_response(event, inner(event, context), log=log)

    return handle
