"""How much of what people say mid-exercise the skill understands and acts on.

Scores the everyday-speech corpus (tests/data/everyday-speech.yaml, and the held-out set written
after the phrase templates were tuned, when present): each line is heard through the generated
interaction model by the exact-match rule (skill/utterance_matcher.py) and answered by the handlers
in its context (tests/speech_corpus.py). Prints, per group, how many lines the model understood
(matched an intent other than AMAZON.FallbackIntent) and how many got the expected behaviour.

Targets (issue 9): at least 95% of the corpus gives the expected behaviour; 100% of pain phrasings
reach the safety path.

    python scripts/bench_understanding.py [--corpus FILE ...] [--failures]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skill.utterance_matcher import FALLBACK  # noqa: E402
from tests.speech_corpus import CORPUS, Scorer, load_corpus, summary  # noqa: E402

HOLDOUT = CORPUS.with_name("everyday-speech-holdout.yaml")


def report(scorer: Scorer, path: Path, show_failures: bool) -> bool:
    items = load_corpus(path)
    started = time.perf_counter()
    outcomes = scorer.score_all(items)
    elapsed = time.perf_counter() - started
    scores = summary(outcomes)
    understood: dict[str, int] = {}
    for o in outcomes:
        for key in (o.item.group, "all"):
            understood[key] = understood.get(key, 0) + (o.intent != FALLBACK)
    print(f"\n{path.relative_to(ROOT)}: {len(items)} utterances, scored in {elapsed:.1f} s")
    print(f"{'group':<12} {'understood':>12} {'behaviour':>12}")
    for group in sorted(k for k in scores if k != "all") + ["all"]:
        passed, total = scores[group]
        print(f"{group:<12} {understood[group]:>5}/{total:<5}  {passed:>5}/{total:<5} {100 * passed / total:5.1f}%")
    pain = [o for o in outcomes if o.item.expect == "safety"]
    pain_ok = sum(o.ok for o in pain)
    passed, total = scores["all"]
    print(f"expected behaviour: {100 * passed / total:.1f}% (target >= 95%); "
          f"pain phrasings reaching the safety path: {pain_ok}/{len(pain)} (target: all)")
    if show_failures:
        for o in outcomes:
            if not o.ok:
                print(f"  MISS {o.item.group}: {o.item.say!r} ({o.item.context}) heard as {o.intent}: {o.why}")
    return passed / total >= 0.95 and pain_ok == len(pain)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", help="corpus file(s); default: the corpus and the held-out set")
    parser.add_argument("--failures", action="store_true", help="list every line that missed")
    args = parser.parse_args()
    paths = args.corpus or [p for p in (CORPUS, HOLDOUT) if p.exists()]
    scorer = Scorer()
    ok = [report(scorer, path.resolve(), args.failures) for path in paths]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
