"""Other paces for static hosting (`back-routine publish --paces 1.25,1.5`): the files publish.py
uploads beside the built ones, and the manifest that records them.

Static hosting cannot assemble a track on request as the web player does, so each built level's full
session is assembled at each pace (audio_builder/variants.py: from the cue cache, nothing synthesized)
and uploaded with its captions beside the built tracks, at the web player's address for it
("standard/pace-1.25/full-session.mp3"): the skill's URLs work against either. The published
manifest.json records them per level (the optional `paces` of manifest.Level, with each track's
chapters, cues and silences), which is what the skill on Lambda reads; it is the built manifest plus
that key, and goes up last as always, so a reader never sees a pace whose file is not there yet. A
publish without `paces` uploads the built manifest as it is, which withdraws the other paces (their
files stay until `--delete`).
"""
from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Sequence

from .manifest import MANIFEST_NAME, PacedTrack
from .manifest_reader import load_manifest
from .publish import CannotAssemble, LocalFile


def paced_files(out_dir: Path, files: list[LocalFile], paces: Sequence[float], variants: Any) -> list[LocalFile]:
    """`files` (built_files) with every built level's full session at each of `paces` and its captions
    after the built media, and each manifest recording them (see the module notes). `variants` is an
    audio_builder.variant_source.VariantSource over the build's routine files and cue cache. A pace that
    is the level's own is its built track. CannotAssemble before anything is uploaded when one cannot be
    made."""
    from .variant_source import VariantUnavailable

    media = [f for f in files if PurePosixPath(f.relative).name != MANIFEST_NAME]
    manifests = [f for f in files if PurePosixPath(f.relative).name == MANIFEST_NAME]
    made: list[LocalFile] = []
    records: list[LocalFile] = []
    for local in manifests:
        routine = local.relative.split("/", 1)[0]
        manifest = load_manifest(Path(out_dir) / routine)
        published: dict[str, list[dict]] = {}
        for name, level in manifest.levels.items():
            full = level.full
            for pace in paces:
                if full is None or abs(pace - level.pace) < 1e-9:
                    continue
                try:
                    variant = variants.variant_set(manifest, name, pace).part(full.stem)
                except VariantUnavailable as exc:
                    raise CannotAssemble(f"cannot assemble {routine} ({name}) at pace {_pace(pace)}: {exc.message}") \
                        from None
                track = variant.track
                made.append(_made(f"{routine}/{track.file}", variant.chunks))
                vtt = variant.vtt.encode()
                made.append(_made(f"{routine}/{track.captions}", lambda vtt=vtt: [vtt]))
                published.setdefault(name, []).append(PacedTrack(pace, track).to_dict())
        records.append(_recorded(local, published) if published else local)
    return media + made + records


def _recorded(local: LocalFile, published: dict[str, list[dict]]) -> LocalFile:
    """The built manifest with each level's published paces (manifest.Level.paces), written as the build
    writes it (Manifest.to_json): every key it has is kept as it is."""
    import json

    doc = json.loads(local.path.read_bytes())
    for name, paced in published.items():
        doc["levels"][name]["paces"] = paced
    raw = json.dumps(doc, indent=1, ensure_ascii=False).encode()
    return _made(local.relative, lambda: [raw])


def _made(relative: str, body: Callable[[], Iterable[bytes]]) -> LocalFile:
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    size = 0
    for chunk in body():
        md5.update(chunk)
        sha256.update(chunk)
        size += len(chunk)
    return LocalFile(None, relative, size, md5.hexdigest(), sha256.hexdigest(), body)


def _pace(pace: float) -> str:
    return f"{round(pace, 3):g}"


__all__ = ["paced_files"]
