"""The AudioPlayer stream token: which routine, level and build a stream is, and which play it was.

Alexa hands the token back with every AudioPlayer event and in context.AudioPlayer, often in a
request that has no session; it is the one piece of the user's place that survives even when saving
their state failed. So it carries what is needed to find the place again:

  br1|<routine>|<level>|<recipe>|<seq>[|<pace>]

- `recipe`: the first 16 hex digits of the track's content hash in the manifest. A different recipe
  means the tracks were rebuilt since the stream started: offsets no longer mean the same place.
- `seq`: counts the Play directives sent to this user. Events for an older stream (a late
  PlaybackStopped from the stream we just replaced) are recognised as stale and ignored.
- `pace`: only for a track at another pace than the routine's own (a variant, "1.25"): which one to
  look up again. The prebuilt track's token has no sixth field, as before variants.

Anything that does not parse (another skill's token, a garbled one) is simply "not ours": None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

PREFIX = "br1"
RECIPE_CHARS = 16
_RECIPE = re.compile(r"^[0-9a-f]{1,64}$")
_PACE = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,3})?$")
MAX_TOKEN_CHARS = 1024  # Alexa's limit


@dataclass(frozen=True)
class AudioToken:
    routine: str
    level: str
    recipe: str  # RECIPE_CHARS hex digits
    seq: int
    pace: float | None = None  # a variant's pace; None: the prebuilt track (the routine's own pace)

    def encode(self) -> str:
        # Each field is percent-encoded, so a "|" in a routine id cannot shift the fields.
        fields = [PREFIX, quote(self.routine, safe=""), quote(self.level, safe=""), self.recipe, str(self.seq)]
        if self.pace is not None:
            fields.append(pace_text(self.pace))
        return "|".join(fields)

    @classmethod
    def parse(cls, text: object) -> AudioToken | None:
        if not isinstance(text, str) or len(text) > MAX_TOKEN_CHARS:
            return None
        parts = text.split("|")
        if len(parts) not in (5, 6) or parts[0] != PREFIX:
            return None
        _, routine, level, recipe, seq, *pace = parts
        routine, level = unquote(routine), unquote(level)
        if not routine or not level or not _RECIPE.match(recipe) or not seq.isdigit():
            return None
        if pace and (not _PACE.match(pace[0]) or float(pace[0]) <= 0):
            return None
        return cls(routine, level, recipe, int(seq), float(pace[0]) if pace else None)


def short_recipe(recipe: str) -> str:
    return recipe[:RECIPE_CHARS]


def pace_text(pace: float) -> str:
    """A pace as a token writes it: 1.25, 1.5, 2 (at most three decimals, as a pace is ever given)."""
    return f"{round(pace, 3):g}"
