"""Tables for pages: HTML on a page or in a notebook, text in a terminal.

``text_table`` and ``html_table`` render rows of cells (the first column as code);
``Table(columns, rows, caption)`` is a list of rows that shows itself with them.
``snippets.compare.ComparisonTable`` renders through the same two functions.
"""

from __future__ import annotations

import html
from typing import Iterable, Sequence


def text_table(columns: Sequence[str], rows: Iterable[Sequence[object]], caption: str = "") -> str:
    cells = [tuple(columns)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(([caption] if caption else []) + lines)


def html_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    caption: str = "",
    row_classes: Iterable[str] | None = None,
    css_class: str = "compare-table",
) -> str:
    rows = list(rows)
    classes = list(row_classes) if row_classes is not None else [""] * len(rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        (f'<tr class="{css}">' if css else "<tr>")
        + "".join(
            f"<td><code>{html.escape(str(c))}</code></td>" if i == 0 else f"<td>{html.escape(str(c))}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row, css in zip(rows, classes)
    )
    caption_html = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<div class="{css_class}"><table>{caption_html}'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


class Table(list):
    def __init__(self, columns: Sequence[str], rows: Iterable[Sequence[object]], caption: str = ""):
        super().__init__(tuple(row) for row in rows)
        self.columns = tuple(columns)
        self.caption = caption

    def __str__(self) -> str:
        return text_table(self.columns, self, self.caption)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(self.columns, self, self.caption)
