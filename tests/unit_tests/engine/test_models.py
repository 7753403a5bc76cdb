"""Every model's loss and gradient against an independent float64 numpy implementation
(tests/numpy_models.py), lanes, parameters by name, and the seeded data sets."""

from __future__ import annotations

import numpy as np
import pytest
from numpy_models import reference

from lrtui.engine.datasets import CLASSES, classes, inputs_of, sine, standardize
from lrtui.engine.models import ModelError, make_model
from lrtui.engine.startup import import_tensorflow

tf = import_tensorflow()

RNG = np.random.default_rng(42)


def tf_loss_and_gradient(model, theta, x, y):
    theta = tf.constant(np.asarray(theta, np.float32))
    with tf.GradientTape() as tape:
        tape.watch(theta)
        loss = model.loss_flat(theta, tf.constant(x), tf.constant(y))
    return float(loss), tape.gradient(loss, theta).numpy()


REGRESSION = sine(64, 0.1, 3)
CLASS_DATA = classes("moons", 80, 0.1, 4)

CASES = [
    ("line", {}, REGRESSION),
    ("poly", {"degree": 1}, REGRESSION),
    ("poly", {"degree": 3}, REGRESSION),
    ("poly", {"degree": 5}, REGRESSION),
    ("logistic", {}, CLASS_DATA),
    ("mlp", {"hidden": 16, "activation": "tanh"}, REGRESSION),
    ("mlp", {"hidden": 7, "activation": "relu"}, REGRESSION),
    ("mlp", {"hidden": 16, "activation": "tanh"}, CLASS_DATA),
    ("mlp", {"hidden": 5, "activation": "relu"}, CLASS_DATA),
]


@pytest.mark.parametrize("name,options,data", CASES, ids=lambda c: str(c) if isinstance(c, str) else "")
def test_loss_and_gradient_match_numpy(name, options, data):
    model = make_model(name, inputs_of_data(data), **options)
    for trial in range(4):
        # The first trial is where the model starts (zero weights: every logit exactly 0).
        theta = model.initial(trial)
        if trial:
            theta = theta + RNG.normal(0, 0.5, model.size).astype(np.float32)
        loss, gradient = tf_loss_and_gradient(model, theta, data.x, data.y)
        want_loss, want_gradient = reference(model, theta, data.x, data.y)
        assert loss == pytest.approx(want_loss, rel=2e-5, abs=1e-6)
        np.testing.assert_allclose(gradient, want_gradient, rtol=2e-4,
                                   atol=2e-5 * max(1.0, np.abs(want_gradient).max()))


def inputs_of_data(data) -> int:
    return 1 if np.ndim(data.x) == 1 else 2


@pytest.mark.parametrize("name,options,data", CASES[::2])
def test_lanes_give_each_lane_its_own_loss(name, options, data):
    model = make_model(name, inputs_of_data(data), **options)
    thetas = np.stack([model.initial(k) + RNG.normal(0, 0.3, model.size) for k in range(4)])
    thetas = thetas.astype(np.float32)
    together = model.loss_flat(tf.constant(thetas), data.x, data.y).numpy()
    assert together.shape == (4,)
    for k in range(4):
        alone = float(model.loss_flat(tf.constant(thetas[k]), data.x, data.y))
        assert together[k] == pytest.approx(alone, rel=1e-6)
        assert alone == pytest.approx(reference(model, thetas[k], data.x, data.y)[0], rel=2e-5)


def test_the_line_without_lanes_is_the_lessons_expression_bit_for_bit():
    """The solo trainer hands the line two scalar variables: the loss must be the very
    float32 number `tf.reduce_mean(tf.square(w * x + b - y))` gives, compiled or not."""
    line = make_model("line", 1)
    x, y = tf.constant(REGRESSION.x), tf.constant(REGRESSION.y)
    w, b = tf.Variable(0.37), tf.Variable(-1.3)

    def both():
        return line.loss({"w": w, "b": b}, x, y), tf.reduce_mean(tf.square(w * x + b - y))

    for run in (both, tf.function(both, jit_compile=True)):
        mine, lesson = run()
        assert mine.numpy().tobytes() == lesson.numpy().tobytes()


