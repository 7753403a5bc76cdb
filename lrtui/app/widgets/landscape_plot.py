"""The loss landscape: contour lines of the bowl over (w, b), the OLS minimum and the paths.

The contours are level sets of a grid computed from the data's moments
(lrtui.engine.landscape), drawn as the grid points where the loss crosses each
level, at the braille resolution of the pane. A path that leaves the frame is
drawn up to the frame's edge and its exit marked, so a diverging run still
shows which way it went.

For other models the same pane draws a plane through the current θ along the
Hessian's top two eigenvectors (lrtui.engine.plane), computed in a thread:
its contours, the lowest point in view, and the run's path projected onto it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrtui.app.plotdata import clip_segment, finite_pairs
from lrtui.app.themes import plot_color
from lrtui.app.widgets.plot_pane import PlotPane
from lrtui.engine import plane as planes
from lrtui.engine.landscape import (
    Grid,
    Moments,
    contour_points,
    eigen_directions,
    frame,
    levels,
    loss_grid,
)
from lrtui.engine.run import fmt
from lrtui.engine.theory import Theory

CONTOURS = 6
# A path of more points than the pane has dots shows nothing more and costs more to clip.
MAX_PATH_POINTS = 600
ROOM_FOR_RING_LABELS = 20  # rows a plane's pane needs before its legend names the rings


@dataclass(frozen=True)
class Path:
    """One run's walk over (w, b): the weights at the end of each history bucket."""

    w: np.ndarray
    b: np.ndarray
    color: tuple[int, int, int] | str
    label: str
    diverged: bool = False


def visible_runs(w, b, box) -> tuple[list[tuple[list[float], list[float]]], tuple[float, float] | None]:
    """Split a polyline into the stretches inside box; also where it last left the box, if it did."""
    stretches: list[tuple[list[float], list[float]]] = []
    current: tuple[list[float], list[float]] | None = None
    exit_point = None
    for i in range(len(w) - 1):
        segment = clip_segment(w[i], b[i], w[i + 1], b[i + 1], box)
        if segment is None:
            current = None
            continue
        xa, ya, xb, yb = segment
        if current is None:
            current = ([xa], [ya])
            stretches.append(current)
        current[0].append(xb)
        current[1].append(yb)
        ends_inside = (xb, yb) == (w[i + 1], b[i + 1])
        exit_point = None if ends_inside else (xb, yb)
        if not ends_inside:
            current = None
    if len(w) == 1 and clip_segment(w[0], b[0], w[0], b[0], box):
        stretches.append(([w[0]], [b[0]]))
    return stretches, exit_point


