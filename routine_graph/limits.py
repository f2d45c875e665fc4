"""The bounds a routine is held to, in a module light enough for command-line options to import
(the model pulls in pydantic, which a build that is already up to date should not pay for)."""

PACE_RANGE = (0.25, 4.0)  # the multipliers on hold and move times that expand accepts

# Enough for any routine a person follows (the seed has 724 steps at its longest level), and a
# graph of this many steps takes about 100 MB; past it, memory and time grow without serving anyone.
MAX_STEPS = 200_000
# Audio is built at the routine's own pace; six hours is far past any session and keeps a build's
# tracks to a few hundred megabytes.
MAX_SECONDS = 6 * 3600
