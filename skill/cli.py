"""`back-routine serve | skill-package | talk`: the Alexa skill's commands.

back_routine/cli.py adds every command in `skill_commands` to the main group.
"""
from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

import click

from routine_graph.catalog import routines_dir, routines_or_installed

from .history_cli import history  # light: it imports the skill only when it runs

routines_option = click.option(
    "--routines", "routines_path", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="Folder of routine files (default: ./routines, or $BACK_ROUTINE_ROUTINES).")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=8, show_default=True, type=click.IntRange(1, 256),
              help="Worker threads of the waitress server.")
@click.option("--db", "db", default="back-routine.sqlite3", show_default=True, type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file keeping each user's progress.")
@click.option("--skill-id", envvar="BACK_ROUTINE_SKILL_ID", default=None,
              help="The skill's application id; requests for any other are refused (also $BACK_ROUTINE_SKILL_ID).")
@click.option("--no-verify", is_flag=True, help="Turn request signature checks OFF (local simulators only; never on the internet).")
@click.option("--dev", is_flag=True, help="Flask's development server with the reloader, instead of waitress.")
@click.option("--trust-roots", type=click.Path(dir_okay=False, exists=True, path_type=Path), envvar="BACK_ROUTINE_TEST_TRUST_ROOTS",
              default=None, help="TESTING ONLY: PEM file of root CAs to trust instead of the public ones.")
@click.option("--cert-file", "cert_files", multiple=True, envvar="BACK_ROUTINE_TEST_CERT_FILES", metavar="URL=PATH",
              help="TESTING ONLY: serve the signing chain for URL from a local PEM file instead of downloading it.")
@click.option("--output", "output_dir", default="output", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of built sessions (back-routine build --out) for the web player at /.")
@click.option("--public-url", envvar="BACK_ROUTINE_PUBLIC_URL", default=None,
              help="HTTPS base URL the built tracks are published under (back-routine publish prints it; or this "
                   "server's /media behind HTTPS): turns on the skill's audio version (also $BACK_ROUTINE_PUBLIC_URL).")
@click.option("--persistence", type=click.Choice(["sqlite", "dynamodb"]), envvar="BACK_ROUTINE_PERSISTENCE",
              default="sqlite", show_default=True, help="Where user progress is kept: the --db file, or DynamoDB.")
@click.option("--dynamodb-table", envvar="BACK_ROUTINE_DYNAMODB_TABLE", default=None,
              help="DynamoDB table for --persistence dynamodb (region from $AWS_REGION).")
@click.option("--create-table", is_flag=True, help="Create the DynamoDB table if it does not exist.")
@click.option("--watch", is_flag=True, help="For authors: rebuild on every save of a routine file, and an open "
              "player page plays the new track from where it was (or shows why the save did not build).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Cue cache folder the builds use (default: the user cache folder).")
@routines_option
def serve(host: str, port: int, workers: int, db: Path, skill_id: str | None, no_verify: bool, dev: bool,
          trust_roots: Path | None, cert_files: tuple[str, ...], routines_path: Path | None, output_dir: Path,
          public_url: str | None, persistence: str, dynamodb_table: str | None, create_table: bool,
          watch: bool, cache_dir: Path | None) -> None:
    """Run the Alexa skill as a web service: POST /alexa, GET /healthz; and the web player at /."""
    from .serve import make_app, parse_cert_files, serve as run_waitress

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if no_verify:
        click.secho("!" * 78 + "\n!!! --no-verify: Alexa request verification is OFF. Anyone who can reach this\n"
                    "!!! server can act as any user. Use it only with a local simulator.\n" + "!" * 78,
                    fg="red", bold=True, err=True)
    if skill_id is None:
        click.secho("warning: no --skill-id (or $BACK_ROUTINE_SKILL_ID): the application id check is off.",
                    fg="yellow", err=True)
    try:
        files = parse_cert_files(cert_files)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cert-file") from None
    from .config import ConfigError

    if watch and dev:
        raise click.UsageError("--watch cannot run with --dev: Flask's reloader would start a second rebuilder; "
                               "leave out --dev")
    folder, warning = routines_or_installed(routines_path)
    if warning:
        click.secho("!" * 78 + f"\n!!! {warning}\n" + "!" * 78, fg="yellow", bold=True, err=True)
    try:
        app = make_app(folder, db, skill_id=skill_id, verify=not no_verify,
                       trust_roots=trust_roots, cert_files=files, output_dir=output_dir, public_url=public_url,
                       persistence=persistence, dynamodb_table=dynamodb_table, create_table=create_table,
                       cache_dir=cache_dir)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if watch:
        from web_player.live_watch import attach_rebuilder

        with attach_rebuilder(app, folder, output_dir, cache_dir).running():
            run_waitress(app, host, port, workers)
    elif dev:
        app.run(host=host, port=port, debug=True, use_reloader=True)
    else:
        run_waitress(app, host, port, workers)


@click.command("skill-package")
@click.option("--out", default="skill-package", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write skill.json and interactionModels/custom/<locale>.json into.")
@click.option("--endpoint", default=None, help="HTTPS URL of your server's /alexa, or your Lambda function's ARN "
                                                "(default: a placeholder to edit).")
@click.option("--ssl-certificate-type", type=click.Choice(["Trusted", "Wildcard", "SelfSigned"]), default="Trusted",
              show_default=True, help="What kind of certificate that endpoint has.")
@click.option("--privacy-url", default=None, help="HTTPS URL of the privacy policy (default: /privacy next to an "
                                                   "https --endpoint, which `serve` serves; none for a Lambda ARN).")
@routines_option
def skill_package(out: Path, endpoint: str | None, ssl_certificate_type: str, privacy_url: str | None,
                  routines_path: Path | None) -> None:
    """Write the Alexa skill package (manifest and interaction models) from the routines, and check it."""
    import re
    from urllib.parse import urlsplit

    from .interaction_model import ENDPOINT_PLACEHOLDER, LAMBDA_ARN_PREFIX, read_package, write_package
    from .model_lint import check_package
    from .routines import RoutineLibrary

    # Checked before anything is written: a package the lint then calls invalid would already have
    # replaced a good one in --out. Alexa calls only HTTPS endpoints (or a Lambda function, by its ARN).
    if endpoint is not None:
        lambda_arn = re.fullmatch(re.escape(LAMBDA_ARN_PREFIX) + r"[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}"
                                  r"(:[A-Za-z0-9$_-]{1,128})?", endpoint)
        try:
            url = urlsplit(endpoint)
            https = url.scheme == "https" and bool(url.hostname) and not re.search(r"\s", endpoint)
        except ValueError:
            https = False
        if not (https or lambda_arn):
            raise click.BadParameter(
                f"{endpoint!r} is neither an https:// URL nor a Lambda function ARN "
                f"({LAMBDA_ARN_PREFIX}REGION:ACCOUNT:function:NAME); Alexa calls only HTTPS endpoints, so put "
                "your server behind a TLS proxy and pass its https:// URL. Nothing was written.",
                param_hint="--endpoint")

    if privacy_url is not None and not re.fullmatch(r"https://[^\s/]+(/\S*)?", privacy_url):
        raise click.BadParameter(f"{privacy_url!r} is not an https:// URL. Nothing was written.",
                                 param_hint="--privacy-url")

    library = RoutineLibrary(routines_dir(routines_path))
    if not library.ids():
        click.echo(f"warning: no routine in {library.directory}/ loads; the slot types will be placeholders", err=True)
    written = write_package(library, out, endpoint or ENDPOINT_PLACEHOLDER, ssl_certificate_type, privacy_url)
    for path in written:
        click.echo(f"wrote {path}")
    problems = check_package(*read_package(out))
    for problem in problems:
        click.echo(f"problem: {problem}", err=True)
    if problems:
        sys.exit(2)
    if endpoint is None:
        click.echo(f"note: the endpoint is the placeholder {ENDPOINT_PLACEHOLDER}; pass --endpoint or edit skill.json")
    elif privacy_url is None and endpoint.startswith(LAMBDA_ARN_PREFIX):
        click.echo("note: no privacy policy URL for a Lambda endpoint; pass --privacy-url (certification needs one)")
    click.echo("checked: loads into ask-smapi-model and passes the lint")


@click.command()
@click.argument("routine", required=False)
@click.option("--db", "db", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file for progress (default: a fresh temporary one, so every talk starts new).")
@click.option("--speak", is_flag=True, help="Also voice each reply with the offline voice (written as WAV files).")
@click.option("--speak-dir", default="talk-audio", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Where --speak writes reply-NNN.wav.")
@click.option("--engine", default="piper", show_default=True, help="TTS engine for --speak (piper, espeak, gtts).")
@click.option("--locale", default="en-US", show_default=True, help="Interaction model locale to match against.")
@routines_option
def talk(routine: str | None, db: Path | None, speak: bool, speak_dir: Path, engine: str, locale: str,
         routines_path: Path | None) -> None:
    """Talk to the skill in the terminal: type what you would say to Alexa ('next', 'where am I', ...).

    ROUTINE (an id, or a path to a routine file) is started right after the welcome."""
    from .builder import build_skill
    from .console import Console, make_wav_writer, run
    from .utterance_matcher import UtteranceMatcher
    from .interaction_model import interaction_model
    from .persistence import SQLitePersistenceAdapter
    from .routines import RoutineLibrary

    folder, warning = routines_or_installed(routines_path)
    if warning:
        click.secho(f"warning: {warning}", fg="yellow", err=True)
    first = None
    if routine:
        path = Path(routine)
        if path.suffix in (".yaml", ".yml") and path.is_file():
            folder, routine = path.parent, path.stem
        first = f"start {routine.replace('-', ' ')}"
    library = RoutineLibrary(folder)
    if routine and library.get(routine) is None:
        raise click.UsageError(f"no routine {routine!r} that loads in {folder}/ (available: {', '.join(library.ids()) or 'none'})")
    with tempfile.TemporaryDirectory() as scratch:
        adapter = SQLitePersistenceAdapter(db or Path(scratch) / "talk.sqlite3")
        skill = build_skill(library, adapter)
        matcher = UtteranceMatcher(interaction_model(library, locale))
        out = click.get_text_stream("stdout")
        writer = make_wav_writer(speak_dir, engine, out) if speak else None
        click.echo("Type what you would say to Alexa; 'quit' to leave. Try: start, next, where am I, slower, it hurts.")
        run(Console(skill, matcher, out, on_reply=writer), click.get_text_stream("stdin"), out, first=first)
        adapter.close()


skill_commands = [serve, skill_package, talk, history]
