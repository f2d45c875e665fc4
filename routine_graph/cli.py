"""`back-routine validate | preview | schema`: the routine-file commands."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .catalog import resolve, routine_files, routines_dir
from .errors import RoutineError, UnknownLevelError, UnknownRoutineError
from .limits import PACE_RANGE
from .words import plural

routines_option = click.option(
    "--routines", "routines_path", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder of routine files (default: ./routines, or $BACK_ROUTINE_ROUTINES).")


def fail(message: str, code: int = 2) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@routines_option
def validate(files: tuple[Path, ...], routines_path: Path | None) -> None:
    """Check routine files (default: every file in the routines folder). Exit 2 on any problem."""
    from .loader import load_routine

    paths = list(files) or routine_files(routines_dir(routines_path))
    if not paths:
        fail(f"no routine files to validate in {routines_dir(routines_path)}/")
    bad = 0
    for path in paths:
        try:
            routine = load_routine(path)
        except RoutineError as exc:
            bad += 1
            click.echo(str(exc), err=True)
            continue
        click.echo(f"{path}: ok ({routine.title}; {plural(len(routine.exercises), 'exercise')}; "
                   f"levels {', '.join(routine.levels)})")
    if bad:
        fail(f"{bad} of {plural(len(paths), 'routine file')} {'has' if bad == 1 else 'have'} problems")


@click.command()
@click.argument("routine")
@click.option("--level", default=None, help="Level to expand (default: the routine's default_level).")
@click.option("--pace", type=click.FloatRange(*PACE_RANGE), default=None,
              help="Multiplier on hold and move times (1.25 = slower).")
@click.option("--json", "as_json", is_flag=True, help="Print the steps as JSON.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Build folder: cue lengths measured there replace the estimates.")
@routines_option
def preview(routine: str, level: str | None, pace: float | None, as_json: bool, out_dir: Path,
            routines_path: Path | None) -> None:
    """Show the timeline of ROUTINE (an id or a path): what is said when, and for how long."""
    from .timeline_view import render_json, render_table

    graph, measured, source = load_graph(routine, level, pace, routines_path, out_dir)
    render = render_json if as_json else render_table
    for line in render(graph, measured, source):
        click.echo(line)


@click.command()
def schema() -> None:
    """Print the JSON Schema of routine files (for editor validation and completion)."""
    from .model import Routine

    document = Routine.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "Back Routine routine file"
    click.echo(json.dumps(document, indent=2))


def load_graph(routine: str, level: str | None, pace: float | None, routines_path: Path | None,
               out_dir: Path | None = None):
    """(graph, texts whose speech length was measured, the manifest they came from or None)."""
    from .expansion import estimate_speech_seconds, expand
    from .loader import load_routine

    try:
        path = resolve(routine, routines_dir(routines_path))
        loaded = load_routine(path)
        measured, source = _measured(out_dir, loaded.id or path.stem, level or loaded.level_default)
        estimate = estimate_speech_seconds(loaded.defaults.words_per_minute)
        graph = expand(loaded, level=level, pace=pace,
                       speech_seconds=lambda text: measured[text] if text in measured else estimate(text))
    except (RoutineError, UnknownRoutineError, UnknownLevelError, ValueError) as exc:
        fail(str(exc))
    return graph, set(measured), source


def _measured(out_dir: Path | None, routine_id: str, level: str) -> tuple[dict[str, float], Path | None]:
    if out_dir is None:
        return {}, None
    from audio_builder.manifest import MANIFEST_NAME
    from audio_builder.manifest_reader import read_manifest

    from .measured import measured_speech

    folder = out_dir / routine_id
    seconds = measured_speech(read_manifest(folder), routine_id, level)
    return seconds, (folder / MANIFEST_NAME if seconds else None)
