"""Every use of a private plotext or textual-plotext name, in one place, each with the reason.

A test (tests/unit_tests/test_internals.py) fails loudly if one disappears;
pyproject.toml bounds plotext below 6 and textual-plotext below 1.1.
"""

from __future__ import annotations


def set_size(plt, width: int, height: int) -> None:
    """Size the figure exactly: plotsize alone keeps a stale size after a resize."""
    plt.plotsize(width, height)
    plt._set_size(width, height)


def theme_name(plot, textual_theme: str) -> str:
    """The plotext theme textual-plotext registered for a Textual theme (no public name)."""
    return plot._get_plotext_theme_name(textual_theme)
