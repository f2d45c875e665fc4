"""The Alexa Reminders API, as the reminder handlers use it (skill/handlers/reminders.py).

Calls go through ask-sdk's service clients (`ReminderManagementServiceClient`, and the UPS client for
the device's time zone) over the skill's `TimedApiClient`, which gives every call a deadline:
Alexa waits 8 s for a reply (docs/architecture.md, "Platform facts"), and the SDK's own client
would wait for ever. Every failure becomes one of three exceptions, so a handler has three cases to
answer and never a 500: `NoReminders` (this request cannot reach the API: no apiEndpoint or
apiAccessToken, or a skill built without an API client), `NeedsPermission` (no consent token, or the
API said 401/403), `RemindersFailed` (5xx, timeout, connection refused, an answer we cannot read).

A daily reminder is SCHEDULED_ABSOLUTE with a recurrence rule ("FREQ=DAILY;BYHOUR=8;..."), its
first time in the user's own time zone; Amazon reads the rule and `startDateTime`, and
`scheduledTime` is the same first time for older readers. Logs name the user only by user_ref.
"""
from __future__ import annotations

import contextvars
import datetime as dt
import functools
import importlib
import json
import logging
import re
import time
import zoneinfo
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from ask_sdk_core.api_client import DefaultApiClient
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_model.services import ServiceException
from ask_sdk_model.services.reminder_management import (AlertInfo, PushNotification, PushNotificationStatus, Recurrence,
                                                        ReminderRequest, SpokenInfo, SpokenText, Trigger, TriggerType)

from .spoken_time import ClockTime
from .user_ref import envelope_user_ref

REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"
# What the reminder says when it goes off (Alexa says "Here's your reminder" first).
REMINDER_TEXT = "Time for your back routine. Say: Alexa, open my back routine."
API_TIMEOUT = 2.5  # seconds for one call
REQUEST_BUDGET = 5.0  # seconds for all calls of one request, leaving the rest of Alexa's 8 s for the reply
# A daily reminder starts at its next time at least this far ahead: one due in a few minutes is not
# what anyone asking for a daily reminder means.
SOONEST = dt.timedelta(minutes=15)

def _fix_alert_info_type() -> None:
    """ask-sdk-model's AlertInfo names a module that does not exist for its spoken_info
    (alexa/alexa-apis-for-python#4), so reading any listed reminder fails with a SerializationException;
    point it at the SpokenInfo class that does exist. Nothing changes once the SDK is fixed."""
    module = AlertInfo.deserialized_types.get("spoken_info", "").rpartition(".")[0]
    try:
        importlib.import_module(module)
    except ImportError:
        AlertInfo.deserialized_types = {**AlertInfo.deserialized_types,
                                        "spoken_info": "ask_sdk_model.services.reminder_management.spoken_info.SpokenInfo"}


_fix_alert_info_type()
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("back_routine_api_deadline", default=None)
T = TypeVar("T")


class TimedApiClient(DefaultApiClient):
    """ask-sdk's DefaultApiClient (HTTPS only, `requests`) with a timeout on every call: at most
    `timeout` seconds, and never past the deadline of the request being answered (REQUEST_BUDGET)."""

    def __init__(self, timeout: float = API_TIMEOUT):
        self.timeout = timeout

    def _resolve_method(self, request):
        method = super()._resolve_method(request)
        deadline = _deadline.get()
        timeout = self.timeout if deadline is None else max(0.05, min(self.timeout, deadline - time.monotonic()))
        return functools.partial(method, timeout=timeout)

    def invoke(self, request):
        response = super().invoke(request)
        # The SDK parses an error's body as JSON before it raises with the status; an empty or HTML
        # body (a proxy's 502) would hide the status behind a parsing error.
        if response.status_code is not None and response.status_code >= 300:
            try:
                json.loads(response.body or "")
            except ValueError:
                response.body = "{}"
        return response


class RemindersError(Exception):
    pass


class NoReminders(RemindersError):
    """This request cannot reach the Reminders API (no apiEndpoint or apiAccessToken)."""


