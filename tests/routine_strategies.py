"""Hypothesis strategies and generators for routine files (shared by tests and the benchmark)."""
from __future__ import annotations

from hypothesis import strategies as st

from routine_graph import Routine

step = st.one_of(
    st.builds(lambda t: {"say": t}, st.sampled_from(["Lift.", "Lower slowly.", "Breathe out and relax your waist."])),
    st.builds(lambda s: {"move": s}, st.sampled_from([1, 2.5, 3, "default"])),
    st.builds(lambda s, c: {"hold": s, "count": c}, st.sampled_from([1, 2, 5, 8, 12]), st.sampled_from(["auto", "up", "down", "off"])),
    st.builds(lambda s: {"pause": s}, st.sampled_from([0.5, 1, 2])),
)


@st.composite
def exercise(draw, number: int):
    low = draw(st.integers(1, 6))
    high = draw(st.integers(low, low + 4))
    sides = draw(st.sampled_from([[], ["left", "right"]]))
    rep = draw(st.lists(step, min_size=1, max_size=4))
    if sides and draw(st.booleans()):
        rep.append({"switch_side": "Other side now."})
    return {
        "id": f"ex-{number}", "name": f"Exercise {number}", "sets": draw(st.integers(1, 4)),
        "reps": f"{low}-{high}" if low != high else low, "sides": sides, "rep": rep,
        "setup": draw(st.lists(step, max_size=2)),
        "rest_between_sets": draw(st.sampled_from([0, 10, 30])),
    }


@st.composite
def routines(draw) -> Routine:
    count = draw(st.integers(1, 4))
    data = {
        "id": "generated", "title": "Generated", "safety": "Stop if it hurts.",
        "intro": draw(st.lists(step, max_size=2)), "outro": draw(st.lists(step, max_size=2)),
        "exercises": [draw(exercise(i)) for i in range(1, count + 1)],
        "levels": {"gentle": "low", "standard": "middle", "full": "high", "two-thirds": 0.66},
    }
    return Routine.model_validate(data)
