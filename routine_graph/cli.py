"""`back-routine validate | preview | schema`: the routine-file commands."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .catalog import resolve, routine_files, routines_dir
from .errors import RoutineError, UnknownLevelError, UnknownRoutineError

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
        click.echo(f"{path}: ok ({routine.title}; {len(routine.exercises)} exercises; levels {', '.join(routine.levels)})")
    if bad:
        fail(f"{bad} of {len(paths)} routine file(s) have problems")


@click.command()
@click.argument("routine")
@click.option("--level", default=None, help="Level to expand (default: the routine's default_level).")
@click.option("--pace", type=float, default=None, help="Multiplier on hold and move times (1.25 = slower).")
@click.option("--json", "as_json", is_flag=True, help="Print the steps as JSON.")
@routines_option
def preview(routine: str, level: str | None, pace: float | None, as_json: bool, routines_path: Path | None) -> None:
    """Show the timeline of ROUTINE (an id or a path): what is said when, and for how long."""
    graph = load_graph(routine, level, pace, routines_path)
    if as_json:
        steps = [dict(step.to_dict(), start=round(start, 3)) for step, start in zip(graph.steps, graph.starts)]
        click.echo(json.dumps({"routine": graph.routine_id, "level": graph.level, "pace": graph.pace,
                               "total_seconds": round(graph.total_seconds, 3), "steps": steps}, indent=1))
        return
    click.echo(f"{graph.title}  (level {graph.level}, pace {graph.pace:g}; durations of speech are estimates)")
    click.echo(f"{'start':>8}  {'where':<34} what")
    for step, start in zip(graph.steps, graph.starts):
        what = step.text if step.text else _silence_label(step)
        click.echo(f"{_clock(start):>8}  {step.position.label():<34} {what}")
    click.echo(f"total {_clock(graph.total_seconds)} ({len(graph.steps)} steps, {len(graph.blocks)} chunks)")


@click.command()
def schema() -> None:
    """Print the JSON Schema of routine files (for editor validation and completion)."""
    from .model import Routine

    document = Routine.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "Back Routine routine file"
    click.echo(json.dumps(document, indent=2))


def load_graph(routine: str, level: str | None, pace: float | None, routines_path: Path | None):
    from .expansion import expand
    from .loader import load_routine

    try:
        path = resolve(routine, routines_dir(routines_path))
        return expand(load_routine(path), level=level, pace=pace)
    except (RoutineError, UnknownRoutineError, UnknownLevelError, ValueError) as exc:
        fail(str(exc))


def _silence_label(step) -> str:
    label = f"[{step.kind} {step.seconds:g} s"
    if step.count:
        label += f", counting {step.count}"
    if step.countdown:
        label += f", countdown from {step.countdown}"
    return label + "]"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{int(minutes)}:{secs:04.1f}"
