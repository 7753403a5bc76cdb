"""The callback and find_lr on real Keras models in this process (TensorFlow's CPU backend).

Steering commands are sent from a thread through the channel, as `lrtui
watch` sends them; a plain recorder callback says what the optimizer did.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

from lrtui.integrations.keras.channel import Channel, JsonLines  # noqa: E402
from lrtui.integrations.keras.rows import decode_row  # noqa: E402
from lrtui.keras import LrtuiCallback, ScaledSchedule, find_lr  # noqa: E402

pytestmark = pytest.mark.slow  # real Keras fits, about 30 s in all


@pytest.fixture(autouse=True)
def runtime(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))


def data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [3.0]])).astype("float32")


def model_with(lr, dropout=False):
    keras.utils.set_random_seed(1)
    layers = [keras.Input((4,)), keras.layers.Dense(8, activation="tanh")]
    if dropout:
        layers += [keras.layers.Dropout(0.2), keras.layers.BatchNormalization()]
    model = keras.Sequential(layers + [keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(lr), loss="mse", metrics=["mae"])
    return model


class Recorder(keras.callbacks.Callback):
    """The lr at each batch's start, as the optimizer reports it; a pace to steer against."""

    def __init__(self, pace=0.0):
        super().__init__()
        self.lrs, self.pace = [], pace

    def on_train_batch_begin(self, batch, logs=None):
        self.lrs.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.pace)


def send_when(name, at_step, command, results, **arguments):
    """From a thread: once the training passed `at_step`, send and wait for the ack."""
    def run():
        channel = wait_for(lambda: _attach(name))
        wait_for(lambda: (channel.state().get("step") or -1) >= at_step)
        events = JsonLines(channel.events)
        ident = channel.send(command, **arguments)
        results.append(wait_for(lambda: next((e for e in events.read() if e.get("id") == ident),
                                             None)))
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _attach(name):
    try:
        return Channel.attach(name)
    except Exception:
        return None


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while (value := predicate()) is None or value is False:
        if time.monotonic() > deadline:
            raise TimeoutError("timed out")
        time.sleep(0.01)
    return value


def test_scale_lr_rescales_a_schedule_from_the_acknowledged_step():
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 20, 0.5)
    model = model_with(schedule)
    recorder, acks = Recorder(pace=0.02), []
    sender = send_when("sched", 5, "scale_lr", acks, value=0.5)
    model.fit(*data(), batch_size=16, epochs=3, verbose=0,
              callbacks=[LrtuiCallback("sched"), recorder])
    sender.join(5)
    step = acks[0]["from_step"]
    assert acks[0]["kind"] == "ack" and 5 < step < 40
    expected = np.array([float(schedule(i)) for i in range(48)])
    expected[step:] *= 0.5
    assert np.allclose(recorder.lrs, expected, rtol=1e-6)
    # The published lr of every row is the one the optimizer used.
    rows = [decode_row(r) for r in _rows("sched")]
    assert np.allclose([r.lr for r in rows], recorder.lrs, rtol=1e-6)
    # A rescaled schedule stays wrapped (and saves as lrtui>ScaledSchedule).
    assert isinstance(model.optimizer._learning_rate, ScaledSchedule)


def test_an_unsteered_schedule_is_given_back_as_it_was():
    schedule = keras.optimizers.schedules.CosineDecay(0.01, 100)
    model = model_with(schedule)
    model.fit(*data(64), batch_size=16, epochs=1, verbose=0, callbacks=[LrtuiCallback("cos")])
    assert model.optimizer._learning_rate is schedule


def test_stop_and_save_weights(tmp_path):
    model = model_with(0.01)
    acks = []
    path = str(tmp_path / "now.weights.h5")
    saver = send_when("stopme", 3, "save_weights", acks, path=path)
    stopper = send_when("stopme", 10, "stop", acks)
    history = model.fit(*data(), batch_size=16, epochs=50, verbose=0,
                        callbacks=[LrtuiCallback("stopme"), Recorder(pace=0.01)])
    saver.join(5), stopper.join(5)
    assert sorted(a["command"] for a in acks) == ["save_weights", "stop"]
    assert all(a["kind"] == "ack" for a in acks)
    assert len(history.history["loss"]) < 50  # the fit ended early
    assert Channel.attach("stopme").training().status == "stopped"
    copy = model_with(0.01)
    copy.load_weights(path)  # a complete weights file
    assert os.path.getsize(path) > 0


def test_a_failed_save_is_said_and_training_goes_on(tmp_path):
    model = model_with(0.01)
    acks = []
    sender = send_when("fail", 2, "save_weights", acks, path=str(tmp_path / "no" / "x.weights.h5"))
    stopper = send_when("fail", 20, "stop", acks)
    history = model.fit(*data(), batch_size=16, epochs=100, verbose=0,
                        callbacks=[LrtuiCallback("fail"), Recorder(pace=0.01)])
    sender.join(5), stopper.join(5)
    failed, stopped = sorted(acks, key=lambda a: a["command"])
    assert failed["kind"] == "refused" and "save_weights failed" in failed["text"]
    assert stopped["kind"] == "ack" and stopped["from_step"] >= 20  # training went on to here
    assert len(history.history["loss"]) >= 2


def _rows(name):
    from lrtui.integrations.keras.channel import RowTail

    return RowTail(Channel.attach(name)).read()


# -- find_lr ---------------------------------------------------------------------------
def _values(model):
    variables = [*model.variables, *model.metrics_variables, *model.optimizer.variables]
    return [(v.path, np.array(keras.ops.convert_to_numpy(v))) for v in variables]


def assert_bit_identical(before, after):
    assert [p for p, _ in before] == [p for p, _ in after]
    for (path, a), (_, b) in zip(before, after):
        assert a.dtype == b.dtype and np.array_equal(a, b), path


def test_find_lr_restores_every_variable_bit_for_bit():
    x, y = data()
    model = model_with(0.003, dropout=True)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # optimizer slots and counts are not zero
    before = _values(model)
    test = find_lr(model, x, y, batch_size=16, num=60)
    assert_bit_identical(before, _values(model))
    assert len(test.lrs) == len(test.losses) == len(test.smoothed) <= 60
    assert test.lrs[0] == pytest.approx(1e-7) and np.all(np.diff(test.lrs) > 0)
    assert set(test.suggestions) == {"minimum", "steep", "valley"}
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.003)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)  # and training goes on as before


def test_find_lr_on_a_dataset_with_a_schedule_gives_the_schedule_back():
    tf = pytest.importorskip("tensorflow")
    x, y = data()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
    model = model_with(schedule)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    before = _values(model)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)  # 8 batches, repeated
    test = find_lr(model, dataset, num=30, start=1e-5, end=1.0)
    assert_bit_identical(before, _values(model))
    assert model.optimizer._learning_rate is schedule
    assert len(test.lrs) > 8  # the dataset was cycled
    losses = model.fit(x, y, batch_size=32, epochs=1, verbose=0).history["loss"]
    assert np.isfinite(losses[0])


def test_find_lr_refuses_bad_sweeps():
    model = model_with(0.01)
    with pytest.raises(ValueError, match="start"):
        find_lr(model, *data(), start=1.0, end=0.1)
    with pytest.raises(ValueError, match="too few steps"):
        find_lr(model, *data(), num=5)
