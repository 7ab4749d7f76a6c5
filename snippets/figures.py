"""Matplotlib figures as inline SVG that follow the site's light and dark palettes.

The build turns every figure a code fence leaves open into inline SVG (see
``pagecheck.runner``). Black strokes and text become ``currentColor``, so axes, ticks and
labels take the page's text colour in either palette; the background is transparent. The
SVG is deterministic: no date in its metadata and a fixed salt for its element ids, so two
builds write the same bytes.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# A palette that reads on white and on Material's slate background alike.
BLUE = "#3b82f6"
ORANGE = "#f59e0b"
GREEN = "#10b981"
RED = "#ef4444"

STYLE = {
    "svg.hashsalt": "backprop-by-hand",
    "svg.fonttype": "none",  # keep text as text: selectable, and styled by the page
    "font.family": "sans-serif",
    "font.size": 11,
    "axes.prop_cycle": matplotlib.cycler(color=[BLUE, ORANGE, GREEN, RED]),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "legend.frameon": False,  # a filled legend box would stay white in the dark palette
}


def use_site_style() -> None:
    """The site's figure style, over matplotlib's current settings (set on import)."""
    plt.rcParams.update(STYLE)


use_site_style()

_BLACK = re.compile(r"#000000|#000\b|\bblack\b", re.I)


# More markers than this in one series are drawn as one embedded image, not one SVG element
# each: a browser styles and lays out every element of an inline SVG with the page, and a
# few thousand of them made a page take seconds to show.
DENSE = 200
RASTER_DPI = 200


def _rasterize_dense_markers(fig: plt.Figure) -> None:
    for ax in fig.axes:
        for line in ax.lines:
            only_markers = line.get_linestyle() in {"None", "none", "", " "}
            if only_markers and line.get_marker() not in {None, "None", "none", ""} and len(line.get_xdata()) > DENSE:
                line.set_rasterized(True)
        for collection in ax.collections:  # plt.scatter
            if len(collection.get_offsets()) > DENSE:
                collection.set_rasterized(True)


def figure_to_svg(fig: plt.Figure, description: str | None = None) -> str:
    """Render a figure as inline SVG markup that follows the page's text colour."""
    _rasterize_dense_markers(fig)
    buffer = io.StringIO()
    fig.savefig(
        buffer, format="svg", transparent=True, bbox_inches="tight", dpi=RASTER_DPI, metadata={"Date": None}
    )
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prolog and doctype: this is inline SVG
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.S)
    # Matplotlib's <style>*{stroke-linejoin: round; stroke-linecap: butt}</style> would style
    # every element of the page it is inlined in: the same as attributes of the figure alone.
    svg = re.sub(r"\s*<defs>\s*<style[^>]*>[^<]*</style>\s*</defs>", "", svg, count=1)
    svg = svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
    svg = _BLACK.sub("currentColor", svg)
    label = description or fig.get_label() or _title_of(fig)
    if label:
        svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_escape(label)}" ', 1)
    # Let the figure shrink on narrow screens.
    svg = re.sub(r'(<svg[^>]*?)\swidth="([\d.]+)pt"\s+height="([\d.]+)pt"', r'\1 style="max-width:100%;height:auto"', svg, count=1)
    return svg


def _title_of(fig: plt.Figure) -> str:
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    return "; ".join(titles)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
