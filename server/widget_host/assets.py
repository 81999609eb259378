"""The built widget files: server/static/widget/manifest.json names the current loader and form."""

from __future__ import annotations

import json
import os
from pathlib import Path

WIDGET_STATIC = Path(__file__).resolve().parent.parent / "static" / "widget"
MANIFEST = WIDGET_STATIC / "manifest.json"

_cache: dict = {"stamp": None, "manifest": None}


def manifest() -> dict:
    """The manifest, re-read when the file changes (a rebuild while the server runs)."""
    stat = os.stat(MANIFEST)
    stamp = (stat.st_mtime_ns, stat.st_size)
    if _cache["stamp"] != stamp:
        _cache["manifest"] = json.loads(MANIFEST.read_text(encoding="utf-8"))
        _cache["stamp"] = stamp
    return _cache["manifest"]


def hashed_files() -> set[str]:
    """The content-hashed files that may be served (cached for a year): the current build's, and
    the previous build's, which a loader cached before a deployment still names."""
    current = manifest()
    return {current["loader"], current["form"], *current.get("previous", [])}
