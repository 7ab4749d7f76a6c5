"""Breaking a rule breaks the tests: each classic mistake, made in a copy of
``snippets/rules.py``, must make the property tests of ``tests/test_rules.py`` fail."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

import snippets.rules
from tests import test_rules

SOURCE = Path(snippets.rules.__file__).read_text(encoding="utf-8")

MUTATIONS = {
    "drop the transpose of b": ("return grad @ b.T, a.T @ grad", "return grad @ b, a.T @ grad", "test_matmul_and_bias_backward_equal_autograd"),
    "drop the transpose of a": ("return grad @ b.T, a.T @ grad", "return grad @ b.T, a @ grad", "test_matmul_and_bias_backward_equal_autograd"),
    "bias summed over the wrong dimension": ("return da, db, grad.sum(0)", "return da, db, grad.sum(1)", "test_matmul_and_bias_backward_equal_autograd"),
    "forget keepdim when de-broadcasting": ("grad = grad.sum(dim=stretched, keepdim=True)", "grad = grad.sum(dim=stretched)", "test_unbroadcast_equals_autograd_for_any_broadcast"),
    "'=' for '+=' in the scatter-add": ("dC.index_add_(0, index.reshape(-1), rows)", "dC[index.reshape(-1)] = rows", "test_embedding_scatter_add_equals_autograd_with_repeated_indices"),
    "mean without dividing by n": ("return sum_backward(grad, shape, dim, keepdim) / n", "return sum_backward(grad, shape, dim, keepdim)", "test_sum_and_mean_backward_equal_autograd"),
    "variance without Bessel's correction": ("return grad * 2 * deviation / (n - correction)", "return grad * 2 * deviation / n", "test_variance_with_bessel_correction_equals_autograd"),
    "tanh from the input instead of the output": ("return grad * (1 - out**2)", "return grad * (1 - out)", "test_elementwise_rules_equal_autograd"),
}


@pytest.mark.parametrize("mistake", MUTATIONS, ids=list(MUTATIONS))
def test_the_mistake_is_caught(mistake, monkeypatch):
    before, after, test_name = MUTATIONS[mistake]
    assert SOURCE.count(before) == 1, f"the rule to break is no longer written as {before!r}"
    broken = types.ModuleType("broken_rules")
    exec(compile(SOURCE.replace(before, after), "broken_rules.py", "exec"), broken.__dict__)
    monkeypatch.setattr(test_rules, "rules", broken)
    with pytest.raises(Exception):
        getattr(test_rules, test_name)()
