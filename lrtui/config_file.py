"""`--config FILE.toml`: every option of the command line, from a file.

Keys are the flags without their dashes (`lr`, `init-w`, `steps`) or the
setting names (`learning_rate`, `init_w`); values go through the same
parsers as the flags and the pane, so a file is refused with the same
messages. Flags given on the command line override the file.

    lr = 0.05
    steps = 500
    speed = "max"
    data = "points.csv"
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from lrtui.config import PARSERS, SettingError, parser_text

# The flags whose names differ from their setting.
ALIASES = {"lr": "learning_rate"}
TEXT_OPTIONS = ("data", "theme")
# Settings that are yes or no: TOML's true and false work as well as "yes" and "no".
YES_NO = ("staircase", "no_stop")


def option_name(key: str) -> str:
    name = key.replace("-", "_")
    return ALIASES.get(name, name)


def read_config(path: str | Path) -> dict[str, object]:
    """The file's options as argparse destinations and parsed values."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise SettingError(f"{path}: no such config file") from None
    except IsADirectoryError:
        raise SettingError(f"{path}: is a directory, not a config file") from None
    except OSError as error:
        raise SettingError(f"{path}: cannot be read ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingError(f"{path}: not valid TOML ({error})") from None
    values: dict[str, object] = {}
    for key, value in raw.items():
        name = option_name(key)
        if isinstance(value, bool) and name not in YES_NO:
            raise SettingError(f"{path}: {key} = {value!r}: use a number or a quoted text")
        if not isinstance(value, (str, int, float)):
            raise SettingError(f"{path}: {key} = {value!r}: use a number or a quoted text")
        if name in PARSERS:
            try:
                values[name] = PARSERS[name](parser_text(value))
            except SettingError as error:
                raise SettingError(f"{path}: {error}") from None
        elif name in TEXT_OPTIONS:
            values[name] = str(value)
        elif name == "fps":
            values[name] = float(value)
        else:
            known = sorted({"lr", "fps", *TEXT_OPTIONS, *(n.replace("_", "-") for n in PARSERS)})
            raise SettingError(f"{path}: unknown option '{key}' (known: {', '.join(known)})")
    return values
