"""Web player: play, navigate and download the built sessions from any browser on the network.

`create_blueprint(output_dir)` returns a Flask blueprint serving the library (`/`), a player per
routine and level (`/routines/<id>`) and the built files with Range support (`/media/...`);
`back-routine serve` registers it next to the Alexa endpoint. Everything comes from the manifests the
audio builder writes; pages are server-rendered, with plain CSS and one small script, no build step.
"""
from __future__ import annotations

from .library import Library
from .views import BLUEPRINT_NAME, create_blueprint

__all__ = ["BLUEPRINT_NAME", "Library", "create_blueprint"]
