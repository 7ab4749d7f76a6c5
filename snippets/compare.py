"""Compare hand-written gradients with the ones autograd computed.

``compare_grads`` builds one row per tensor: is the hand-written gradient bit-for-bit equal
to autograd's (``exact``), equal within ``torch.allclose``'s tolerance (``close``), and the
largest absolute difference. It raises ``GradientMismatch`` when a row is not close, so a
wrong line of a hand-written backward pass stops the page (and the test run) right there.

In a notebook or on a page the table shows as HTML; in a terminal, ``print(table)`` shows it
as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import torch

from snippets.tables import html_table, text_table

# The site's tolerances, in one place ("Why the bits differ" explains each).
# Pages, float32: torch.allclose's defaults, |manual - autograd| <= atol + rtol * |autograd|.
RTOL = 1e-5
ATOL = 1e-8
# The rules' proofs in tests/test_rules.py, float64, where a step is 2**29 times finer.
FLOAT64 = {"rtol": 1e-12, "atol": 1e-12}
# A rule that only moves numbers (max's one-hot) must be exact.
EXACT = {"rtol": 0.0, "atol": 0.0}
# Against finite differences (torch.autograd.gradcheck, float64, central differences):
# their truncation error (of order eps**2) and rounding error (about float64's epsilon
# times |f| / eps) need a wider tolerance; rtol is stricter than gradcheck's default 1e-3.
GRADCHECK = {"eps": 1e-6, "atol": 1e-5, "rtol": 1e-4}


class GradientMismatch(AssertionError):
    """A hand-written gradient is not close to autograd's."""


@dataclass(frozen=True)
class Comparison:
    name: str
    shape: tuple[int, ...]
    exact: bool
    close: bool
    max_abs_diff: float

    @classmethod
    def of(cls, name: str, manual, autograd, rtol: float = RTOL, atol: float = ATOL) -> "Comparison":
        manual_t = torch.as_tensor(manual)
        if autograd is None:
            raise GradientMismatch(
                f"{name}: autograd has no gradient to compare with (.grad is None: "
                "is it a non-leaf without retain_grad(), or was backward() not called?)"
            )
        autograd_t = torch.as_tensor(autograd)
        if manual_t.shape != autograd_t.shape:
            raise GradientMismatch(
                f"{name}: the hand-written gradient has shape {list(manual_t.shape)} "
                f"but the tensor's gradient has shape {list(autograd_t.shape)}"
            )
        manual_t = manual_t.to(autograd_t.dtype)
        diff = (manual_t - autograd_t).abs()
        return cls(
            name=name,
            shape=tuple(autograd_t.shape),
            exact=bool(torch.equal(manual_t, autograd_t)),
            close=bool(torch.allclose(manual_t, autograd_t, rtol=rtol, atol=atol)),
            max_abs_diff=float(diff.max()) if diff.numel() else 0.0,
        )


class ComparisonTable(list):
    """Rows of Comparison, shown as a table."""

    columns = ("tensor", "shape", "exact", "close", "max |diff|")
    caption = "Hand-written gradient against autograd"

    def _cells(self, row: Comparison) -> tuple[str, ...]:
        return (
            row.name,
            str(list(row.shape)) if row.shape else "scalar",
            "yes" if row.exact else "no",
            "yes" if row.close else "NO",
            f"{row.max_abs_diff:.3g}",
        )

    def __str__(self) -> str:
        return text_table(self.columns, [self._cells(r) for r in self])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return html_table(
            self.columns,
            [self._cells(r) for r in self],
            self.caption,
            ["compare-" + ("exact" if r.exact else "close" if r.close else "mismatch") for r in self],
            css_class="compare-table compare-grads",  # the site's stylesheet drops its shape column on a phone
        )

    @property
    def all_exact(self) -> bool:
        return all(r.exact for r in self)

    @property
    def all_close(self) -> bool:
        return all(r.close for r in self)

    def __getitem__(self, key):
        if isinstance(key, str):
            for row in self:
                if row.name == key:
                    return row
            raise KeyError(key)
        return super().__getitem__(key)


def compare_grads(
    pairs: Mapping[str, tuple[object, object]],
    rtol: float = RTOL,
    atol: float = ATOL,
    caption: str | None = None,
) -> ComparisonTable:
    """``{"name": (hand_written, tensor.grad), ...}`` -> a table; raises if a row is not close."""
    table = ComparisonTable(Comparison.of(name, m, a, rtol, atol) for name, (m, a) in pairs.items())
    if caption:
        table.caption = caption
    wrong = [r for r in table if not r.close]
    if wrong:
        raise GradientMismatch(
            "hand-written gradient differs from autograd for "
            + ", ".join(f"{r.name} (max |diff| {r.max_abs_diff:.3g})" for r in wrong)
            + "\n"
            + str(table)
        )
    return table


def ulps_apart(a, b) -> torch.Tensor:
    """How many float32 steps (units in the last place) separate a from b, entry by entry:
    0 where they are equal, 1 where they are neighbouring float32 numbers.

    Counted on the bit patterns: float32 numbers of one sign are ordered like their bits
    read as integers, so mapping negative ones to minus their magnitude bits puts every
    float32 on one integer line (+0.0 and -0.0 both at 0)."""

    def on_the_line(x) -> torch.Tensor:
        bits = torch.as_tensor(x).detach().to(torch.float32).contiguous().view(torch.int32).to(torch.int64)
        return torch.where(bits < 0, -(bits & 0x7FFFFFFF), bits)

    return (on_the_line(a) - on_the_line(b)).abs()