class LandscapePlot(PlotPane):
    BORDER_TITLE = "Loss landscape"

    def __init__(self, show_eigen: bool = True, legend: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.show_eigen = show_eigen
        self.legend = legend  # a small pane beside its own legend (compare mode) goes without
        self._theory: Theory | None = None
        self._moments: Moments | None = None
        self._start: tuple[float, float] = (0.0, 0.0)
        self.model_name = "line"
        self._paths: tuple[Path, ...] = ()
        self.box: tuple[float, float, float, float] | None = None  # what the last frame showed
        self.exits: dict[str, tuple[float, float]] = {}  # label -> where that path left the frame
        self.note = ""  # what to look for, from the screen (the zig-zag above 1/λmax)
        self.plane: planes.PlaneSlice | None = None  # another model's slice, when computed
        self.waiting = ""  # why there is no plane yet (computing, an error)

    def set_surface(self, theory: Theory | None, moments: Moments | None,
                    start: tuple[float, float], model: str = "line") -> None:
        """`model`: the surface over (w, b) is the line's; another model's plane comes by
        `set_plane` (the landscape screen cuts it; compare mode's pane has none)."""
        self._theory, self._moments, self._start = theory, moments, start
        self.model_name = model
        self.redraw()

    def set_plane(self, plane: planes.PlaneSlice | None, waiting: str = "") -> None:
        """Another model's plane through θ (None: `waiting` says why there is none yet)."""
        self.plane, self.waiting = plane, waiting
        self.redraw()

    def set_paths(self, paths) -> None:
        self._paths = tuple(paths)
        self.redraw()

    def draw(self) -> None:
        plt = self.plt
        theory, moments = self._theory, self._moments
        if self.model_name != "line":
            self._draw_plane()
            return
        if theory is None or moments is None:
            plt.title("waiting for data")
            return
        theme = self.app.current_theme
        cleaned = [(p, *finite_pairs(p.w, p.b)) for p in self._paths]
        calm = [(w, b) for p, w, b in cleaned if not p.diverged]
        path_w = np.concatenate([w for w, _ in calm]) if calm else np.zeros(0)
        path_b = np.concatenate([b for _, b in calm]) if calm else np.zeros(0)
        box = frame(theory, self._start, path_w, path_b)
        self.box = box
        plt.xlim(box[0], box[1])
        plt.ylim(box[2], box[3])
        plt.xlabel("w")
        plt.ylabel("b")
        self._contours(box, theme)
        if self.show_eigen:
            self._eigen_axes(box, theme)
        plt.scatter([theory.ols_w], [theory.ols_b], marker="x",
                    color=plot_color(theme, "true-line", "success"),
                    label="OLS minimum" if self.legend else None)
        self.exits = {}
        for path, w, b in cleaned:
            self._path(path, w, b, box)
        parts = [f"minimum {fmt(theory.ols_loss)} at w={fmt(theory.ols_w)} b={fmt(theory.ols_b)}"]
        if theory.singular:
            parts = ["a line of minima (every x the same)"]
        if not self.legend:
            parts = ["each run's path", "x: the minimum"]
        if self.note:
            parts.insert(0, self.note)  # what to look for comes first
        if self.exits:
            parts.append("↗ marks where a path left the frame")
        plt.title(self.fitted_title(*parts))

    def _dots(self) -> tuple[int, int]:
        # Braille cells are 2 dots wide and 4 high: a grid at that resolution draws smooth rings.
        return max(8, (self.size.width - 10) * 2), max(8, (self.size.height - 4) * 4)

    def _contours(self, box, theme) -> None:
        grid = loss_grid(self._moments, box, *self._dots())
        self._rings(grid, levels(self._theory, grid, CONTOURS), theme)

    def _draw_plane(self) -> None:
        """Another model: the plane through θ along u1 (across) and u2 (up), and the path."""
        plt, plane = self.plt, self.plane
        if plane is None:
            if self.waiting:
                plt.title(self.fitted_title(self.waiting))
            else:  # a pane no slice is cut for (compare mode's)
                plt.title(self.fitted_title(f"no (w, b) surface for {self.model_name}",
                                            "g shows its slice through θ"))
            return
        theme = self.app.current_theme
        box = plane.box
        self.box = box
        plt.xlim(box[0], box[1])
        plt.ylim(box[2], box[3])
        plt.xlabel("along u1, the steep eigenvector")
        plt.ylabel("along u2")
        grid = planes.refined(plane.grid, *self._dots())
        # A short pane keeps its legend to the points: the rings' labels would cover the rings.
        self._rings(grid, planes.levels(plane.grid, CONTOURS), theme,
                    labelled=self.size.height >= ROOM_FOR_RING_LABELS)
        a, c, lowest = plane.lowest()
        plt.scatter([a], [c], marker="x", color=plot_color(theme, "true-line", "success"),
                    label=f"lowest in view {fmt(lowest)}" if self.legend else None)
        self.exits = {}
        color = plot_color(theme, "fit-line", "error")
        path = Path(plane.path_a, plane.path_c, color, "path, projected")
        self._path(path, *finite_pairs(plane.path_a, plane.path_c), box)
        parts = [f"loss {fmt(plane.loss_here)} at θ (the centre)", "x: lowest in view"]
        if self.note:
            parts.insert(0, self.note)
        if self.exits:
            parts.append("↗ marks where the path leaves the frame")
        plt.title(self.fitted_title(*parts))

    def _rings(self, grid: Grid, values, theme, labelled: bool = True) -> None:
        # Rings in greys between background and foreground: the paths keep the colours.
        low = np.array(plot_color(theme, "background", "background"), float)
        high = np.array(plot_color(theme, "foreground", "foreground"), float)
        for i, (w, b) in enumerate(contour_points(grid, values)):
            if len(w) == 0:
                continue
            mix = 0.25 + 0.4 * i / max(1, len(values) - 1)  # deeper rings are brighter
            color = tuple(int(v) for v in low + (high - low) * mix)
            ends = i in (0, len(values) - 1)
            plt_label = f"loss {fmt(float(values[i]))}" if ends and self.legend and labelled else None
            self.plt.scatter(w, b, marker="braille", color=color, label=plt_label)

    def _eigen_axes(self, box, theme) -> None:
        theory = self._theory
        span = max(box[1] - box[0], box[3] - box[2]) * 4
        steep, slow = eigen_directions(theory)
        for vector, name, variable in ((steep, "steep (λmax)", "warning"), (slow, "slow (λmin)", "secondary")):
            segment = clip_segment(theory.ols_w - span * vector[0], theory.ols_b - span * vector[1],
                                   theory.ols_w + span * vector[0], theory.ols_b + span * vector[1], box)
            if segment is None:
                continue
            xa, ya, xb, yb = segment
            self.plt.plot(np.linspace(xa, xb, 30), np.linspace(ya, yb, 30), marker="dot",
                          color=plot_color(theme, variable, variable),
                          label=name if self.legend else None)

    def _path(self, path: Path, w: np.ndarray, b: np.ndarray, box) -> None:
        if len(w) == 0:
            return
        if len(w) > MAX_PATH_POINTS:  # evenly thinned; the start and the latest point stay
            keep = np.linspace(0, len(w) - 1, MAX_PATH_POINTS).round().astype(np.int64)
            w, b = w[keep], b[keep]
        stretches, exit_point = visible_runs(w, b, box)
        label = path.label if self.legend else None
        for xs, ys in stretches:
            self.plt.plot(xs, ys, marker="braille", color=path.color, label=label)
            label = None  # one legend entry per path
        if exit_point is not None and not _inside(w[-1], b[-1], box):
            self.exits[path.label] = exit_point
            self.plt.scatter([exit_point[0]], [exit_point[1]], marker="↗", color=path.color)
        elif _inside(w[-1], b[-1], box):
            self.plt.scatter([w[-1]], [b[-1]], marker="●", color=path.color)


def _inside(w: float, b: float, box) -> bool:
    return box[0] <= w <= box[1] and box[2] <= b <= box[3]
