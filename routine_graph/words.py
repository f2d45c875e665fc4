"""Numbers as spoken words: cues are written to be heard, and TTS engines differ on digits."""

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    if n < 0:
        return "minus " + number_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("-" + _ONES[ones] if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + (" and " + number_words(rest) if rest else "")
    if n < 10000:
        thousands, rest = divmod(n, 1000)
        return number_words(thousands) + " thousand" + ((" and " if rest < 100 else " ") + number_words(rest) if rest else "")
    return str(n)


def seconds_words(seconds: float) -> str:
    """30 -> 'thirty', 90 -> 'ninety', 2.5 -> 'two and a half'."""
    whole = int(seconds)
    frac = seconds - whole
    if abs(frac - 0.5) < 1e-9:
        return f"{number_words(whole)} and a half"
    return number_words(round(seconds))


def plural(n: int, word: str) -> str:
    """1 cue, 2 cues, 1,200 steps (for counts written, not spoken)."""
    return f"{n:,} {word}" + ("" if n == 1 else "s")
