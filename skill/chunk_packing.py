"""Packing SSML atoms into parts (one response each) within an audio and a character budget.

A block arrives as groups (the sides of a set, or the whole set), each a list of units (reps), each
a list of atoms (skill/step_atoms.py). A group is kept whole when it fits a response; a group too
long for one is split at its units, and a unit too long for one between its atoms, never leaving a
cue at the end of a part when the silence it introduces would start the next.
"""
from __future__ import annotations

from typing import Sequence

from .step_atoms import Atom


class Packer:
    """Greedy packing of atoms into parts within the audio and character budgets.

    `whole_budget` is what a side must fit to be kept whole: packing for even parts uses a tighter
    `audio_budget`, but never splits a side that fits a response."""

    def __init__(self, audio_budget: float, char_budget: int, whole_budget: float | None = None):
        self.audio_budget, self.char_budget = audio_budget, char_budget
        self.whole_budget = audio_budget if whole_budget is None else whole_budget
        self.parts: list[list[Atom]] = []
        self.current: list[Atom] = []
        self.seconds = 0.0
        self.chars = 0

    def fits(self, atoms: Sequence[Atom], audio_budget: float | None = None) -> bool:
        budget = self.audio_budget if audio_budget is None else audio_budget
        return (self.seconds + sum(a.seconds for a in atoms) <= budget
                and self.chars + sum(len(a.ssml) for a in atoms) <= self.char_budget)

    def add(self, atoms: Sequence[Atom]) -> None:
        self.current.extend(atoms)
        self.seconds += sum(a.seconds for a in atoms)
        self.chars += sum(len(a.ssml) for a in atoms)

    def flush(self) -> None:
        if self.current:
            self.parts.append(self.current)
        self.current, self.seconds, self.chars = [], 0.0, 0

    def add_group(self, units: list[list[Atom]]) -> None:
        atoms = [atom for unit in units for atom in unit]
        if self.fits(atoms):
            self.add(atoms)
            return
        self.flush()
        if self.fits(atoms, self.whole_budget):
            self.add(atoms)
            return
        # This side alone is longer than a response: rep boundaries are the next best place.
        for unit in units:
            self.add_unit(unit)

    def add_unit(self, atoms: list[Atom]) -> None:
        if self.fits(atoms):
            self.add(atoms)
            return
        if self.current:
            self.flush()
            if self.fits(atoms):
                self.add(atoms)
                return
        # A single rep (or hold) longer than a response: split between atoms, but never leave a cue
        # at the end of a part when the silence it introduces ("Hold.") would start the next one.
        for atom in atoms:
            if not self.fits([atom]):
                carry: list[Atom] = []
                while self.current and self.current[-1].kind == "speech" and atom.kind != "speech" \
                        and len(self.current) > 1:
                    carry.insert(0, self.current.pop())
                self.seconds = sum(a.seconds for a in self.current)
                self.chars = sum(len(a.ssml) for a in self.current)
                self.flush()
                self.add(carry)
            self.add([atom])


def pack(groups: list[list[list[Atom]]], audio_budget: float, char_budget: int,
         whole_budget: float | None = None) -> list[list[Atom]]:
    packer = Packer(audio_budget, char_budget, whole_budget)
    for units in groups:
        packer.add_group(units)
    packer.flush()
    return packer.parts or [[]]
