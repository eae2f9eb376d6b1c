"""PNG files of the report's figures, drawn by kaleido in the system's Chromium (offline)."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.graph_objects as go

from riskalloc.core import ConfigError

__all__ = ["PNG_WIDTH", "file_stem", "write_pngs"]

#: Width of a PNG in CSS pixels (drawn at twice that for print and papers).
PNG_WIDTH = 1100


def file_stem(*parts: str) -> str:
    """A file name made of ``parts``, with anything but letters, digits, ``.``, ``_`` and
    ``-`` replaced (scenario labels come from user file names)."""
    return "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", part).strip("_") for part in parts if part)


def write_pngs(figures: dict[Path, go.Figure], *, scale: float = 2.0, tabs: int = 1) -> list[Path]:
    """Write each figure to its path as PNG, with one browser for all of them
    (more ``tabs`` than 1 only pays with cores to spare).

    Buttons and dropdowns are left out of the pictures: a PNG cannot be clicked.

    Raises
    ------
    ConfigError
        When no Chromium or Chrome can be found (kaleido draws with one).
    """
    if not figures:
        return []
    import kaleido
    from kaleido.errors import ChromeNotFoundError

    specs = []
    for path, figure in figures.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        still = go.Figure(figure).update_layout(updatemenus=[])
        specs.append(
            {
                "fig": still.to_plotly_json(),
                "path": path,
                "opts": {
                    "format": "png",
                    "width": PNG_WIDTH,
                    "height": int(still.layout.height or 450),
                    "scale": scale,
                },
            }
        )
    try:
        # mathjax=False: kaleido would otherwise fetch MathJax from a CDN; the figures use none.
        # plotly.js comes from the plotly package, so nothing is downloaded.
        kaleido.write_fig_from_object_sync(specs, kopts={"mathjax": False, "n": tabs})
    except ChromeNotFoundError:
        raise ConfigError(
            "--png draws the figures with Chromium or Chrome, and none was found; "
            "install one (Debian: apt-get install chromium) or set BROWSER_PATH"
        ) from None
    return list(figures)
