"""A small table of rows for pages: HTML on a page or in a notebook, text in a terminal.

``Table(columns, rows, caption)``: each row a tuple of cells; cells are shown with
``str()``, and a cell in the first column as code.
"""

from __future__ import annotations

import html
from typing import Iterable, Sequence


class Table(list):
    def __init__(self, columns: Sequence[str], rows: Iterable[Sequence[object]], caption: str = ""):
        super().__init__(tuple(row) for row in rows)
        self.columns = tuple(columns)
        self.caption = caption

    def __str__(self) -> str:
        rows = [self.columns] + [tuple(str(c) for c in row) for row in self]
        widths = [max(len(r[i]) for r in rows) for i in range(len(self.columns))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(([self.caption] if self.caption else []) + lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td><code>{html.escape(str(c))}</code></td>" if i == 0 else f"<td>{html.escape(str(c))}</td>"
                for i, c in enumerate(row)
            )
            + "</tr>"
            for row in self
        )
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f'<div class="compare-table"><table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
