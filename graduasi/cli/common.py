"""Helpers shared by the command modules: settings loading with readable errors, logging set-up."""

from __future__ import annotations

import logging
import sys

import click
from pydantic import ValidationError

from graduasi.settings import Settings

_configured = False


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr, one line per record; called only by the entry point (libraries only get loggers)."""
    global _configured
    root = logging.getLogger()
    if _configured:
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(level)
    _configured = True


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value becomes a click error naming the variable and the fix."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "GRADUASI_" + "_".join(str(p) for p in err["loc"]).upper()
            lines.append(f"{name}: {err['msg']}")
        raise click.ClickException("invalid settings:\n  " + "\n  ".join(lines)) from exc
