"""Assemble the web service (skill + persistence + verification + Flask) and run it under waitress.

Verification is on unless asked off with --no-verify. Two knobs exist only so tests and
scripts/bench_skill.py can run a real server offline with a locally generated CA; both are off by
default and warned about when used:
  --trust-roots PEM (env BACK_ROUTINE_TEST_TRUST_ROOTS): trust these roots instead of the public ones;
  --cert-file URL=PATH (env BACK_ROUTINE_TEST_CERT_FILES, space separated): serve the signing chain
    for URL from a local file instead of downloading it.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from flask import Flask

from .builder import build_skill
from .config import SQLITE, SkillConfig, make_audio, make_persistence
from .verify import RequestVerifier, load_trusted_roots, normalize_cert_url
from .webapp import create_app

log = logging.getLogger("skill.serve")

SKILL_ID_ENV = "BACK_ROUTINE_SKILL_ID"


@dataclass(frozen=True)
class FileCertFetcher:
    """TEST ONLY: the signing chain for known cert URLs read from local files; anything else fails
    (so verification still fails closed for URLs nobody configured)."""

    files: Mapping[str, Path]

    def __call__(self, url: str) -> bytes:
        path = self.files.get(url)
        if path is None:
            raise OSError(f"no local file configured for {url}")
        return Path(path).read_bytes()


def parse_cert_files(pairs: list[str] | tuple[str, ...]) -> dict[str, Path]:
    """['https://s3.amazonaws.com/echo.api/x.pem=/tmp/x.pem', ...] -> {canonical URL: path}."""
    files = {}
    for pair in pairs:
        url, sep, path = pair.partition("=")
        if not sep or not path:
            raise ValueError(f"expected URL=PATH, got {pair!r}")
        files[normalize_cert_url(url)] = Path(path)
    return files


def make_verifier(skill_id: str | None, trust_roots: Path | None = None,
                  cert_files: Mapping[str, Path] | None = None) -> RequestVerifier:
    roots = load_trusted_roots(Path(trust_roots).read_bytes()) if trust_roots else None
    fetcher = FileCertFetcher(dict(cert_files)) if cert_files else None
    if trust_roots:
        log.warning("TEST SETUP: trusting only the roots in %s, not the public CAs Amazon's certificate chains to", trust_roots)
    if cert_files:
        log.warning("TEST SETUP: signing certificates come from local files, not from Amazon: %s",
                    ", ".join(f"{u} -> {p}" for u, p in cert_files.items()))
    return RequestVerifier(skill_id, trusted_roots=roots, fetcher=fetcher)


def make_app(routines_dir: str | os.PathLike[str], db: str | os.PathLike[str], *, skill_id: str | None,
             verify: bool = True, trust_roots: Path | None = None,
             cert_files: Mapping[str, Path] | None = None,
             output_dir: str | os.PathLike[str] | None = None,
             public_url: str | None = None, persistence: str = SQLITE, dynamodb_table: str | None = None,
             create_table: bool = False, cache_dir: str | os.PathLike[str] | None = None) -> Flask:
    """The Flask app serving the skill at POST /alexa (and /healthz), and the web player over
    `output_dir` (the builds) at / when one is given.

    `public_url` (https) turns on the skill's audio version, streaming the tracks in `output_dir`
    as published under that URL; `persistence` chooses where progress is kept (SQLite file `db`, or
    the DynamoDB table `dynamodb_table`). The web player also plays the routines in `routines_dir` at
    other paces, from the cue cache `cache_dir` the builds used (default: the build's default). Raises
    ConfigError when that cannot work."""
    if skill_id is None:
        log.warning("no skill id (--skill-id or $%s): requests for ANY skill are accepted; set it before "
                    "exposing the server", SKILL_ID_ENV)
    config = SkillConfig.from_env(
        routines_dir=Path(routines_dir), persistence=persistence, db_path=Path(db), dynamodb_table=dynamodb_table,
        create_table=create_table, public_url=public_url, output_dir=Path(output_dir) if output_dir else None,
        skill_id=skill_id)
    adapter = make_persistence(config)
    audio = make_audio(config)
    if not audio.configured:
        log.info("no public audio URL (--public-url or $BACK_ROUTINE_PUBLIC_URL): the skill guides by voice only")
    elif output_dir is not None:
        # The web player below assembles any pace at /media; the skill streams it there, at the user's pace.
        from audio_builder.cue_cache import default_cache_dir

        from .audio_variants import LocalVariants

        audio.variants = LocalVariants(routines_dir, cache_dir if cache_dir is not None else default_cache_dir())
    skill = build_skill(routines_dir, adapter, audio=audio)
    verifier = make_verifier(skill_id, trust_roots, cert_files) if verify else None
    app = create_app(skill, verifier)
    if output_dir is not None:
        from web_player import create_blueprint

        app.register_blueprint(create_blueprint(output_dir, routines_dir=routines_dir, cache_dir=cache_dir))
    return app


def serve(app: Flask, host: str, port: int, threads: int) -> None:
    """Run under waitress: one process, `threads` worker threads (the GIL makes more processes the
    way to use more cores; several servers can share the SQLite file)."""
    import waitress

    log.info("serving the Alexa skill on http://%s:%d/alexa with %d threads", host, port, threads)
    waitress.serve(app, host=host, port=port, threads=threads, ident="back-routine")
