"""The seeded data sets beyond the lesson's line, and feature scaling.

`sine` is regression on one input; `circle`, `xor`, `moons` and `spiral` are
two classes (label 0 or 1) on two inputs x1, x2, the classic pictures a
small network must bend its decision boundary around. Each draws from its own
seed, so the same settings give the same points; the noise setting is the
spread of the Gaussian noise (on y for sine, on the positions for the
classes). Every set has its own natural range of x: the lesson's --x-min and
--x-max shape the line's points only.

`standardize` z-scores every input column: the feature scaling that turns a
badly conditioned Hessian into a round one.
"""

from __future__ import annotations

import numpy as np

from lrtui.engine.data import DataError, Dataset, generate, load_csv
from lrtui.settings.fields import SettingError, Settings
from lrtui.settings.model_fields import DATASETS, TWO_INPUT_DATASETS, check_model_and_data
from lrtui.settings.model_fields import inputs_of_dataset as inputs_of

CLASSES = TWO_INPUT_DATASETS
__all__ = ["CLASSES", "DATASETS", "classes", "inputs_of", "make_dataset", "sine", "standardize",
           "z_score"]


def make_dataset(settings: Settings) -> Dataset:
    """The points a run trains on: a CSV file, or the data set the settings name, standardized
    if asked. A file whose columns do not fit the model is a DataError (one line)."""
    if settings.data:
        data = load_csv(settings.data)
        try:
            check_model_and_data(settings.model, data.inputs, data.source)
        except SettingError as error:
            hint = " (a header x1,x2,label marks two inputs)" if data.inputs == 1 else ""
            raise DataError(f"{error}{hint}") from None
    elif settings.dataset == "line":
        data = generate(settings.n, settings.x_min, settings.x_max, settings.true_w,
                        settings.true_b, settings.noise, settings.seed)
    elif settings.dataset == "sine":
        data = sine(settings.n, settings.noise, settings.seed)
    else:
        data = classes(settings.dataset, settings.n, settings.noise, settings.seed)
    return standardize(data) if settings.standardize else data


def sine(n: int, noise: float, seed: int) -> Dataset:
    """y = sin(2x) + noise at n points evenly spaced over [−2, 2]."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-2.0, 2.0, n)
    y = np.sin(2.0 * x) + rng.normal(0.0, noise, n)
    return Dataset(x.astype(np.float32), y.astype(np.float32), f"sine (seed {seed})")


def classes(name: str, n: int, noise: float, seed: int) -> Dataset:
    """n points of two classes in the shape `name`; half of each class, jittered by `noise`."""
    rng = np.random.default_rng(seed)
    label = np.arange(n) % 2  # alternate, so any n splits evenly
    if name == "circle":
        # class 1 a disc of radius 0.5, class 0 a ring from 0.8 to 1.2 around it
        radius = np.where(label == 1, 0.5 * np.sqrt(rng.uniform(0, 1, n)), rng.uniform(0.8, 1.2, n))
        angle = rng.uniform(0, 2 * np.pi, n)
        points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    elif name == "xor":
        # the four quadrants of [−1, 1]²: class 1 where x1 and x2 have the same sign
        magnitude = rng.uniform(0.1, 1.0, (n, 2))
        first = rng.choice([-1.0, 1.0], n)
        second = np.where(label == 1, first, -first)
        points = magnitude * np.stack([first, second], axis=1)
    elif name == "moons":
        # two interleaved half circles
        t = rng.uniform(0, np.pi, n)
        upper = np.stack([np.cos(t), np.sin(t)], axis=1)
        lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
        points = np.where(label[:, None] == 1, lower, upper) - np.array([0.5, 0.25])
    elif name == "spiral":
        # two arms, one turn and a half each, the second rotated by half a turn
        t = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi
        angle = t + np.pi * label
        points = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) / (3 * np.pi)
    else:
        raise ValueError(f"data set: '{name}' is not one of {', '.join(CLASSES)}")
    points = points + rng.normal(0.0, noise, points.shape)
    return Dataset(points.astype(np.float32), label.astype(np.float32), f"{name} (seed {seed})")


def z_score(x: np.ndarray) -> np.ndarray:
    """Every column of x shifted to mean 0 and scaled to standard deviation 1, in float64
    (a constant column is only shifted)."""
    x = np.asarray(x, np.float64)
    spread = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(spread > 0, spread, 1.0)


def standardize(data: Dataset) -> Dataset:
    """The inputs z-scored; y and the labels stay as they are."""
    return Dataset(z_score(data.x).astype(np.float32), data.y, f"{data.source}, standardized")
