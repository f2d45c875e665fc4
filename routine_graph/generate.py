"""Generate plausible routine files of any size (for benchmarks and load tests)."""
from __future__ import annotations

import random


def generated_routine_yaml(exercises: int, seed: int) -> str:
    """A plausible hand-written-looking routine file with `exercises` exercises (benchmark input)."""
    rng = random.Random(seed)
    lines = [f"title: Generated routine {seed}", "safety: Stop if you feel sharp pain.", "intro:",
             "  - say: Welcome. Move slowly and breathe.", "  - pause: 1", "exercises:"]
    for i in range(1, exercises + 1):
        low = rng.randint(3, 8)
        lines += [f"  - id: exercise-{i}", f"    name: Exercise number {i}", f"    sets: {rng.randint(2, 4)}",
                  f"    reps: {low}-{low + rng.randint(0, 4)}"]
        if rng.random() < 0.3:
            lines.append("    sides: [left, right]")
        lines += ["    setup:", "      - say: Get into position, slowly.", "    rep:",
                  "      - say: Move into the stretch.", "        first_rep: Slowly move into the stretch, keeping your back long.",
                  f"      - move: {rng.choice([2, 3, 'default'])}", "      - say: Hold.",
                  f"      - hold: {rng.choice([1, 2, 5, 10])}", "      - say: And release.", "      - move: default"]
    lines += ["outro:", "  - say: Well done."]
    return "\n".join(lines) + "\n"