class NeedsPermission(RemindersError):
    """The user has not granted the reminders permission (or took it back)."""


class RemindersFailed(RemindersError):
    """The API failed: 5xx, a timeout, no connection, or an answer that cannot be read."""


@dataclass(frozen=True)
class Scheduled:
    """One of the skill's reminders as the API lists it."""

    token: str
    time: ClockTime | None  # None when the API gives no time we can read
    daily: bool
    on: bool


class Reminders:
    """The Reminders API for one request."""

    def __init__(self, handler_input: HandlerInput, log: logging.Logger, budget: float = REQUEST_BUDGET):
        self.handler_input = handler_input
        self.log = log
        self._deadline = time.monotonic() + budget
        system = handler_input.request_envelope.context.system if handler_input.request_envelope.context else None
        self._system = system
        self._zone: str | None = None
        self._zone_asked = False

    # -- what this request allows ---------------------------------------------------------------------

    @property
    def available(self) -> bool:
        system = self._system
        if system is None or not system.api_endpoint or not system.api_access_token:
            return False
        try:
            return self.handler_input.service_client_factory is not None
        except ValueError:  # the SDK's way of saying the skill was built without an API client
            return False

    @property
    def consented(self) -> bool:
        permissions = getattr(getattr(self._system, "user", None), "permissions", None)
        return bool(getattr(permissions, "consent_token", None))

    @property
    def locale(self) -> str:
        return getattr(self.handler_input.request_envelope.request, "locale", None) or "en-US"

    # -- calls ----------------------------------------------------------------------------------------

    def time_zone(self) -> str | None:
        """The device's time zone ("Europe/London"), or None when it cannot be had (asked once per request)."""
        if self._zone_asked:
            return self._zone
        self._zone_asked = True
        device_id = getattr(getattr(self._system, "device", None), "device_id", None)
        if not device_id or not self.available:
            return None
        try:
            zone = self._call("time zone", lambda f: f.get_ups_service().get_system_time_zone(device_id))
        except RemindersError as exc:
            self.log.warning("no time zone for %s: %s", envelope_user_ref(self.handler_input.request_envelope), exc)
            return None
        self._zone = zone if isinstance(zone, str) and zone.strip() else None
        return self._zone

    def create_daily(self, at: ClockTime, now: dt.datetime) -> str:
        """Create a daily reminder at `at` in the user's time zone; its alert token."""
        body = daily_reminder(at, now, self.time_zone(), self.locale)
        created = self._call("create", lambda f: f.get_reminder_management_service().create_reminder(body))
        token = getattr(created, "alert_token", None)
        if not token:
            raise RemindersFailed("create: the answer has no alertToken")
        return token

    def scheduled(self) -> list[Scheduled]:
        """Every reminder of this skill for this user that the API lists."""
        listed = self._call("list", lambda f: f.get_reminder_management_service().get_reminders())
        found = []
        for alert in getattr(listed, "alerts", None) or []:
            token = getattr(alert, "alert_token", None)
            if token:
                found.append(Scheduled(token, _alert_time(alert), _is_daily(alert),
                                       getattr(getattr(alert, "status", None), "value", "ON") == "ON"))
        return found

    def delete(self, token: str) -> None:
        """Delete one reminder; one that is already gone (404) counts as deleted."""
        try:
            self._call("delete", lambda f: f.get_reminder_management_service().delete_reminder(token), missing_ok=True)
        except _Missing:
            return

    def _call(self, what: str, call: Callable[[Any], T], missing_ok: bool = False) -> T:
        if not self.available:
            raise NoReminders("no apiEndpoint or apiAccessToken in this request")
        if what != "time zone" and not self.consented:
            raise NeedsPermission("no consent token")
        if self._deadline - time.monotonic() < 0.1:
            raise RemindersFailed(f"{what}: no time left to ask")
        token = _deadline.set(self._deadline)
        try:
            return call(self.handler_input.service_client_factory)
        except ServiceException as exc:
            if exc.status_code in (401, 403):
                raise NeedsPermission(f"{what}: {exc.status_code}") from None
            if missing_ok and exc.status_code == 404:
                raise _Missing() from None
            # Only the status: the SDK's message can quote the URL, which holds the reminder's token.
            reached = exc.headers is not None or exc.body is not None
            raise RemindersFailed(f"{what}: {exc.status_code}" if reached else f"{what}: no answer "
                                  "(timeout or no connection)") from None
        except (SerializationException, ValueError):
            raise RemindersFailed(f"{what}: an answer that cannot be read") from None
        finally:
            _deadline.reset(token)