def test_initial_values():
    assert list(make_model("line", 1).initial(0)) == [0.0, -1.0]
    assert list(make_model("line", 1, init_w=2.0, init_b=0.5).initial(9)) == [2.0, 0.5]
    assert not make_model("poly", 1, degree=4).initial(3).any()
    assert not make_model("logistic", 2).initial(3).any()
    mlp = make_model("mlp", 1, hidden=16)
    named = mlp.named(mlp.initial(5))
    w1, w2 = np.array(named["W1"]), np.array(named["W2"])
    assert w1.shape == (1, 16) and w2.shape == (16, 1)
    assert np.abs(w1).max() <= np.sqrt(6 / 17) and np.abs(w2).max() <= np.sqrt(6 / 17)
    assert np.abs(w1).max() > 0.3 * np.sqrt(6 / 17)  # drawn over the whole Glorot range
    assert named["b1"] == [0.0] * 16 and named["b2"] == [0.0]
    assert np.array_equal(mlp.initial(5), mlp.initial(5))
    assert not np.array_equal(mlp.initial(5), mlp.initial(6))


def test_named_parameters_round_trip():
    for name, options, data in CASES:
        model = make_model(name, inputs_of_data(data), **options)
        theta = model.initial(1) + RNG.normal(0, 1, model.size).astype(np.float32)
        named = model.named(theta)
        assert list(named) == list(model.names)
        assert np.array_equal(model.from_named(named), theta)
    poly = make_model("poly", 1, degree=2)
    assert list(poly.named(np.array([1, 2, 3], np.float32))) == ["c0", "c1", "c2"]
    with pytest.raises(ValueError, match="missing c2"):
        poly.from_named({"c0": 1.0, "c1": 2.0})
    with pytest.raises(ValueError, match="shape"):
        make_model("mlp", 1, hidden=3).from_named(
            {"W1": [1, 2, 3], "b1": [0, 0, 0], "W2": [[1], [2], [3]], "b2": [0]})


@pytest.mark.parametrize("call,message", [
    (lambda: make_model("poly", 1, degree=0), "degree: 0 is out of range"),
    (lambda: make_model("mlp", 1, hidden=0), "hidden: 0 is out of range"),
    (lambda: make_model("mlp", 1, activation="sigmoid"), "activation"),
    (lambda: make_model("line", 2), "model line needs data with one input x"),
    (lambda: make_model("poly", 2), "model poly needs data with one input x"),
    (lambda: make_model("logistic", 1), "two inputs x1, x2 and a 0/1 label"),
    (lambda: make_model("tree", 1), "not one of line, poly, logistic, mlp"),
])
def test_bad_models_are_refused_with_one_line(call, message):
    with pytest.raises(ModelError, match=message) as error:
        call()
    assert "\n" not in str(error.value)


def test_mlp_takes_the_inputs_of_its_data():
    assert not make_model("mlp", 1).classifies
    assert make_model("mlp", 2).classifies
    assert make_model("mlp", 2).describe() == "mlp 2-16-1 tanh"


# -- data sets ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSES)
def test_class_data_sets_are_seeded_two_input_and_balanced(name):
    data = classes(name, 101, 0.1, 7)
    assert data.x.shape == (101, 2) and data.x.dtype == np.float32
    assert set(np.unique(data.y)) == {0.0, 1.0}
    assert abs(int(data.y.sum()) - 50) <= 1
    again = classes(name, 101, 0.1, 7)
    assert np.array_equal(data.x, again.x) and np.array_equal(data.y, again.y)
    assert not np.array_equal(data.x, classes(name, 101, 0.1, 8).x)
    assert inputs_of(name) == 2


def test_sine_is_evenly_spaced_over_minus_two_to_two():
    data = sine(64, 0.0, 0)
    np.testing.assert_allclose(data.x, np.linspace(-2, 2, 64), atol=1e-7)
    np.testing.assert_allclose(data.y, np.sin(2 * data.x), atol=1e-6)
    assert inputs_of("sine") == 1


def test_class_shapes_are_what_their_names_say():
    circle = classes("circle", 400, 0.0, 1)
    radius = np.hypot(circle.x[:, 0], circle.x[:, 1])
    assert radius[circle.y == 1].max() <= 0.5 + 1e-6 < 0.8 - 1e-6 <= radius[circle.y == 0].min()
    xor = classes("xor", 400, 0.0, 1)
    assert np.array_equal(xor.y == 1, xor.x[:, 0] * xor.x[:, 1] > 0)


def test_standardize_z_scores_every_input_column():
    data = standardize(classes("moons", 200, 0.2, 3))
    np.testing.assert_allclose(data.x.mean(axis=0), 0, atol=1e-6)
    np.testing.assert_allclose(data.x.std(axis=0), 1, atol=1e-5)
    one = standardize(sine(50, 0.1, 0))
    assert one.x.shape == (50,) and abs(float(one.x.std()) - 1) < 1e-5
    assert np.array_equal(one.y, sine(50, 0.1, 0).y)
    assert one.source.endswith("standardized")
