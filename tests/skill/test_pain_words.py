"""Reading pain in free text (skill/pain_words.py): what SensationIntent's words lead to."""
from __future__ import annotations

import pytest

from skill.pain_words import read


@pytest.mark.parametrize("text, body, feeling", [
    ("my lower back twinged", "back", None),
    ("the back of my leg is burning", "leg", "burning"),
    ("pins and needles in my toes", "foot", "tingling"),
    ("my tailbone is killing me", "back", None),
    ("i feel dizzy", None, None),
    ("oh no my hamstring", "leg", None),  # a body part named with nothing good said: asked after
    ("shooting down into my calf", "leg", "spreading"),
])
def test_pain_is_found_with_where_and_how(text, body, feeling):
    assert read(text) == read(text.upper())  # case does not matter
    sensation = read(text)
    assert sensation.pain and sensation.body_part == body and sensation.feeling == feeling


@pytest.mark.parametrize("text", [
    "my knees are fine", "it doesn't hurt any more", "my dog is barking", "good", "a bit better now",
    "no pain at all", "my shirt", "", None,
])
def test_no_pain_is_not_made_up(text):
    assert not read(text).pain


def test_words_are_whole_words():
    assert not read("that shirt is nice").pain  # "hurt" inside "shirt"
    assert read("it hurt").pain
