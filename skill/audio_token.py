"""The AudioPlayer stream token: which routine, level and build a stream is, and which play it was.

Alexa hands the token back with every AudioPlayer event and in context.AudioPlayer, often in a
request that has no session; it is the one piece of the user's place that survives even when saving
their state failed. So it carries what is needed to find the place again:

  br1|<routine>|<level>|<recipe>|<seq>

- `recipe`: the first 16 hex digits of the track's content hash in the manifest. A different recipe
  means the tracks were rebuilt since the stream started: offsets no longer mean the same place.
- `seq`: counts the Play directives sent to this user. Events for an older stream (a late
  PlaybackStopped from the stream we just replaced) are recognised as stale and ignored.

Anything that does not parse (another skill's token, a garbled one) is simply "not ours": None.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

PREFIX = "br1"
RECIPE_CHARS = 16
_RECIPE = re.compile(r"^[0-9a-f]{1,64}$")
MAX_TOKEN_CHARS = 1024  # Alexa's limit


@dataclass(frozen=True)
class AudioToken:
    routine: str
    level: str
    recipe: str  # RECIPE_CHARS hex digits
    seq: int

    def encode(self) -> str:
        # Each field is percent-encoded, so a "|" in a routine id cannot shift the fields.
        return "|".join((PREFIX, quote(self.routine, safe=""), quote(self.level, safe=""), self.recipe, str(self.seq)))

    @classmethod
    def parse(cls, text: object) -> AudioToken | None:
        if not isinstance(text, str) or len(text) > MAX_TOKEN_CHARS:
            return None
        parts = text.split("|")
        if len(parts) != 5 or parts[0] != PREFIX:
            return None
        _, routine, level, recipe, seq = parts
        routine, level = unquote(routine), unquote(level)
        if not routine or not level or not _RECIPE.match(recipe) or not seq.isdigit():
            return None
        return cls(routine, level, recipe, int(seq))


def short_recipe(recipe: str) -> str:
    return recipe[:RECIPE_CHARS]
