"""Run files: one experiment saved as JSON, to reopen, continue or share.

What a run file holds (format "lrtui-run", version 1):
- the settings (every option of the command line);
- the data: for generated points the recipe is in the settings and a sha256
  of the points checks that they regenerate the same; points read from a CSV
  file are stored in the run file itself (up to MAX_STORED_POINTS);
- the initial weights, and the end state: step, w, b, lr, step budget,
  state and the divergence limit, exactly (float32 values are exact in JSON);
  every parameter of the model by name (`params`: w, b; c0…cD; w1, w2, b;
  W1, b1, W2, b2 as nested lists), the optimizer's state (its Keras
  variables: moments, accumulators, iterations) and the plateau schedule's,
  and the vector the next sharpness measurement starts from, so every model
  and every method continues bit for bit;
- the step history: every step up to FULL_STEPS (see engine.recording) and
  the bounded loss history the loss pane draws (with the sharpness, if measured).
Continuing a loaded run restores the end state into the trainer, so it takes
the very steps an uninterrupted run would have taken.

JSON has no infinity or NaN: such values are written as the strings
"inf", "-inf" and "nan".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lrtui.atomic import write_atomic
from lrtui.engine.data import Dataset
from lrtui.engine.history import LossHistory
from lrtui.engine.run import Run, State, make_dataset
from lrtui.settings.fields import PARSERS, SettingError, Settings, check, parser_text

FORMAT = "lrtui-run"
HISTORY = ("low", "high", "last", "w", "b", "sharpness")
RECORDS = ("loss", "w", "b", "dw", "db", "lr", "grad_norm", "sharpness")
VERSION = 1
# A recovery saved before the run existed (lrtui.app.recovery): settings only, never a run.
RECOVERY_FORMAT = "lrtui-recovery"
MAX_STORED_POINTS = 1_000_000


class RunFileError(ValueError):
    """A run file that cannot be used; the message names the file and the problem."""


@dataclass
class RunFile:
    settings: Settings
    points: Dataset | None  # stored points, or None: regenerate from the settings
    data_sha256: str
    step: int
    w: float
    b: float
    learning_rate: float
    budget_end: int
    state: State
    loss_limit: float
    history: dict
    records: dict[str, np.ndarray]
    truncated: bool
    path: Path | None = None
    params: dict | None = None  # every parameter by name; None in files from before models
    optimizer_state: list | None = None  # the Keras optimizer's variables, in its order
    plateau: list | None = None  # best, wait, factor of the plateau schedule
    eigenvector: np.ndarray | None = None  # where the next sharpness measurement starts
    eigenvector_cold: bool = True
    eigen_shift: float = 0.0  # s of the warm iterations on H + s·I

    def dataset(self) -> Dataset:
        """The points of the run: stored, or regenerated and checked against the checksum."""
        data = self.points or make_dataset(self.settings)
        if _sha256(data) != self.data_sha256:
            where = "the stored points" if self.points else f"the data from {data.source}"
            raise RunFileError(f"{self.path}: {where} differ from the points the run was trained on")
        return data


# -- writing -------------------------------------------------------------------------

def _number(value: float):
    value = float(value)
    return value if math.isfinite(value) else str(value)


def _numbers(values: np.ndarray) -> list:
    if np.isfinite(values).all():
        return values.tolist()
    return [_number(v) for v in values.tolist()]


def _vector(values) -> list:
    return [float(v) for v in np.asarray(values, np.float64)]


def _sha256(data: Dataset) -> str:
    digest = hashlib.sha256(np.asarray(data.x, np.float32).tobytes())
    digest.update(np.asarray(data.y, np.float32).tobytes())
    return digest.hexdigest()


def document_of(run: Run) -> dict:
    """The run as a JSON-ready dict. Call it from the thread that trains the run."""
    settings = run.settings
    data = {"sha256": _sha256(run.dataset), "source": run.dataset.source}
    if settings.data:
        if run.dataset.n > MAX_STORED_POINTS:
            data["stored"] = False  # too big to copy: the file must be there to reopen it
        else:
            data.update(stored=True, x=run.dataset.x.astype(np.float64).tolist(),
                        y=run.dataset.y.astype(np.float64).tolist())
    trainer = run.trainer
    w, b = run.weights()
    history = run.history
    n = history.count
    records = run.recording.columns()
    return {
        "format": FORMAT,
        "version": VERSION,
        # The data file by its absolute path: --load works from any folder (the checksum decides).
        "settings": {**dataclasses.asdict(settings),
                     "data": str(Path(settings.data).resolve()) if settings.data else None},
        "data": data,
        "initial": {"w": settings.init_w, "b": settings.init_b},
        "end": {
            "step": run.step, "w": _number(w), "b": _number(b),
            "learning_rate": float(run.trainer.learning_rate.numpy()),
            "budget_end": run.budget_end, "state": run.state.name,
            "loss_limit": _number(run.trainer.loss_limit.numpy()) if run._limit_armed else None,
            "model": run.model.describe(),
            "params": run.parameters(),
            "eigenvector": _vector(trainer.eigenvector.numpy()),
            "eigenvector_cold": bool(trainer.eigenvector_cold.numpy()),
            "eigen_shift": float(trainer.eigen_shift.numpy()),
            "optimizer_state": [np.asarray(v.numpy(), np.float64).tolist()
                                for v in trainer.optimizer.variables] if trainer.optimizer else None,
            "plateau": [_number(v.numpy()) for v in
                        (trainer.plateau.best, trainer.plateau.wait, trainer.plateau.factor)],
        },
        "history": {"span": history.span, "buckets": history.capacity,
                    **{name: _numbers(getattr(history, name)[:n]) for name in HISTORY}},
        "records": {"truncated": run.recording.truncated,
                    **{c: (records[c].tolist() if c == "step" else _numbers(records[c]))
                       for c in records}},
    }


def save_run(run: Run, path: str | Path, recovery: dict | None = None) -> Path:
    """Write the run; a recovery run carries its "recovery" section in the same document."""
    document = document_of(run)
    if recovery is not None:
        document["recovery"] = recovery
    return write_atomic(path, json.dumps(document, separators=(",", ":")) + "\n")


# -- reading -------------------------------------------------------------------------

def read_run_file(path: str | Path) -> RunFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise RunFileError(f"{path}: is a directory, not a run file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RunFileError(f"{path}: cannot be read ({getattr(error, 'strerror', None) or error})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise RunFileError(f"{path}: not a complete run file (JSON breaks at line {error.lineno}, "
                           f"column {error.colno}: {error.msg}); was it cut short?") from None
    if isinstance(doc, dict) and doc.get("format") == RECOVERY_FORMAT:
        resume = (doc.get("recovery") or {}).get("resume", "lrtui")
        raise RunFileError(f"{path}: saved while TensorFlow was still loading, so it holds no run; "
                           f"start again with: {resume}")
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise RunFileError(f"{path}: not an lrtui run file (no \"format\": \"{FORMAT}\")")
    version = doc.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and version > VERSION
        raise RunFileError(f"{path}: run file version {version!r} "
                           + ("is newer than this lrtui reads" if newer else "is not one lrtui knows")
                           + f" (it reads version {VERSION})")
    try:
        return _decode(doc, path)
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, RunFileError):
            raise
        what = f"missing {error}" if isinstance(error, KeyError) else str(error)
        raise RunFileError(f"{path}: a damaged run file ({what})") from None


def _floats(values, n: int | None = None) -> np.ndarray:
    if not isinstance(values, list):
        raise ValueError("a list of numbers expected")
    array = np.array([float(v) for v in values], np.float64)
    if n is not None and len(array) != n:
        raise ValueError(f"{len(array)} values where {n} were expected")
    return array


def _points(values) -> np.ndarray:
    """x of the stored points: a list of numbers, or of [x1, x2] pairs."""
    if isinstance(values, list) and values and isinstance(values[0], list):
        pairs = np.array([[float(a) for a in pair] for pair in values], np.float64)
        if pairs.ndim != 2 or pairs.shape[1] != 2:
            raise ValueError("stored points of two inputs must be pairs")
        return pairs
    return _floats(values)


def _settings(raw: dict) -> Settings:
    values = {}
    optional = {f.name for f in dataclasses.fields(Settings) if f.default is None}
    for name, value in raw.items():
        if value is None and name in optional:
            values[name] = None
        elif name in PARSERS:
            # A full batch is stored as 0; its parser reads it as "full" (a typed 0 is refused).
            text = "full" if name == "batch_size" and value == 0 else parser_text(value)
            values[name] = PARSERS[name](text)
        elif name in ("data", "theme"):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"setting {name} is not text")
            values[name] = value
        else:
            raise ValueError(f"unknown setting {name!r}")
    return check(Settings(**values))


def _decode(doc: dict, path: Path) -> RunFile:
    try:
        settings = _settings(doc["settings"])
    except SettingError as error:
        raise RunFileError(f"{path}: {error}") from None
    data = doc["data"]
    points = None
    if data.get("stored"):
        x, y = _points(data["x"]), _floats(data["y"], len(data["x"]))
        points = Dataset(x.astype(np.float32), y.astype(np.float32), str(data.get("source", path.name)))
    elif settings.data and data.get("stored") is False and not Path(settings.data).exists():
        raise RunFileError(f"{path}: its points were not stored and {settings.data} is gone")
    end = doc["end"]
    history = doc["history"]
    n = len(history["last"])
    hist = {"span": int(history["span"]), "buckets": int(history["buckets"]),
            **{name: _floats(history[name], n) for name in HISTORY if name in history}}
    rec = doc["records"]
    steps = np.array([int(s) for s in rec["step"]], np.int64)
    records = {"step": steps, **{c: _floats(rec[c], len(steps)) for c in RECORDS if c in rec}}
    limit = end.get("loss_limit")
    params = end.get("params")
    if params is not None and not isinstance(params, dict):
        raise ValueError("params is not a mapping of names to values")
    vector = end.get("eigenvector")
    return RunFile(
        settings=settings, points=points, data_sha256=str(data["sha256"]),
        step=int(end["step"]), w=float(end["w"]), b=float(end["b"]),
        learning_rate=float(end["learning_rate"]), budget_end=int(end["budget_end"]),
        state=State[end["state"]], loss_limit=math.nan if limit is None else float(limit),
        history=hist, records=records, truncated=bool(rec["truncated"]), path=path,
        params=params, eigenvector=None if vector is None else _floats(vector),
        optimizer_state=end.get("optimizer_state"), plateau=end.get("plateau"),
        eigenvector_cold=bool(end.get("eigenvector_cold", True)),
        eigen_shift=float(end.get("eigen_shift", 0.0)))


# -- restoring -------------------------------------------------------------------------

def restore(run: Run, saved: RunFile) -> Run:
    """Put a fresh Run (built from the file's settings and data) at the saved end state."""
    trainer = run.trainer
    if saved.params is None:  # a file from before models: the line's w and b
        trainer.set_theta(np.array([saved.w, saved.b], np.float32))
    else:
        try:
            trainer.set_theta(run.model.from_named(saved.params))
        except ValueError as error:
            raise RunFileError(f"{saved.path}: {error}") from None
    if saved.eigenvector is not None and len(saved.eigenvector) == run.model.size:
        trainer.eigenvector.assign(saved.eigenvector.astype(np.float32))
        trainer.eigenvector_cold.assign(saved.eigenvector_cold)
        trainer.eigen_shift.assign(saved.eigen_shift)
    if saved.optimizer_state is not None and trainer.optimizer is not None:
        variables = trainer.optimizer.variables
        values = [np.asarray(v, np.float64) for v in saved.optimizer_state]
        if len(values) != len(variables) or any(v.shape != tuple(var.shape)
                                                for v, var in zip(values, variables)):
            raise RunFileError(f"{saved.path}: its optimizer state does not fit {run.settings.optimizer}")
        for variable, value in zip(variables, values):
            variable.assign(value.astype(np.dtype(variable.dtype)))  # Keras 3: dtype is a name
    if saved.plateau is not None:
        best, wait, factor = (float(v) for v in saved.plateau)
        trainer.plateau.best.assign(best)
        trainer.plateau.wait.assign(int(wait))
        trainer.plateau.factor.assign(factor)
    trainer.learning_rate.assign(saved.learning_rate)
    trainer.step = saved.step
    run.start_trail()  # the path drawn from here: the file keeps no θ of earlier steps
    run._limit_armed = not math.isnan(saved.loss_limit)
    trainer.loss_limit.assign(saved.loss_limit if run._limit_armed else np.inf)
    run.budget_end = saved.budget_end
    _restore_history(run.history, saved.history)
    measured = run.history.sharpness[:run.history.count]
    measured = measured[np.isfinite(measured)]
    run.sharpness = float(measured[-1]) if len(measured) else None
    run.recording.load(saved.records, saved.truncated)
    if len(saved.records["step"]) and saved.records["step"][0] == 0:
        run.start_loss = float(saved.records["loss"][0])
    bad = np.flatnonzero(~np.isfinite(saved.records["loss"]))
    if len(bad):
        run.non_finite_at = int(saved.records["step"][bad[0]])
    # Reopened paused at the last step; a finished or diverged run stays so (space goes on).
    if saved.state in (State.FINISHED, State.DIVERGED):
        run.state = saved.state
    elif saved.step > 0:
        run.state = State.PAUSED
    else:
        run.state = State.READY
    run.drain()  # the warnings of building it again are not news
    run.say(f"opened {saved.path.name if saved.path else 'a run file'}: step {saved.step:,}, "
            f"{run.state.value}")
    return run


def _restore_history(history: LossHistory, saved: dict) -> None:
    if saved["buckets"] != history.capacity:
        history.capacity = saved["buckets"]
    history.clear()
    n = len(saved["last"])
    history.span = saved["span"]
    history.count = n
    for name in HISTORY:
        if name in saved:
            getattr(history, name)[:n] = saved[name]
