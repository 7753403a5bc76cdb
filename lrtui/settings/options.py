"""The one option table: every run setting a user can give, with its flag and its help.

The command-line flags, the config-file keys and the "options as argv" that
`lrtui serve` and a recovery file write are all derived from `OPTIONS`, so a
new setting is added here once and appears everywhere. Values go through the
same parsers as the hyperparameter pane (lrtui.settings.fields.PARSERS).
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass

from lrtui.settings.fields import (
    OPTIMIZERS,
    PARSERS,
    SCHEDULES,
    SPEEDS,
    SettingError,
    Settings,
    as_text,
    check,
)
from lrtui.settings.model_fields import ACTIVATIONS, DATASETS, MODELS


@dataclass(frozen=True)
class Option:
    """One setting on the command line: its flag, its Settings field, its help."""

    flag: str
    field: str
    help: str
    typed: bool = True  # parsed by PARSERS[field]; otherwise taken as text (a path, a name)
    app_only: bool = False  # only the app (and serve) takes it: the headless commands draw nothing
    switch: bool = False  # the flag alone turns it on (no value follows)


OPTIONS = (
    Option("--lr", "learning_rate", "learning rate (default %(default)s)"),
    Option("--steps", "steps", "step budget; space continues for another (default %(default)s)"),
    Option("--init-w", "init_w", "initial w (default %(default)s)"),
    Option("--init-b", "init_b", "initial b (default %(default)s)"),
    Option("--n", "n", "number of points (default %(default)s)"),
    Option("--noise", "noise", "std of the Gaussian noise (default %(default)s)"),
    Option("--seed", "seed", "seed of the data (default %(default)s)"),
    Option("--true-w", "true_w", "w of the line the points come from (default %(default)s)"),
    Option("--true-b", "true_b", "b of the line the points come from (default %(default)s)"),
    Option("--x-min", "x_min", "smallest x (default %(default)s)"),
    Option("--x-max", "x_max", "largest x (default %(default)s)"),
    Option("--log-every", "log_every", "log a step every this many (default %(default)s)"),
    Option("--speed", "speed", f"steps per second: {', '.join(SPEEDS)} (default %(default)s)"),
    Option("--device", "device", "auto, cpu, gpu or a name like /GPU:1 (default %(default)s)"),
    Option("--optimizer", "optimizer", f"{', '.join(OPTIMIZERS)} (default %(default)s)"),
    Option("--momentum", "momentum", "μ of momentum and nesterov (default %(default)s)"),
    Option("--beta-1", "beta_1", "β1 of adam (default %(default)s)"),
    Option("--beta-2", "beta_2", "β2 of adam (default %(default)s)"),
    Option("--rho", "rho", "ρ of rmsprop (default %(default)s)"),
    Option("--epsilon", "epsilon", "ε of rmsprop, adagrad, adam (default %(default)s)"),
    Option("--schedule", "schedule", f"lr schedule: {', '.join(SCHEDULES)} (default %(default)s)"),
    Option("--decay-steps", "decay_steps", "exponential, inverse_time, cosine: steps of one decay "
           "(default %(default)s)"),
    Option("--decay-rate", "decay_rate", "step, plateau: factor per drop; exponential, "
           "inverse_time: rate per decay-steps (default %(default)s)"),
    Option("--staircase", "staircase", "exponential, inverse_time: decay in whole steps, yes/no "
           "(default %(default)s)"),
    Option("--boundaries", "boundaries", "step: the steps where the lr drops, e.g. 100,150 "
           "(default %(default)s)"),
    Option("--warmup-steps", "warmup_steps", "cosine: steps of linear warmup from 0 "
           "(default %(default)s)"),
    Option("--alpha", "alpha", "cosine: the final lr as a fraction of lr (default %(default)s)"),
    Option("--cycle-steps", "cycle_steps", "cyclic: steps from low to high (default %(default)s)"),
    Option("--cycle-ratio", "cycle_ratio", "cyclic: the high lr as a multiple of lr "
           "(default %(default)s)"),
    Option("--patience", "patience", "plateau: steps without improvement before a drop "
           "(default %(default)s)"),
    Option("--min-delta", "min_delta", "plateau: relative improvement that counts "
           "(default %(default)s)"),
    Option("--batch-size", "batch_size", "points per step, or full (default %(default)s)"),
    Option("--model", "model", f"what is trained: {', '.join(MODELS)} (default %(default)s)"),
    Option("--dataset", "dataset", f"generated data: {', '.join(DATASETS)}; the last four have "
           "two inputs and two classes (default %(default)s)"),
    Option("--degree", "degree", "poly: the degree of the polynomial (default %(default)s)"),
    Option("--hidden", "hidden", "mlp: units in the hidden layer (default %(default)s)"),
    Option("--activation", "activation", f"mlp: {', '.join(ACTIVATIONS)} (default %(default)s)"),
    Option("--standardize", "standardize", "z-score the inputs first (feature scaling)",
           switch=True),
    Option("--init-seed", "init_seed", "mlp: seed of the Glorot-uniform initial weights "
           "(default %(default)s)"),
    Option("--sharpness-every", "sharpness_every", "measure the sharpness (the Hessian's top "
           "eigenvalue) every this many steps, or off (default: 10 in the app, off headless)"),
    Option("--preset", "preset", "start from a preset: none, edge-of-stability; other options "
           "override it (default %(default)s)"),
    Option("--no-stop", "no_stop", "train through divergence for the whole budget, as the "
           "lesson's loop does: the loss and weights overflow to inf, then NaN (default: stop "
           "at a loss 1e12× its start)", switch=True),
    Option("--data", "data", "fit the x,y (or x1,x2,label) columns of a CSV file instead of "
           "generated points",
           typed=False),
    Option("--theme", "theme", "a theme name (see themes/) or a theme file (default %(default)s)",
           typed=False, app_only=True),
)
DEFAULTS = Settings()
BY_FIELD = {option.field: option for option in OPTIONS}
# Config-file keys: the flag without its dashes, or the field's own name.
BY_KEY = {**{o.field: o for o in OPTIONS}, **{o.flag[2:].replace("-", "_"): o for o in OPTIONS}}


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose error is one line and exit status 2: scripts read it easily."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def typed(field: str):
    """An argparse type that parses with the field's own parser (the pane's messages)."""
    def parse(text: str):
        try:
            return PARSERS[field](text)
        except SettingError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
    parse.__name__ = field
    return parse


def add_options(parser: argparse.ArgumentParser, defaults: bool = True, skip=(),
                headless: bool = False) -> None:
    """The run's options; a subcommand's copy has no defaults, so `lrtui --lr 1 run` keeps 1.
    A headless command gets no app-only option: `lrtui run --theme x` is an error, not ignored."""
    for option in OPTIONS:
        if option.field in skip or (headless and option.app_only):
            continue
        value = getattr(DEFAULTS, option.field)
        if option.switch:
            parser.add_argument(option.flag, dest=option.field, action="store_true",
                                default=value if defaults else argparse.SUPPRESS, help=option.help)
            continue
        # A suppressed default has no %(default)s to show: write the value in.
        help = option.help.replace("%(default)s", as_text(option.field, value))
        parser.add_argument(option.flag, dest=option.field,
                            type=typed(option.field) if option.typed else str,
                            metavar="FILE.csv" if option.field == "data" else None,
                            default=value if defaults else argparse.SUPPRESS, help=help)
    parser.add_argument("--config", metavar="FILE.toml", default=None if defaults else argparse.SUPPRESS,
                        help="take the options from a TOML file; flags given here override it")


def add_app_options(parser: argparse.ArgumentParser) -> None:
    """What only the interactive app takes: its frame rate, the mouse, a run file to reopen."""
    parser.add_argument("--fps", type=float, default=15.0, help="plot redraws per second at most "
                        "(lower it on slow links; default %(default)s)")
    parser.add_argument("--no-mouse", action="store_true",
                        help="ignore the mouse (saves traffic on slow links)")
    parser.add_argument("--load", metavar="RUN.json", nargs="?", const="",
                        help="reopen a saved run (key e saves one), paused at its last step; its "
                        "settings replace the options. Without a path: list the recovery runs")


def settings_from(args: argparse.Namespace) -> Settings:
    """The Settings that parsed arguments describe, checked as a whole."""
    return check(Settings(**{option.field: getattr(args, option.field) for option in OPTIONS}))


def settings_argv(settings: Settings, **start) -> list[str]:
    """Every option that differs from the defaults, as flags; `start` values are always written."""
    words: list[str] = []
    for option in OPTIONS:
        if option.field == "preset":
            continue  # its values are written one by one: a preset never overrides a flag
        value = start.get(option.field)
        value = getattr(settings, option.field) if value is None else value
        if value is None or (value == getattr(DEFAULTS, option.field) and option.field not in start):
            continue
        if option.switch:
            words += [option.flag] if value else []
            continue
        words += [option.flag, repr(value) if isinstance(value, float) else as_text(option.field, value)]
    return words


def command_line(settings: Settings, *prefix: str, **start) -> str:
    """A shell line that starts lrtui with these settings (quoted for a shell)."""
    return shlex.join([*prefix, *settings_argv(settings, **start)])
