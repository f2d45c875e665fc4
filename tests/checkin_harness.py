"""Test helper: a user who has turned the pain check-in off.

The skill asks "how is your back today, from zero to ten?" before a run and again after it unless
the user said "turn off the check-in" (skill/handlers/checkin.py). Tests of everything else (moving
through a routine, pain reports, audio, screens, limits) start their users with it off, as saved by
that answer, so each step they pin is the guide's own; tests/skill/test_checkin.py covers the check-in.
"""
from __future__ import annotations

import json
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from tests.alexa_signing import USER_ID, make_envelope


def without_checkin(adapter: Any, user_id: str = USER_ID) -> None:
    """Save, for `user_id`, what the skill saves when they turn the check-in off (nothing else)."""
    request = DefaultSerializer().deserialize(json.dumps(make_envelope(user_id=user_id)), RequestEnvelope)
    adapter.save_attributes(request, {"checkin_on": False})
