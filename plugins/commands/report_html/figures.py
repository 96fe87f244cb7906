"""Matplotlib, headless: one look for every figure, and a figure as inline SVG or a PNG file.

Matplotlib is an optional extra (``pip install "orcapost[report]"``); :func:`pyplot` says so
plainly when it is missing. The Agg backend is chosen before pyplot is imported, so no display
is needed (a batch job, a CI runner); SVG text stays text (``svg.fonttype: none``), which keeps
the page small and the labels crisp and searchable.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orcapost.api import OrcapostError

#: The figure size of one plot, inches (a laptop screen shows it whole at 100% zoom).
WIDTH, HEIGHT = 9.0, 4.6
#: The colour of the governing case, of limits, and of the other cases.
GOVERNING, LIMIT, OTHERS = "#c0392b", "#1f6f3f", "#9aa7b4"

_STYLE = {
    "figure.figsize": (WIDTH, HEIGHT),
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 9,
    "legend.framealpha": 0.85,
    "svg.fonttype": "none",
    # Ticks are the values themselves: an offset ('+8.348e2' in a corner, ticks 0.066..0.073)
    # reads as the wrong number when seeds' maxima agree to several digits.
    "axes.formatter.useoffset": False,
}


@dataclass
class Figure:
    """A drawn figure: its matplotlib figure, a short id and a caption."""

    key: str
    kind: str
    title: str
    figure: Any
    caption: str = ""
    #: Margins set by the builder (a figure of many labels whose layout is known): no layout
    #: pass, which would measure every label once more.
    fixed_layout: bool = False


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, styled; a clear error when not installed."""
    try:
        import matplotlib
    except ImportError:
        raise OrcapostError(
            "the HTML report and --png need matplotlib, which is not installed",
            hint='pip install "orcapost[report]" (or pip install matplotlib)') from None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    rc: Any = plt.rcParams  # typed by literal keys; the style is a plain dict
    rc.update(_STYLE)
    return plt


def axis_label(name: str, unit: str | None) -> str:
    return f"{name} [{unit}]" if unit else name


_XML_HEAD = re.compile(r"^.*?(?=<svg)", re.S)


def _lay_out(figure: Figure) -> None:
    # One layout pass fits the labels inside the figure: bbox_inches="tight" would draw every
    # figure twice (a quarter of a large report's time).
    import warnings

    if figure.fixed_layout:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not compatible with tight_layout": keeps its layout
        figure.figure.tight_layout()


def to_svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element for inline use: no XML prolog, and ids salted with
    the figure's key so that many figures on one page never share a clip-path id."""
    plt = pyplot()
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": figure.key, "svg.id": f"svg-{figure.key}"}):
        _lay_out(figure)
        figure.figure.savefig(buffer, format="svg")
    return _XML_HEAD.sub("", buffer.getvalue(), count=1)


def to_png(figure: Figure, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{figure.key}.png"
    _lay_out(figure)
    figure.figure.savefig(path, format="png")
    return path


def close(figure: Figure) -> None:
    pyplot().close(figure.figure)


def slug(text: str) -> str:
    """A file-name and id-safe form of ``text``."""
    return re.sub(r"[^0-9A-Za-z]+", "-", text).strip("-").lower() or "figure"
