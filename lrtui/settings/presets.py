"""Presets: named sets of settings that show one thing well, as a starting point.

A preset fills in settings before anything else does: a config file and every
flag given on the command line override it, wherever they stand
(`lrtui --preset edge-of-stability --lr 0.05` is the preset at a smaller lr).

edge-of-stability: full-batch gradient descent on a 1-16-1 tanh network
fitting 64 noiseless points of sin(2x) on [−2, 2]. The sharpness (the
Hessian's top eigenvalue) climbs until it reaches 2/lr = 20, by step ~1,500,
and then hovers there (within about 5%) while the loss keeps falling, with
spikes, instead of diverging: lr_max = 2/sharpness is pushed by the lr itself.
Measured on this engine (float32, XLA): see the README's "Edge of stability".
"""

from __future__ import annotations

from lrtui.settings.parsing import SettingError

PRESETS: dict[str, dict[str, object]] = {
    "edge-of-stability": {
        "model": "mlp", "hidden": 16, "activation": "tanh", "init_seed": 0,
        "dataset": "sine", "n": 64, "noise": 0.0, "seed": 0, "standardize": False,
        "optimizer": "gd", "schedule": "constant", "batch_size": 0,
        "learning_rate": 0.1, "steps": 6000, "sharpness_every": 10, "log_every": 100,
        "speed": "1000",
    },
}


def parse_preset(text: str) -> str | None:
    """A preset's name (with - or _), or None for "none"."""
    value = text.strip().lower().replace("_", "-")
    if value == "none":
        return None
    if value in PRESETS:
        return value
    raise SettingError(f"preset: '{text.strip()}' is not one of none, {', '.join(PRESETS)}")


def preset_values(name: str | None) -> dict[str, object]:
    """The settings a preset picks (nothing for None), with the preset's own name."""
    if name is None:
        return {}
    return {**PRESETS[name], "preset": name}
