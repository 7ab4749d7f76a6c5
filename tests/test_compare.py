"""The gradient comparison table that every page ends its backward pass with."""

import re

import pytest
import torch

from snippets.compare import Comparison, GradientMismatch, compare_grads
from tests.pages import ROOT


def _autograd_grad():
    w = torch.tensor([5.0, 6.0], requires_grad=True)
    x = torch.tensor([10.0, 15.0])
    loss = (20.0 - x @ w) ** 2
    loss.backward()
    return w, x


def test_a_right_gradient_is_exact_and_close():
    w, x = _autograd_grad()
    by_hand = 2 * (x @ w.detach() - 20.0) * x  # d/dw (20 - x.w)^2 = 2 (x.w - 20) x
    table = compare_grads({"W": (by_hand, w.grad)})
    assert table["W"].close and table.all_close
    assert table["W"].max_abs_diff == 0.0


def test_a_wrong_gradient_raises_and_names_the_tensor():
    w, x = _autograd_grad()
    wrong = 2 * (x @ w.detach() - 20.0) * x.flip(0)
    with pytest.raises(GradientMismatch, match="W"):
        compare_grads({"W": (wrong, w.grad)})


def test_close_but_not_exact_is_reported_as_such():
    reference = torch.tensor([1.0, 2.0])
    row = Comparison.of("t", reference + 1e-7, reference)
    assert row.close and not row.exact
    assert row.max_abs_diff == pytest.approx(1.1920928955078125e-07)


def test_a_shape_mismatch_is_an_error_even_when_broadcasting_would_hide_it():
    reference = torch.zeros(1, 3)
    with pytest.raises(GradientMismatch, match="shape"):
        Comparison.of("bias", torch.zeros(3), reference)


def test_a_missing_grad_is_an_error():
    with pytest.raises(GradientMismatch, match="None"):
        Comparison.of("h", torch.zeros(2), None)


def test_the_table_reads_as_text_and_as_html():
    table = compare_grads({"a": (torch.tensor(1.0), torch.tensor(1.0))})
    assert "tensor" in str(table) and "scalar" in str(table)
    assert "<table>" in table._repr_html_()


def test_the_column_a_phone_drops_is_the_shape():
    """site.css hides the second column of a .compare-grads table under 480px, saying that it
    only repeats the tensor's shape: that column must be the shape, and the class there."""
    html = compare_grads({"a": (torch.zeros(2, 3), torch.zeros(2, 3))})._repr_html_()
    assert html.startswith('<div class="compare-table compare-grads">')
    headers = re.findall(r"<th>(.*?)</th>", html)
    cells = re.findall(r"<td>(.*?)</td>", html)
    assert headers[1] == "shape" and cells[1] == "[2, 3]"
    css = (ROOT / "docs" / "assets" / "stylesheets" / "site.css").read_text()
    assert ".compare-grads table td:nth-child(2)" in css


def test_ulps_apart_counts_float32_steps_across_zero_and_binades():
    from snippets.compare import ulps_apart

    one = torch.tensor(1.0)
    up = torch.nextafter(one, torch.tensor(2.0))
    down = torch.nextafter(one, torch.tensor(0.0))
    assert ulps_apart(up, one).item() == 1 and ulps_apart(down, one).item() == 1
    assert ulps_apart(up, down).item() == 2  # across the binade at 1.0
    tiny = torch.nextafter(torch.tensor(0.0), one)  # the smallest positive float32
    assert ulps_apart(tiny, -tiny).item() == 2 and ulps_apart(torch.tensor(-0.0), torch.tensor(0.0)).item() == 0
    a = torch.tensor([3.0, -2.5, 7.0])
    assert ulps_apart(a, a).tolist() == [0, 0, 0]
