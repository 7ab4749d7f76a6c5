"""The reading-time estimate of the home page counts what a reader reads."""

import pytest

from snippets.reading import _count, reading_minutes


def test_prose_words_and_code_lines_are_counted_apart():
    text = (
        "Turn the knob {{ grad_a == 24,576 }} times.\n\n"
        '```python exec="on"\na = 2\nb = a**2\n```\n\n'
        "And the gradient is {{ f'{x:.2f}' }}.\n"
    )
    words, code = _count(text)
    # prose: Turn the knob 24,576 times And the gradient is value -> 24 and 576 split at the comma
    assert code == 2
    assert words == len("Turn the knob 24 576 times And the gradient is value".split())


def test_a_page_takes_at_least_five_minutes_in_steps_of_five():
    minutes = reading_minutes("knobs.md")
    assert minutes >= 5 and minutes % 5 == 0


def test_a_missing_page_is_an_error_naming_it():
    with pytest.raises(FileNotFoundError, match="no-such-page.md"):
        reading_minutes("no-such-page.md")
