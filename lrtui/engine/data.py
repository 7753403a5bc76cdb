"""The noisy points the line is fitted to: generated from the lesson's recipe or read from CSV.

A CSV file holds x,y (one input, regression) or, under a header
x1,x2,label, two inputs and a class 0 or 1 for each point.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_ROWS = 10_000_000
# The loss squares x and y in float32 (largest 3.4e38): beyond this a square overflows.
MAX_VALUE = 1e19


class DataError(ValueError):
    """A data file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Dataset:
    x: np.ndarray  # float32, shape (n,), or (n, 2) for two inputs
    y: np.ndarray  # float32, shape (n,): the target, or the class 0/1 of two-input data
    source: str  # what the user sees: "generated (seed 0)" or the file name

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    @property
    def inputs(self) -> int:
        """Input columns: 1 (x), or 2 (x1, x2, with a 0/1 label in y)."""
        return 1 if self.x.ndim == 1 else int(self.x.shape[1])


def generate(n: int, x_min: float, x_max: float, true_w: float, true_b: float,
             noise: float, seed: int) -> Dataset:
    """y = true_w·x + true_b + Gaussian noise, at n points spread uniformly over [x_min, x_max]."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(x_min, x_max, n)
    y = true_w * x + true_b + rng.normal(0.0, noise, n)
    return Dataset(x.astype(np.float32), y.astype(np.float32), f"generated (seed {seed})")


def _cell(text: str, path: Path, row: int, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path}: row {row}: {column} '{text.strip()}' is not a number") from None
    if not math.isfinite(value):
        raise DataError(f"{path}: row {row}: {column} '{text.strip()}' is not a finite number")
    if abs(value) > MAX_VALUE:
        raise DataError(f"{path}: row {row}: {column} '{text.strip()}' is too large: its square "
                        f"overflows float32, which the loss is computed in; use values within ±{MAX_VALUE:g}")
    return value


ONE_INPUT = ("x", "y")
TWO_INPUTS = ("x1", "x2", "label")


def load_csv(path: str | Path) -> Dataset:
    """Read x,y from the first two columns (or the columns headed x and y), or the
    columns headed x1, x2 and label (0 or 1)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a CSV file")
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror})") from None
    columns, where = ONE_INPUT, (0, 1)
    values: list[list[float]] = []
    with handle:
        try:
            rows = csv.reader(handle)
            first = True
            for number, row in enumerate(rows, start=1):
                if not row or all(not cell.strip() for cell in row):
                    continue
                if first:
                    first = False
                    names = [cell.strip().lower() for cell in row]
                    if not _looks_numeric(row):
                        if all(name in names for name in TWO_INPUTS):
                            columns = TWO_INPUTS
                            where = tuple(names.index(name) for name in columns)
                        elif "x" in names and "y" in names:
                            where = (names.index("x"), names.index("y"))
                        elif len(row) < 2:
                            hint = (": the file looks separated by ';', lrtui reads commas (x,y)"
                                    if ";" in row[0] else "")
                            raise DataError(f"{path}: needs two columns x,y; the header has one{hint}")
                        elif len(row) > 2:
                            raise DataError(f"{path}: {len(row)} columns ({', '.join(c.strip() for c in row)}) "
                                            "and none named x and y (or x1, x2 and label): name the "
                                            "columns to fit")
                        continue
                    if len(row) > 2:
                        raise DataError(f"{path}: {len(row)} columns and no header: with more than "
                                        "two, a header must name the x and y (or x1, x2, label) columns")
                if len(row) <= max(where):
                    count = "two" if columns == ONE_INPUT else "three"
                    raise DataError(f"{path}: row {number}: needs {count} columns "
                                    f"{','.join(columns)}, found {len(row)}")
                point = [_cell(row[i], path, number, name) for i, name in zip(where, columns)]
                if columns == TWO_INPUTS and point[2] not in (0.0, 1.0):
                    raise DataError(f"{path}: row {number}: label '{row[where[2]].strip()}' "
                                    "is not 0 or 1")
                values.append(point)
                if len(values) > MAX_ROWS:
                    raise DataError(f"{path}: more than {MAX_ROWS:,} rows")
        except UnicodeDecodeError:
            raise DataError(f"{path}: is not a text CSV file") from None
        except csv.Error as error:
            raise DataError(f"{path}: not valid CSV ({error})") from None
    if len(values) < 2:
        what = "is empty" if not values else "has only one data row"
        raise DataError(f"{path}: {what}; at least two {','.join(columns)} rows are needed")
    table = np.asarray(values, np.float32)
    x = table[:, 0] if columns == ONE_INPUT else table[:, :2]
    return Dataset(np.ascontiguousarray(x), np.ascontiguousarray(table[:, -1]), path.name)


def _looks_numeric(row: list[str]) -> bool:
    try:
        [float(cell) for cell in row if cell.strip()]
    except ValueError:
        return False
    return True
