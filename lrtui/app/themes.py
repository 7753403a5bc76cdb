"""Themes as data files: the package's own and the user's, loaded at start.

A file that cannot be used is reported once, by name, and skipped; the app
falls back to the default theme.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from lrtui.locations import themes_dir

DEFAULT_THEME = "lesson"
COLOR_KEYS = ("primary", "secondary", "accent", "foreground", "background", "surface",
              "panel", "success", "warning", "error")
PLOT_VARIABLES = ("fit-line", "true-line", "points", "loss-line",
                  # the lr map's colour scale: start loss (high) to OLS loss (low), and diverged
                  "map-high", "map-mid", "map-low", "map-diverged")


@dataclass
class ThemeSet:
    themes: list[Theme] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def theme_from_file(path: Path) -> Theme:
    """Read one theme file; raises ValueError naming the file and the problem."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid TOML ({error})") from None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{path}: needs a name = \"...\"")
    if "primary" not in data:
        raise ValueError(f"{path}: needs at least a primary colour")
    colors = {}
    for key in COLOR_KEYS:
        if key in data:
            colors[key] = _color(path, key, data[key])
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"{path}: [variables] must be a table")
    for key, value in variables.items():
        _color(path, f"variables.{key}", value) if key in PLOT_VARIABLES else None
    return Theme(name=name.strip(), dark=bool(data.get("dark", True)),
                 variables={k: str(v) for k, v in variables.items()}, **colors)


def _color(path: Path, key: str, value) -> str:
    try:
        Color.parse(str(value))
    except ColorParseError:
        raise ValueError(f"{path}: {key} = {value!r} is not a colour") from None
    return str(value)


def load_themes(extra: list[Path] | None = None) -> ThemeSet:
    found = ThemeSet()
    files = sorted(p for p in resources.files("lrtui.theme_files").iterdir() if p.name.endswith(".toml"))
    user = themes_dir()
    if user.is_dir():
        files += sorted(user.glob("*.toml"))
    for path in files + list(extra or []):
        try:
            found.themes.append(theme_from_file(Path(str(path))))
        except ValueError as error:
            found.problems.append(str(error))
    return found


def plot_color(theme: Theme | None, variable: str, fallback: str) -> tuple[int, int, int]:
    """A theme's plot colour as the (r, g, b) plotext takes."""
    value = None
    if theme is not None:
        value = theme.variables.get(variable) or getattr(theme, fallback, None)
    try:
        return Color.parse(value or "#cccccc").rgb
    except ColorParseError:
        return (204, 204, 204)


def register_themes(app, wanted: str) -> list[str]:
    """Give the app every theme and switch to `wanted` (a name or a file); the problems found."""
    found = load_themes()
    problems = list(found.problems)
    for theme in found.themes:
        app.register_theme(theme)
    if wanted.endswith(".toml"):
        try:
            theme = theme_from_file(wanted)
        except ValueError as error:
            problems.append(str(error))
            wanted = DEFAULT_THEME
        else:
            app.register_theme(theme)
            wanted = theme.name
    if wanted not in app.available_themes:
        if wanted != DEFAULT_THEME:
            problems.append(f"no theme named '{wanted}': using {DEFAULT_THEME}")
        wanted = DEFAULT_THEME if DEFAULT_THEME in app.available_themes else "textual-dark"
    app.theme = wanted
    return problems
