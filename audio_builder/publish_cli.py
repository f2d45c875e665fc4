"""`back-routine publish --to s3://bucket/prefix`: upload built tracks and manifests (what changed)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from routine_graph.cli import routines_option


def _paces(ctx: click.Context, param: click.Parameter, text: str | None) -> tuple[float, ...]:
    """"1,1.25,1.5" -> (1.0, 1.25, 1.5): each a pace of the grid (audio_builder/paces.py), once each."""
    from .paces import PaceError, parse_pace

    if text is None:
        return ()
    if not text.strip():
        raise click.BadParameter("no paces given: write them with commas between them, e.g. 1,1.25,1.5")
    paces: list[float] = []
    for item in text.split(","):
        if not item.strip():
            raise click.BadParameter(f"“{text}” has an empty item: write the paces with commas between them, "
                                     "e.g. 1,1.25,1.5")
        try:
            pace = parse_pace(item)
        except PaceError as exc:
            raise click.BadParameter(str(exc)) from None
        if pace not in paces:
            paces.append(pace)
    return tuple(paces)


@click.command()
@click.option("--to", "destination", required=True, metavar="s3://BUCKET/PREFIX", help="Where to publish.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
              show_default=True, help="Folder of built tracks (what `back-routine build --out` wrote).")
@click.option("--routine", "routines", multiple=True, help="Publish only this routine (repeatable; default: all built).")
@click.option("--public-url", default=None,
              help="HTTPS URL the bucket is served at (e.g. CloudFront), printed instead of the S3 one.")
@click.option("--region", default=None, help="The bucket's region (default: your AWS configuration).")
@click.option("--dry-run", is_flag=True, help="Show what would be uploaded, upload nothing. Works offline too: "
              "without access to the bucket it lists every built file.")
@click.option("--delete", is_flag=True, help="Also delete remote files that no build lists any more.")
@click.option("--force", is_flag=True, help="Upload everything, changed or not (e.g. to refresh headers).")
@click.option("--paces", callback=_paces, default=None, metavar="P,P,...",
              help="Also upload each level's full session at these paces (e.g. 1,1.25,1.5; 0.75 to 2 in steps of "
                   "0.05), assembled from the cue cache, for the skill's audio version on static hosting.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --paces: the cue cache the build used (default: the user cache folder).")
@routines_option
def publish(destination: str, out_dir: Path, routines: tuple[str, ...], public_url: str | None, region: str | None,
            dry_run: bool, delete: bool, force: bool, paces: tuple[float, ...], cache_dir: Path | None,
            routines_path: Path | None) -> None:
    """Upload built tracks, captions, playlists and manifests to S3, only what changed (by content
    hash), with content types and cache headers; print the public base URL for the skill."""
    from .publish import CannotAssemble, NothingToPublish, PublishError, S3Target, publish as run, s3_client

    try:
        target = S3Target.parse(destination)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from None

    def show(action: str, local) -> None:
        click.echo(f"{'would upload' if dry_run else 'uploading'} {local.relative} ({local.size / 1e6:.1f} MB)")

    variants = None
    if paces:
        from routine_graph.catalog import routines_dir

        from .cue_cache import default_cache_dir
        from .variant_source import VariantSource

        cache = cache_dir if cache_dir is not None else default_cache_dir()
        variants = VariantSource(routines_dir(routines_path), cache)
    try:
        report = run(out_dir, target, client=s3_client(region), public_url=public_url, routines=routines or None,
                     dry_run=dry_run, delete=delete, force=force, on_file=show, paces=paces, variants=variants)
    except (NothingToPublish, CannotAssemble) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except PublishError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if report.not_compared:
        unknown = " (nor which remote files --delete would remove)" if delete else ""
        click.echo(f"note: could not compare with {target.url()}, so every built file is listed{unknown}. "
                   f"Why: {report.not_compared}", err=True)
    verb = "would upload" if dry_run else "uploaded"
    click.echo(f"{verb} {len(report.uploaded)} file(s), {report.bytes_uploaded / 1e6:.1f} MB; "
               f"{len(report.unchanged)} unchanged; to {target.url()} in {report.seconds:.1f} s")
    if paces:
        click.echo(f"paces for the skill's audio version: {', '.join(f'{p:g}' for p in paces)} (a level's own pace "
                   "is its built track)")
    for name in report.deleted:
        click.echo(f"{'would delete' if dry_run else 'deleted'} {name}")
    if report.stale:
        click.echo(f"{len(report.stale)} remote file(s) are no longer in any build (kept; --delete removes them)")
    click.echo(f"public base URL: {report.public_url}")
    click.echo(f"  serve:  back-routine serve --public-url {report.public_url}")
    click.echo(f"  Lambda: BACK_ROUTINE_PUBLIC_URL={report.public_url}")