class _Missing(Exception):
    pass


# -- the request body -------------------------------------------------------------------------------


def daily_reminder(at: ClockTime, now: dt.datetime, zone: str | None, locale: str) -> ReminderRequest:
    """The body of "create a reminder every day at `at`" (`now`: aware, the request's time)."""
    first = first_time(at, now, zone)
    rule = f"FREQ=DAILY;BYHOUR={at.hour};BYMINUTE={at.minute};BYSECOND=0;INTERVAL=1;"
    return ReminderRequest(
        request_time=now.astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0),
        trigger=Trigger(object_type=TriggerType.SCHEDULED_ABSOLUTE, scheduled_time=first, time_zone_id=zone,
                        recurrence=Recurrence(start_date_time=first, recurrence_rules=[rule])),
        alert_info=AlertInfo(spoken_info=SpokenInfo(content=[SpokenText(locale=locale, text=REMINDER_TEXT)])),
        push_notification=PushNotification(status=PushNotificationStatus.ENABLED),
    )


def first_time(at: ClockTime, now: dt.datetime, zone: str | None) -> dt.datetime:
    """The first time a daily reminder at `at` goes off, as local wall time without a zone (how the
    API wants it): the next `at` at least SOONEST from now. Without a known zone, tomorrow by UTC,
    so that it is never in the past wherever the user is."""
    tz = _zone(zone)
    if tz is None:
        day = now.astimezone(dt.timezone.utc).date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(at.hour, at.minute))
    local = now.astimezone(tz).replace(tzinfo=None, second=0, microsecond=0)
    first = dt.datetime.combine(local.date(), dt.time(at.hour, at.minute))
    if first < local + SOONEST:
        first += dt.timedelta(days=1)
    return first


def local_now(now: dt.datetime, zone: str | None) -> dt.datetime | None:
    """`now` on the user's clock, or None when their time zone is unknown."""
    tz = _zone(zone)
    return None if tz is None else now.astimezone(tz)


def _zone(zone: str | None) -> zoneinfo.ZoneInfo | None:
    if not zone:
        return None
    try:
        return zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None  # Alexa knows it and is still told; only our date arithmetic goes without


# -- reading what the API lists ---------------------------------------------------------------------

_RULE_PART = re.compile(r"(BYHOUR|BYMINUTE)=(\d{1,2})")


def _alert_time(alert: Any) -> ClockTime | None:
    trigger = getattr(alert, "trigger", None)
    recurrence = getattr(trigger, "recurrence", None)
    for rule in getattr(recurrence, "recurrence_rules", None) or []:
        parts = dict(_RULE_PART.findall(rule or ""))
        if "BYHOUR" in parts:
            hour, minute = int(parts["BYHOUR"]), int(parts.get("BYMINUTE", 0))
            if hour < 24 and minute < 60:
                return ClockTime(hour, minute)
    for when in (getattr(trigger, "scheduled_time", None), getattr(recurrence, "start_date_time", None)):
        if isinstance(when, dt.datetime):
            return ClockTime(when.hour, when.minute)
    return None


def _is_daily(alert: Any) -> bool:
    recurrence = getattr(getattr(alert, "trigger", None), "recurrence", None)
    if recurrence is None:
        return False
    rules = getattr(recurrence, "recurrence_rules", None) or []
    freq = getattr(getattr(recurrence, "freq", None), "value", None)
    return freq == "DAILY" or any("FREQ=DAILY" in (rule or "") for rule in rules)
