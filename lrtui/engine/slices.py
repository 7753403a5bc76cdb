"""The pictures of a model's loss cut through where it stands: a plane and a line.

For a model other than the line (whose landscape and blackboard are exact
from the data's five means), both pictures are slices of the model's own
loss through the current θ, evaluated with TensorFlow as lanes:

- the landscape (key g): the plane along the Hessian's top two eigenvectors,
  with the run's path projected onto it (lrtui.engine.plane says why those
  directions and what the projection means);
- the blackboard (key b): the line along the steep or the shallow
  eigenvector, or along one parameter, with the last steps projected onto it
  (lrtui.engine.blackboard frames it and says what the numbers mean).

A `Slicer` belongs to one model on one data set; it keeps the last
eigen-directions so that recomputing as the run moves keeps their signs.
It runs in a worker thread (lrtui.workers.slice_worker), never on the UI's.
Its first picture traces TensorFlow's functions (0.8–2.3 s measured for the
edge-of-stability network, against 10–40 ms for the next): `slicer_for`
keeps the last one made, so opening g or b again answers at once.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from lrtui.engine import plane
from lrtui.engine.blackboard import Slice, cut, meaning_of, model_directions, single_numbers
from lrtui.engine.data import Dataset
from lrtui.engine.hessian import EigenDirections, LossProbe, natural_scale
from lrtui.engine.landscape import Grid
from lrtui.engine.models import Model

# A sampled slice frames the parabola's bottom only this many times the steps' span away.
REACH = 4.0
# The line is at least this share of the bowl's natural size wide (where the parabola rises by
# the loss itself): steps that barely move, at the edge of stability or at a minimum, still
# show the curve they bounce on.
LEAST_SHARE = 0.05


class Slicer:
    def __init__(self, model: Model, dataset: Dataset):
        self.model, self.dataset = model, dataset
        self.probe = LossProbe(model, dataset.x, dataset.y)
        self.eigen: EigenDirections | None = None

    @property
    def directions(self) -> tuple[str, ...]:
        """What `d` turns through on the blackboard."""
        return model_directions(self.model)

    def directions_at(self, theta: np.ndarray) -> EigenDirections:
        """The Hessian's eigen-directions at θ, signed as last time."""
        self.eigen = self.probe.eigen(theta, self.eigen)
        return self.eigen

    def _along(self, theta: np.ndarray, units: np.ndarray):
        """A function of coefficients [L, k] -> the loss at θ + coefficients·units, as lanes."""
        theta = np.asarray(theta, np.float64)

        def losses(coefficients):
            return self.probe.losses_along(theta, units, coefficients)

        return losses

    # -- the landscape's plane -------------------------------------------------------
    def plane(self, theta: np.ndarray, path_thetas: np.ndarray, path_steps: np.ndarray,
              step: int, recent: int) -> plane.PlaneSlice:
        """The plane through θ along the top two eigenvectors; `path_thetas` [k, P] the run's
        earlier θ (oldest first), of which the last `recent` are its last steps."""
        theta = np.asarray(theta, np.float64)
        eigen = self.directions_at(theta)
        (l1, u1), (l2, u2) = eigen.steep, eigen.second
        path_a, path_c = plane.project(path_thetas, theta, u1, u2)
        path_a, path_c = np.r_[path_a, 0.0], np.r_[path_c, 0.0]
        loss_here, _ = self.probe.loss_and_gradient(theta)
        box = plane.frame(path_a, path_c, recent + 1, natural_scale(loss_here, l1))
        a, c = plane.grid_offsets(box)
        coefficients = np.stack(np.meshgrid(a, c), axis=-1).reshape(-1, 2)  # row-major: c, then a
        loss = self._along(theta, np.stack([u1, u2]))(coefficients).reshape(len(c), len(a))
        return plane.PlaneSlice(Grid(a, c, loss), path_a, path_c,
                                np.r_[np.asarray(path_steps, np.int64), step], (l1, l2),
                                loss_here, eigen.how, self.model.size, step)

    # -- the blackboard's line -------------------------------------------------------
    def line(self, theta: np.ndarray, name: str, recent_thetas: np.ndarray) -> Slice:
        """The slice through θ along `name` (steep, shallow, or a parameter that is one
        number), the last steps projected onto it."""
        theta = np.asarray(theta, np.float64)
        base = None
        if name in ("steep", "shallow"):
            eigen = self.directions_at(theta)
            _, unit = eigen.steep if name == "steep" else eigen.shallow
        elif name in single_numbers(self.model):
            index = self._index(name)
            unit = np.zeros(self.model.size)
            unit[index] = 1.0
            base = float(theta[index])
        else:
            raise ValueError(f"no direction {name!r}: use one of {', '.join(self.directions)}")
        loss, gradient = self.probe.loss_and_gradient(theta)
        curvature = self.probe.curvature_along(theta, unit)
        steps_offset = (np.asarray(recent_thetas, np.float64).reshape(-1, self.model.size) - theta) @ unit
        finite = steps_offset[np.isfinite(steps_offset)]
        span = float(np.ptp(finite)) if len(finite) else 0.0
        scale = natural_scale(loss, abs(curvature))
        scale = scale if math.isfinite(scale) else 0.0
        along = self._along(theta, unit[None])
        return cut(name, lambda offsets: along(np.asarray(offsets)[:, None]), curvature,
                   float(gradient @ unit), steps_offset, base,
                   quadratic=self.model.exact_hessian, reach=REACH * max(span, scale),
                   meaning=meaning_of(name, line=False), least_width=LEAST_SHARE * scale)

    def _index(self, name: str) -> int:
        start = 0
        for p in self.model.parameters:
            if p.name == name:
                return start
            start += p.size
        raise ValueError(f"{self.model.describe()} has no parameter {name}")


_KEPT: list[Slicer] = []
_KEEPING = threading.Lock()


def slicer_for(model: Model, dataset: Dataset) -> Slicer:
    """The Slicer of this model on this data (the very objects: a new model or new data is a
    new one), the last one made being kept for the next screen that asks."""
    with _KEEPING:
        if _KEPT and _KEPT[0].model is model and _KEPT[0].dataset is dataset:
            return _KEPT[0]
        made = Slicer(model, dataset)
        _KEPT[:] = [made]
        return made
