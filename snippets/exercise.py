"""Check a learner's answers in the exercise notebooks against autograd.

A notebook computes autograd's gradients once (``expected = autograd_grads(fw, params)``)
and, after the learner's cells, runs ``check(globals(), expected, [...names...])``. For
every name it looks up the learner's ``grad_<name>`` (or, with another ``prefix``, the
name as it is: the AdamW exercise checks moments and parameters against
``torch.optim.AdamW``) and says, in one readable line,
whether it is right (bit for bit, or within ``torch.allclose``) or why it is not yet:
still blank, not a tensor, the wrong shape, nan, or off by how much and where. It never
raises, so a notebook with blanks runs from top to bottom and shows what is left to do.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import torch

from snippets.compare import ATOL, RTOL


def autograd_grads(fw, params) -> dict[str, torch.Tensor]:
    """Autograd's gradient of the loss for every intermediate of ``fw`` and every parameter
    (after ``fw.loss.backward()``), by name."""
    grads = {name: t.grad for name, t in fw.items() if t.grad is not None}
    grads.update({name: p.grad for name, p in params.items()})
    missing = [name for name, g in grads.items() if g is None]
    if missing or "loss" not in dict(fw.items()):
        raise ValueError(f"no gradient yet for {missing}: call fw.loss.backward() first")
    return grads


@dataclass(frozen=True)
class Verdict:
    name: str  # the learner's variable, grad_<tensor>
    correct: bool
    message: str


class Report(list):
    """One Verdict per expected gradient; shows as a table in a notebook, text elsewhere."""

    against = "autograd"  # what the expected values come from, for the table's heading

    @property
    def all_correct(self) -> bool:
        return all(v.correct for v in self)

    @property
    def summary(self) -> str:
        right = sum(v.correct for v in self)
        if right == len(self):
            return f"All {right} correct."
        return f"{right} of {len(self)} correct; {len(self) - right} not yet."

    def __str__(self) -> str:
        width = max(len(v.name) for v in self)
        lines = [f"{'✓' if v.correct else '✗'} {v.name.ljust(width)}  {v.message}" for v in self]
        return "\n".join(lines + [self.summary])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(
            f'<tr class="check-{"right" if v.correct else "not-yet"}">'
            f"<td>{'✓' if v.correct else '✗'}</td><td><code>{html.escape(v.name)}</code></td>"
            f"<td>{html.escape(v.message)}</td></tr>"
            for v in self
        )
        return (
            '<div class="exercise-check"><table><thead><tr><th>check</th><th>answer</th>'
            f"<th>against {html.escape(self.against)}</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p>{html.escape(self.summary)}</p></div>"
        )


def verdict(name: str, answer: Any, expected: torch.Tensor, rtol: float = RTOL, atol: float = ATOL) -> Verdict:
    """Is one answer right? Never raises: a wrong answer is a message."""
    if answer is ... or answer is None:
        return Verdict(name, False, "not yet: still blank (replace the ... with your answer)")
    if not isinstance(answer, torch.Tensor):
        return Verdict(name, False, f"not yet: a {type(answer).__name__}, not a tensor")
    want = list(expected.shape)
    if list(answer.shape) != want:
        return Verdict(name, False, f"not yet: shape {list(answer.shape)}, but the gradient has shape {want}")
    answer = answer.detach().to(expected.dtype)
    if not torch.isfinite(answer).all():
        return Verdict(name, False, "not yet: it contains nan or inf")
    if torch.equal(answer, expected):
        return Verdict(name, True, "right, bit for bit")
    diff = (answer - expected).abs()
    worst = diff.max().item()
    # Rounding in a float32 sum is relative to the sum's largest terms, not to each result:
    # an entry that is nearly zero can differ by more than rtol times itself and still be
    # right. So the absolute tolerance grows with the tensor's largest entry.
    atol = atol + rtol * expected.abs().max().item()
    if torch.allclose(answer, expected, rtol=rtol, atol=atol):
        return Verdict(name, True, f"right (largest difference {worst:.2g}, rounding)")
    where = [int(i) for i in torch.unravel_index(diff.argmax(), diff.shape)] if diff.dim() else []
    at = f" at index {where}" if where else ""
    return Verdict(name, False, f"not yet: off by up to {worst:.3g}{at}")


def check(namespace: Mapping[str, Any], expected: Mapping[str, torch.Tensor],
          names: Iterable[str] | None = None, prefix: str = "grad_",
          against: str = "autograd") -> Report:
    """Compare ``namespace[prefix + name]`` with ``expected[name]`` for each name."""
    names = list(expected) if names is None else list(names)
    report = Report(verdict(f"{prefix}{n}", namespace.get(f"{prefix}{n}", ...), expected[n]) for n in names)
    report.against = against
    return report
