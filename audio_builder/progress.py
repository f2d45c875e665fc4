"""Progress for long steps: a redrawn bar on a terminal, a few plain lines elsewhere, or nothing."""
from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None, enabled: bool = True,
                 tty: bool | None = None):
        self.label, self.total, self.done_count = label, total, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled and total > 0
        self.tty = self.stream.isatty() if tty is None else tty
        self.started = time.perf_counter()
        self._last_plain = -1

    def advance(self, n: int = 1) -> None:
        self.done_count += n
        if not self.enabled:
            return
        if self.tty:
            width = 30
            filled = int(width * self.done_count / self.total)
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done_count}/{self.total}")
            self.stream.flush()
        else:
            # A line per quarter of a slow step, so logs show it moving without drowning in lines.
            quarter = 4 * self.done_count // self.total
            slow = time.perf_counter() - self.started > 2
            if slow and quarter != self._last_plain and self.done_count < self.total:
                self._last_plain = quarter
                if quarter:
                    self._line(f"{self.label}: {self.done_count}/{self.total}")

    def done(self) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        if self.tty:
            self.stream.write("\r\033[K")
        elif elapsed < 1:
            return
        self._line(f"{self.label}: {self.done_count}/{self.total} in {elapsed:.1f} s")

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
