"""How the skill is set up where it runs: routines, the progress store, and the audio version.

One dataclass, filled from command-line options (`back-routine serve`) or from environment
variables (AWS Lambda, skill/lambda_handler.py), and turned into the skill's parts by small
functions. Environment variables:

  BACK_ROUTINE_ROUTINES          routines folder (default ./routines)
  BACK_ROUTINE_PERSISTENCE       sqlite | dynamodb (default: dynamodb when a table is named, else sqlite)
  BACK_ROUTINE_DB                SQLite file (default back-routine.sqlite3)
  BACK_ROUTINE_DYNAMODB_TABLE    DynamoDB table name
  BACK_ROUTINE_DYNAMODB_CREATE   1 to create the table if it is missing
  AWS_REGION / AWS_DEFAULT_REGION  region of the table (Lambda sets AWS_REGION)
  BACK_ROUTINE_PUBLIC_URL        https:// base URL the built tracks are published under
  BACK_ROUTINE_OUTPUT            folder of built tracks whose manifests to read (default: read them
                                 from the public URL, as on Lambda)
  BACK_ROUTINE_SKILL_ID          the skill's application id
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter

from .audio_tracks import AudioCatalog, LocalManifests, RemoteManifests, normalize_public_url

SQLITE, DYNAMODB = "sqlite", "dynamodb"
PERSISTENCE_CHOICES = (SQLITE, DYNAMODB)
DEFAULT_DB = "back-routine.sqlite3"


class ConfigError(Exception):
    """The configuration cannot work; the message says which setting to change."""


@dataclass(frozen=True)
class SkillConfig:
    routines_dir: Path = Path("routines")
    persistence: str = SQLITE
    db_path: Path = Path(DEFAULT_DB)
    dynamodb_table: str | None = None
    create_table: bool = False
    aws_region: str | None = None
    public_url: str | None = None
    output_dir: Path | None = None  # local manifests; None: read them from public_url
    skill_id: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> SkillConfig:
        env = os.environ if env is None else env
        table = env.get("BACK_ROUTINE_DYNAMODB_TABLE") or None
        config = cls(
            routines_dir=Path(env.get("BACK_ROUTINE_ROUTINES") or "routines"),
            persistence=(env.get("BACK_ROUTINE_PERSISTENCE") or (DYNAMODB if table else SQLITE)).strip().lower(),
            db_path=Path(env.get("BACK_ROUTINE_DB") or DEFAULT_DB),
            dynamodb_table=table,
            create_table=(env.get("BACK_ROUTINE_DYNAMODB_CREATE") or "").strip().lower() in ("1", "true", "yes"),
            aws_region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            public_url=env.get("BACK_ROUTINE_PUBLIC_URL") or None,
            output_dir=Path(env["BACK_ROUTINE_OUTPUT"]) if env.get("BACK_ROUTINE_OUTPUT") else None,
            skill_id=env.get("BACK_ROUTINE_SKILL_ID") or None,
        )
        return replace(config, **overrides) if overrides else config

    def problems(self) -> list[str]:
        """What makes this configuration unusable, each as a sentence saying what to set."""
        problems = []
        if self.persistence not in PERSISTENCE_CHOICES:
            problems.append(f"persistence must be one of {', '.join(PERSISTENCE_CHOICES)}, not {self.persistence!r}")
        if self.persistence == DYNAMODB and not self.dynamodb_table:
            problems.append("DynamoDB persistence needs a table: --dynamodb-table or $BACK_ROUTINE_DYNAMODB_TABLE")
        if self.public_url and normalize_public_url(self.public_url) is None:
            problems.append(f"the public audio URL must start with https:// (Alexa streams only HTTPS), not {self.public_url!r}")
        return problems


def make_persistence(config: SkillConfig) -> AbstractPersistenceAdapter:
    problems = config.problems()
    if problems:
        raise ConfigError("; ".join(problems))
    if config.persistence == DYNAMODB:
        from .dynamodb import DynamoDbStoreError, dynamodb_adapter

        try:
            return dynamodb_adapter(config.dynamodb_table, region=config.aws_region, create_table=config.create_table)
        except DynamoDbStoreError as exc:
            raise ConfigError(str(exc)) from None
    from .persistence import SQLitePersistenceAdapter

    return SQLitePersistenceAdapter(config.db_path)


def make_audio(config: SkillConfig) -> AudioCatalog:
    """The built tracks: manifests from the local output folder if there is one, else from the
    published copy under the public URL."""
    public_url = normalize_public_url(config.public_url)
    if public_url is None:
        return AudioCatalog(None, None)
    manifests = LocalManifests(config.output_dir) if config.output_dir else RemoteManifests(public_url)
    return AudioCatalog(public_url, manifests)
