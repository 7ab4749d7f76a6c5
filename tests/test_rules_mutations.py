"""Breaking a rule breaks the tests: each classic mistake, made in a copy of
``snippets/rules.py``, must make a property test of ``tests/test_rules.py`` fail by that
test's own assertion.

A mistake counts as caught only when hypothesis reports a failing example whose error is
an ``AssertionError`` raised by the property test itself (its ``assert``, or the
``torch.testing.assert_close`` it calls), not from inside the broken copy. Any other
failure proves nothing about the property test: a copy that no longer imports, a typo
(``NameError``), a broken signature (``TypeError``), a shape the rule refuses by itself.
Such a mistake is reported as not caught for the right reason, with what was raised.
"""

from __future__ import annotations

import traceback
import types
from pathlib import Path

import pytest

import snippets.rules
from tests import test_rules
from tests.mutants import broken_copy

SOURCE = Path(snippets.rules.__file__).read_text(encoding="utf-8")
MUTANT_FILE = "broken_rules.py"  # the file name the broken copy's code is compiled with
FAILING_EXAMPLE_NOTES = ("Failing test case", "Falsifying example")  # hypothesis, newer and older

# mistake -> (the property test that must catch it, (text of the rule, text of the mistake)...)
MUTATIONS = {
    "drop the transpose of b": (
        "test_matmul_and_bias_backward_equal_autograd",
        ("return grad @ b.T, a.T @ grad", "return grad @ b, a.T @ grad"),
    ),
    "drop the transpose of a": (
        "test_matmul_and_bias_backward_equal_autograd",
        ("return grad @ b.T, a.T @ grad", "return grad @ b.T, a @ grad"),
    ),
    "bias summed over the wrong dimension": (
        "test_matmul_and_bias_backward_equal_autograd",
        ("return da, db, grad.sum(0)", "return da, db, grad.sum(1)"),
    ),
    "forget keepdim when de-broadcasting": (
        "test_unbroadcast_equals_autograd_for_any_broadcast",
        ("grad = grad.sum(dim=stretched, keepdim=True)", "grad = grad.sum(dim=stretched)"),
        # unbroadcast refuses a gradient of the wrong shape by itself (a ValueError of its
        # own, tested in test_rules.py): without that guard, the property test must be
        # what notices the lost dimension.
        ("if tuple(grad.shape) != shape:", "if False:"),
    ),
    "'=' for '+=' in the scatter-add": (
        "test_embedding_scatter_add_equals_autograd_with_repeated_indices",
        ("dC.index_add_(0, index.reshape(-1), rows)", "dC[index.reshape(-1)] = rows"),
    ),
    "mean without dividing by n": (
        "test_sum_and_mean_backward_equal_autograd",
        ("return sum_backward(grad, shape, dim, keepdim) / n", "return sum_backward(grad, shape, dim, keepdim)"),
    ),
    "variance without Bessel's correction": (
        "test_variance_with_bessel_correction_equals_autograd",
        ("return grad * 2 * deviation / (n - correction)", "return grad * 2 * deviation / n"),
    ),
    "tanh from the input instead of the output": (
        "test_elementwise_rules_equal_autograd",
        ("return grad * (1 - out**2)", "return grad * (1 - out)"),
    ),
}


def mutant(*replacements: tuple[str, str]) -> types.ModuleType:
    """A copy of snippets.rules with each (before, after) made; each before must occur once."""
    return broken_copy(SOURCE, replacements, MUTANT_FILE)


def _failures(error: BaseException) -> list[BaseException]:
    """The failures hypothesis reported: one, or several in an exception group."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in _failures(inner)]
    return [error]


def _frames(error: BaseException) -> list[traceback.FrameSummary]:
    return list(traceback.extract_tb(error.__traceback__))


def _by_the_property(error: BaseException, test_name: str) -> bool:
    """An AssertionError raised in the property test (directly, or by the torch.testing
    call it makes), not from the broken copy's code, with a failing example reported."""
    frames = _frames(error)
    return (
        isinstance(error, AssertionError)
        and any(note.startswith(FAILING_EXAMPLE_NOTES) for note in getattr(error, "__notes__", []))
        and any(f.filename == test_rules.__file__ and f.name == test_name for f in frames)
        and not any(f.filename == MUTANT_FILE for f in frames)
    )


def _describe(error: BaseException) -> str:
    frames = _frames(error)
    where = f" (raised at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}{where}"


def why_not_caught(test_name: str, rules_module: types.ModuleType) -> str | None:
    """Run one property test of test_rules.py against ``rules_module``. None when it fails by
    its own assertion on a failing example hypothesis reports; otherwise, why not."""
    original = test_rules.rules
    test_rules.rules = rules_module
    try:
        getattr(test_rules, test_name)()
    except Exception as error:  # noqa: BLE001  (judged below: only the property's assertion counts)
        failures = _failures(error)
    else:
        return f"not killed: {test_name} passed"
    finally:
        test_rules.rules = original
    if any(_by_the_property(failure, test_name) for failure in failures):
        return None
    return f"not killed for the right reason: {test_name} failed with " + "; ".join(map(_describe, failures))


@pytest.mark.parametrize("mistake", MUTATIONS, ids=list(MUTATIONS))
def test_the_mistake_is_caught(mistake):
    test_name, *replacements = MUTATIONS[mistake]
    why = why_not_caught(test_name, mutant(*replacements))
    assert why is None, f"{mistake}: {why}"


@pytest.mark.parametrize(
    "replacement, raised",
    [
        (("return grad * (1 - out**2)", "return grad * (1 - outt**2)"), "NameError: name 'outt' is not defined"),
        (
            ("return grad * (1 - out**2)", "from torch import no_such_rule\n    return grad * (1 - out**2)"),
            "ImportError: cannot import name 'no_such_rule'",
        ),
        (("def tanh_backward(grad: torch.Tensor, out", "def tanh_backward(out"), "TypeError: "),
        (
            ("return grad * (1 - out**2)", "assert out is None, 'a check in the rule'\n    return grad * (1 - out**2)"),
            "AssertionError: a check in the rule (raised at broken_rules.py:",
        ),
    ],
    ids=["NameError", "ImportError", "TypeError", "AssertionError in the rule"],
)
def test_a_copy_that_crashes_is_not_counted_as_caught(replacement, raised):
    """Every example raises before the property test compares anything: the test failed,
    but not because it saw a wrong gradient (not even an AssertionError from the rule's
    own code counts)."""
    why = why_not_caught("test_elementwise_rules_equal_autograd", mutant(replacement))
    assert why is not None and why.startswith(
        "not killed for the right reason: test_elementwise_rules_equal_autograd failed with " + raised
    ), why


def test_the_rule_refusing_a_shape_by_itself_is_not_counted_as_caught():
    """Forgetting keepdim with unbroadcast's guard left in: the guard's ValueError is raised
    inside the rule, before the property test's assertion is reached."""
    why = why_not_caught(
        "test_unbroadcast_equals_autograd_for_any_broadcast",
        mutant(MUTATIONS["forget keepdim when de-broadcasting"][1]),
    )
    assert why is not None and why.startswith(
        "not killed for the right reason: test_unbroadcast_equals_autograd_for_any_broadcast failed with "
        "ValueError: gradient of shape"
    ), why


def test_the_unbroken_rules_are_not_caught():
    assert why_not_caught("test_elementwise_rules_equal_autograd", mutant()) == (
        "not killed: test_elementwise_rules_equal_autograd passed"
    )
