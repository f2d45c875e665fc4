"""Build a routine's tracks: routine file -> graph per level -> cue pieces -> timelines -> files.

Only what changed is made again: a cue is synthesized once ever (the cue cache), a track is written
only when its recipe (the exact frames it is made of, and its tags) changed, and an unchanged routine
is recognised from its manifest without parsing it.

The steps, each in its own module: settings.py (options, checked; the Voice), cue_pieces.py (every
cue's encoded piece), level_build.py (a level's tracks, captions, playlist), output_files.py (writing
and tidying the output folder), folder_lock.py (one build per folder), manifest.py (the record).
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import BuildError, BuildInputError
from .folder_lock import folder_lock
from .manifest import BUILT_AT_FORMAT, MANIFEST_NAME, Level, Manifest, ManifestError
from .manifest_reader import load_manifest
from .output_files import holds, make_dir, remove_orphans, remove_stale, write
from .progress import Progress
from .settings import BUILDER_VERSION, BuildSettings, settings_doc
from .voice import Voice

__all__ = ["BUILDER_VERSION", "BuildError", "BuildInputError", "BuildReport", "BuildSettings", "Builder"]


@dataclass
class BuildReport:
    routine: str
    up_to_date: bool = False
    levels: list[str] = field(default_factory=list)
    tracks_built: int = 0
    tracks_skipped: int = 0
    audio_seconds: float = 0.0  # of the tracks written
    cues_synthesized: int = 0
    cues_cached: int = 0
    cues_ahead: int = 0  # count words only paces other than the routine's say (variant_cues.py), of those above
    synthesis_seconds: float = 0.0
    seconds: float = 0.0
    removed: list[str] = field(default_factory=list)


class Builder:
    """Builds routines into `out_dir/<routine>/`, with cues cached in `cache_dir`."""

    def __init__(self, out_dir: Path, cache_dir: Path, settings: BuildSettings = BuildSettings(),
                 progress: Callable[[str, int], Progress] | None = None, log: Callable[[str], None] = lambda _: None,
                 wait_for_lock: bool = True, engine=None):
        self.out_dir = Path(out_dir)
        self.cache_dir = Path(cache_dir)
        self.settings = settings
        self.progress = progress or (lambda label, total: Progress(label, total, enabled=False))
        self.log = log
        self.wait_for_lock = wait_for_lock
        self._engine = engine  # made from settings on first use unless given (tests plug in their own)
        self._voice: Voice | None = None
        self._synth = None

    # -- public ---------------------------------------------------------------------------------

    def check_settings(self) -> dict:
        """The settings as recorded in manifests, after checking them: BuildInputError for an
        unknown engine or voice, options the engine does not take, or an impossible MP3 format."""
        from .paces import GRID_ID

        self.settings.check_format()
        # The pace grid whose count words the build makes ahead (variant_cues.py): a manifest without it
        # is from a build that did not, and is built again, so variants never miss a word.
        return {**settings_doc(self.settings, self.voice()), "variant_paces": GRID_ID}

    def voice(self) -> Voice:
        """The build's one Voice, resolved on first use: in the manifest and in every cue key."""
        if self._voice is None:
            if self._engine is None:
                self._engine = self.settings.make_engine()
            self._voice = self.settings.resolve_voice(self._engine)
        return self._voice

    def build(self, routine_file: Path, levels: list[str] | None = None) -> BuildReport:
        started = time.perf_counter()
        routine_file = Path(routine_file)
        report = BuildReport(routine_file.stem)
        try:
            source = routine_file.read_bytes()
        except OSError as exc:
            raise BuildInputError(f"cannot read {routine_file}: {exc.strerror or exc}") from None
        settings = self.check_settings()
        target = self.out_dir / routine_file.stem
        routine = None
        if not (target / MANIFEST_NAME).is_file():
            # Nothing built yet, so nothing can be up to date: check the routine before making its
            # folder, so that a refused build leaves nothing behind.
            routine = self._load(routine_file, levels)
        make_dir(target)
        with folder_lock(target, self.wait_for_lock, self.log):
            old = self._previous(target)
            source_sha256 = hashlib.sha256(source).hexdigest()
            if self._is_up_to_date(old, target, source_sha256, settings, levels):
                report.up_to_date = True
                report.levels = levels or list(old.all_levels)
            else:
                routine = routine or self._load(routine_file, levels)
                manifest = self._build_levels(routine, routine_file.name, source_sha256, settings, levels, old,
                                              target, report)
                report.removed = remove_stale(target, old, manifest)
                write(target / MANIFEST_NAME, [manifest.to_json()])
        report.seconds = time.perf_counter() - started
        return report

    def remove_orphans(self, routine_ids: set[str]) -> list[str]:
        """Remove built outputs of routines that no longer exist (only folders we built)."""
        return remove_orphans(self.out_dir, routine_ids)

    # -- steps ----------------------------------------------------------------------------------

    @staticmethod
    def _previous(target: Path) -> Manifest | None:
        """The last build's manifest; one that cannot be read is none, and everything is built again."""
        try:
            return load_manifest(target)
        except ManifestError:
            return None

    @staticmethod
    def _is_up_to_date(old: Manifest | None, target: Path, source_sha256: str, settings: dict,
                       levels: list[str] | None) -> bool:
        if old is None or old.source_sha256 != source_sha256 or old.settings != settings:
            return False
        if levels is None and set(old.levels) != set(old.all_levels):
            return False  # a level was removed from the routine (its outputs must go), or never built
        for level in levels or old.levels:  # a level kept by a `--level` build of an earlier version of the file
            entry = old.levels.get(level)
            if entry is None or (entry.source_sha256 or old.source_sha256) != source_sha256:
                return False
        return holds(target, old, levels or old.all_levels)

    def _load(self, routine_file: Path, levels: list[str] | None):
        from routine_graph import RoutineError, UnknownLevelError, load_routine

        try:
            routine = load_routine(routine_file)
        except RoutineError as exc:
            raise BuildInputError(str(exc)) from None
        unknown = [lv for lv in levels or () if lv not in routine.levels]
        if unknown:
            raise BuildInputError(str(UnknownLevelError(unknown[0], list(routine.levels))))
        return routine

    def _build_levels(self, routine, source_file: str, source_sha256: str, settings: dict, levels: list[str] | None,
                      old: Manifest | None, target: Path, report: BuildReport) -> Manifest:
        """Build the levels asked for (default: all) and return the manifest of the folder after it."""
        from routine_graph import expand

        from .level_build import build_level
        from .mp3 import Mp3Format

        all_levels = list(routine.levels)
        report.levels = levels or all_levels
        fmt = Mp3Format(self.settings.sample_rate, self.settings.bitrate_kbps)  # checked in check_settings
        graphs = [expand(routine, level) for level in report.levels]
        pieces = self._cue_pieces(graphs, fmt, report, routine)
        # Levels recorded before their own source hash was: built from the old manifest's file.
        old_levels = {name: lv if lv.source_sha256 else lv._replace(source_sha256=old.source_sha256)
                      for name, lv in old.levels.items()} if old else {}
        built = {graph.level: build_level(target, graph, pieces, fmt, settings, old_levels.get(graph.level), report,
                                          self.progress)._replace(source_sha256=source_sha256) for graph in graphs}
        # Levels not asked for this time are kept as they were, unless the routine dropped them.
        kept: dict[str, Level] = {**old_levels, **built}
        return Manifest(
            routine=routine.id, title=routine.title, description=routine.description or "", source_file=source_file,
            source_sha256=source_sha256, settings=settings, all_levels=tuple(all_levels),
            default_level=routine.level_default, built_at=time.strftime(BUILT_AT_FORMAT, time.gmtime()),
            levels={lv: kept[lv] for lv in all_levels if lv in kept},
        )

    def _cue_pieces(self, graphs: list, fmt, report: BuildReport, routine) -> dict:
        from .cue_cache import CueCache, CueSynthesizer
        from .cue_pieces import cue_pieces
        from .timeline import cue_texts
        from .variant_cues import ahead_texts

        texts: dict[str, None] = {}
        for graph in graphs:
            texts.update(dict.fromkeys(cue_texts(graph)))
        # Made now so that serving a variant at another pace never synthesizes (web player, variants.py).
        ahead = [text for text in ahead_texts(routine) if text not in texts]
        report.cues_ahead += len(ahead)
        texts.update(dict.fromkeys(ahead))
        if self._synth is None:
            voice = self.voice()  # makes the engine too
            self._synth = CueSynthesizer(self._engine, CueCache(self.cache_dir), fmt, voice=voice)
        return cue_pieces(list(texts), self._synth, fmt, report, self.progress)
