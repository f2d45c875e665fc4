"""Showing the user their progress: the summary of their history (skill/progress_report.py), as a
card in the Alexa app and, on devices with a screen, the APL progress screen (skill/apl/progress.json).

Used after a finished session (flow.py) and for "how am I doing" (checkin.py). A reply that carries
the progress screen carries no exercise screen: the screen interceptor (handlers/screen.py) leaves a
response that already renders a document alone.
"""
from __future__ import annotations

import functools
from typing import Any

from ask_sdk_model.interfaces.alexa.presentation.apl import RenderDocumentDirective
from ask_sdk_model.ui import SimpleCard

from ..progress_report import ProgressSummary, card_text, summarise
from ..screen import PROGRESS_TITLE, PROGRESS_TOKEN, load_progress_document, progress_data
from .base import Turn


@functools.lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    return load_progress_document()  # read once per process, not per reply


def summary(turn: Turn) -> ProgressSummary:
    """The user's progress now. Days are UTC days: the skill is not given the device's time zone."""
    return summarise(turn.state.history, turn.state.checkins, turn.now())


def show_progress(turn: Turn, progress: ProgressSummary | None = None) -> ProgressSummary:
    """Put the card, and the progress screen where the device has one, on this turn's response."""
    progress = progress or summary(turn)
    builder = turn.handler_input.response_builder
    builder.set_card(SimpleCard(title=PROGRESS_TITLE, content=card_text(progress)))
    if turn.speakable and turn.supports("Alexa.Presentation.APL"):
        builder.add_directive(RenderDocumentDirective(token=PROGRESS_TOKEN, document=_document(),
                                                      datasources=progress_data(progress)))
    return progress
