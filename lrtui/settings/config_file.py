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

from lrtui.settings.fields import PARSERS, SettingError, parser_text
from lrtui.settings.options import BY_KEY, OPTIONS

# Settings that are yes or no: TOML's true and false work as well as "yes" and "no".
YES_NO = ("staircase", "no_stop")


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
        name = key.replace("-", "_")
        option = BY_KEY.get(name)
        yes_no = option is not None and option.field in YES_NO
        if (isinstance(value, bool) and not yes_no) or not isinstance(value, (str, int, float)):
            raise SettingError(f"{path}: {key} = {value!r}: use a number or a quoted text")
        if option is not None and option.typed:
            try:
                values[option.field] = PARSERS[option.field](parser_text(value))
            except SettingError as error:
                raise SettingError(f"{path}: {error}") from None
        elif option is not None:
            values[option.field] = str(value)
        elif name == "fps":
            values[name] = float(value)
        else:
            known = sorted({"fps", *(o.flag[2:] for o in OPTIONS)})
            raise SettingError(f"{path}: unknown option '{key}' (known: {', '.join(known)})")
    return values
