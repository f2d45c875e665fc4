"""The everyday-speech corpus, heard through the generated interaction model and answered by the
handlers (tests/speech_corpus.py): the targets of the voice skill, checked per group."""
from __future__ import annotations

from collections import Counter

import pytest

from tests.speech_corpus import BEHAVIOURS, CONTEXTS, Scorer, load_corpus, summary


@pytest.fixture(scope="module")
def outcomes():
    return Scorer().score_all(load_corpus())


def test_the_corpus_is_what_the_issue_asks_for():
    items = load_corpus()
    expects = Counter(i.expect for i in items)
    assert len(items) >= 300
    assert expects["safety"] >= 60 and expects["break"] >= 30
    assert {i.context for i in items} <= set(CONTEXTS) and set(expects) <= set(BEHAVIOURS)
    said = [i.say.lower() for i in items]
    assert len(said) == len(set(said)), "an utterance is in the corpus twice"
    assert all(1 <= i.target <= 3 for i in items if i.expect == "goto")


def test_every_pain_phrasing_reaches_the_safety_path(outcomes):
    missed = [f"{o.item.say!r} ({o.item.context}): {o.why}" for o in outcomes if o.item.expect == "safety" and not o.ok]
    assert not missed, "\n".join(missed)


def test_at_least_95_percent_of_everyday_speech_gets_the_expected_behaviour(outcomes):
    passed, total = summary(outcomes)["all"]
    failures = "\n".join(f"{o.item.group}: {o.item.say!r} ({o.item.context}) heard as {o.intent}: {o.why}"
                         for o in outcomes if not o.ok)
    assert passed / total >= 0.95, f"{passed}/{total}\n{failures}"


@pytest.mark.parametrize("group", sorted({i.group for i in load_corpus()}))
def test_each_group_is_mostly_understood(outcomes, group):
    """No behaviour may be left behind by a good total: every group at 80% or better."""
    passed, total = summary(outcomes)[group]
    failures = "\n".join(f"{o.item.say!r} ({o.item.context}) heard as {o.intent}: {o.why}"
                         for o in outcomes if o.item.group == group and not o.ok)
    assert passed / total >= 0.8, f"{group}: {passed}/{total}\n{failures}"
