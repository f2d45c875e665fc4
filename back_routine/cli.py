"""The `back-routine` command: one group, with each package contributing its own subcommands."""
from __future__ import annotations

import click

from audio_builder.cli import build, watch
from audio_builder.publish_cli import publish
from routine_graph.cli import preview, schema, validate
from skill.cli import skill_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="back-routine")
def main() -> None:
    """Back Routine: guided back-pain routines as MP3 tracks and an Alexa skill."""


main.add_command(validate)
main.add_command(preview)
main.add_command(schema)
main.add_command(build)
main.add_command(watch)
main.add_command(publish)
for command in skill_commands:  # serve, skill-package, talk
    main.add_command(command)
