"""Real Keras trainings in their own processes, watched and steered with `lrtui watch`.

Two trainings start together (TensorFlow's import is most of their cost): a
short one with the range test first, and a long paced one that the tests
steer one after the other and finally kill. What the training process itself
saw is in its record file (see training_process.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lrtui.integrations.keras.channel import Channel, RowTail
from lrtui.integrations.keras.range_file import read_range_test
from lrtui.integrations.keras.rows import ROW_KEYS

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
START_TIMEOUT = 120  # two TensorFlow imports at once on a busy two-core machine
ACK = re.compile(r"lr ([\d.e-]+) -> ([\d.e-]+) from step ([\d,]+)")


def wait_until(predicate, timeout: float = 30.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)
    return value


class Training:
    def __init__(self, name: str, folder: Path, env: dict, *options: str):
        self.name, self.env = name, env
        self.record = folder / f"{name}.record.jsonl"
        self.log = open(folder / f"{name}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, str(HERE / "training_process.py"), "--name", name,
             "--record", str(self.record), *options], env=env, stdout=self.log, stderr=self.log)

    def records(self) -> list[dict]:
        if not self.record.exists():
            return []
        lines = self.record.read_text().splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def channel(self) -> Channel:
        return Channel.attach(self.name, root=Path(self.env["XDG_RUNTIME_DIR"]) / "lrtui" / "trainings")

    def state(self) -> dict:
        try:
            return self.channel().state()
        except Exception:
            return {}

    def watch(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "lrtui", "watch", self.name, *args],
                              env=self.env, capture_output=True, text=True, timeout=timeout)

    def viewer(self, out: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "lrtui", "watch", self.name, "--format",
                                 "jsonl"], env=self.env, stdout=open(out, "w"),
                                stderr=subprocess.PIPE, text=True)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def trainings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keras")
    runtime = folder / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PYTHONUNBUFFERED": "1"}
    short = Training("short", folder, env, "--epochs", "3", "--find-lr")
    long = Training("long", folder, env, "--epochs", "100000", "--pace", "0.01")
    yield {"short": short, "long": long}
    short.stop()
    long.stop()


@pytest.fixture
def long(trainings):
    training = trainings["long"]
    if training.process.poll() is not None:
        pytest.fail(f"the long training ended: {Path(training.log.name).read_text()[-2000:]}")
    wait_until(lambda: training.state().get("state") == "training"
               and (training.state().get("step") or 0) >= 5, START_TIMEOUT,
               "the long training to run")
    return training


def applied_step(result: subprocess.CompletedProcess) -> int:
    assert result.returncode == 0, result.stderr
    return int(re.search(r"(?:step|before step|at step) ([\d,]+)", result.stdout).group(1)
               .replace(",", ""))


def test_jsonl_rows_are_the_logs_keras_gave(trainings):
    short = trainings["short"]
    assert short.process.wait(START_TIMEOUT) == 0, Path(short.log.name).read_text()[-2000:]
    result = short.watch("--format", "jsonl")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    rows = [line for line in lines if "step" in line]
    records = short.records()
    assert len(rows) == len(records) == 3 * 16
    for row, record in zip(rows, records):
        assert row["step"] == record["step"]
        assert {k: v for k, v in row.items() if k not in ROW_KEYS} == record["logs"]
        assert row["lr"] == record["lr"]  # the lr the optimizer held at the batch's start
    epochs = [line["event"] for line in lines if line.get("event", {}).get("kind") == "epoch"]
    assert [e["epoch"] for e in epochs] == [0, 1, 2]
    assert {"loss", "mae", "val_loss", "val_mae"} == set(epochs[-1]["logs"])
    assert lines[-1]["summary"]["status"] == "finished" and lines[-1]["summary"]["rows"] == 48
    test = read_range_test(short.channel())  # find_lr_first=True published its sweep
    assert test is not None and set(test.suggestions) == {"minimum", "steep", "valley"}
    assert len(test.lrs) == len(test.smoothed) <= 40 and test.lrs[0] == pytest.approx(1e-7)


def test_set_lr_applies_from_the_step_it_printed(long):
    result = long.watch("--set-lr", "0.0123")
    step = applied_step(result)
    assert "0.01 -> 0.0123" in result.stdout
    records = wait_until(lambda: len(r := long.records()) > step + 5 and r, 30,
                         "batches after the change")
    before = {r["lr"] for r in records[:step]}
    after = {r["lr"] for r in records[step:step + 5]}
    assert before == {float(np.float32(0.01))} and after == {float(np.float32(0.0123))}
    rows = RowTail(long.channel()).read()
    assert rows[step - 1]["lr"] == records[step - 1]["lr"] and rows[step]["lr"] == records[step]["lr"]


def test_pause_stops_batches_and_resume_goes_on(long):
    step = applied_step(long.watch("--pause"))
    assert long.state()["state"] == "paused" or wait_until(
        lambda: long.state().get("state") == "paused", 5, "the paused state")
    # Over two more heartbeats (about 2 s), no batch runs: the step and the record stay put.
    first = wait_until(lambda: (s := long.state()).get("state") == "paused"
                       and s.get("step") == step - 1 and s, 10, "the heartbeat at the paused step")
    seen = []
    wait_until(lambda: (seen.append(s := long.state()) or s.get("updated", 0)
                        >= first["updated"] + 2), 10, "two more heartbeats")
    assert {s.get("step") for s in seen} == {step - 1} and {s.get("state") for s in seen} == {"paused"}
    assert len(long.records()) == step
    result = long.watch("--resume")
    assert applied_step(result) == step and "resumed" in result.stdout
    wait_until(lambda: (long.state().get("step") or 0) > step + 5, 20, "batches after resume")


async def test_keys_in_the_viewer_steer_the_training(long):
    from lrtui.app.watch_app import WatchApp, log_text_of

    app = WatchApp(long.channel())
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 20
        while app.frame is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app.frame is not None, "the viewer read no frame in 20 s"
        earlier = len(ACK.findall(log_text_of(app)))  # the whole history shows, acks included
        await pilot.press("minus")
        found = None
        while found is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
            acks = ACK.findall(log_text_of(app))
            found = acks[-1] if len(acks) > earlier else None
        assert found, log_text_of(app)
        assert float(found[1]) == pytest.approx(float(found[0]) / 2, rel=1e-3)
        await pilot.press("q")
    step = int(found[2].replace(",", ""))
    records = wait_until(lambda: len(r := long.records()) > step + 2 and r, 20, "batches after")
    assert records[step]["lr"] == pytest.approx(records[step - 1]["lr"] / 2, rel=1e-6)
    assert long.process.poll() is None  # q detached; the training goes on


def test_viewer_and_training_survive_each_other(long, tmp_path):
    first = long.viewer(tmp_path / "first.jsonl")
    wait_until(lambda: (tmp_path / "first.jsonl").read_text().count("\n") > 10, 30,
               "the first viewer's rows")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    at_kill = long.state()["step"]
    wait_until(lambda: long.state().get("step", 0) > at_kill + 20, 20,
               "the training to go on after its viewer was killed")
    assert long.process.poll() is None

    second = long.viewer(tmp_path / "second.jsonl")
    wait_until(lambda: (tmp_path / "second.jsonl").read_text().count("\n") > at_kill, 30,
               "the second viewer to read the whole history")
    long.process.send_signal(signal.SIGKILL)
    long.process.wait(10)
    assert second.wait(20) == 1, second.stderr.read()
    lines = (tmp_path / "second.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["summary"]["status"] == "gone"
    steps = [json.loads(line)["step"] for line in lines[:-1] if line.startswith('{"step"')]
    assert steps == list(range(len(steps)))  # from step 0, none missing
    listing = subprocess.run([sys.executable, "-m", "lrtui", "watch"], env=long.env,
                             capture_output=True, text=True, timeout=60).stdout
    assert re.search(r"^long\s+\d+\s+gone", listing, re.M), listing
    result = long.watch("--resume")
    assert result.returncode == 1 and "gone" in result.stderr
