"""The range test a training ran before it started, as a file in its channel folder.

Written by the training process (`find_lr_first=True`), read by `lrtui watch`
without TensorFlow, into the engine's own `RangeTest` so that the same plot
and the same suggestion keys show it.
"""

from __future__ import annotations

import json

import numpy as np

from lrtui.atomic import write_atomic
from lrtui.engine.lr_find import RangeTest, Suggestion
from lrtui.integrations.keras.channel import Channel, read_json


def range_test_json(test: RangeTest) -> dict:
    return {"lrs": test.lrs.tolist(), "losses": test.losses.tolist(),
            "smoothed": test.smoothed.tolist(), "num": test.num,
            "stopped_early": test.stopped_early,
            "suggestions": {name: [s.learning_rate, s.at_lr, s.at_loss]
                            for name, s in test.suggestions.items()}}


def publish_range_test(channel: Channel, test: RangeTest) -> None:
    write_atomic(channel.range_test, json.dumps(range_test_json(test)), mode=0o600, sync=False)


def read_range_test(channel: Channel) -> RangeTest | None:
    saved = read_json(channel.range_test)
    if not saved:
        return None
    try:
        suggestions = {name: Suggestion(name, *map(float, values))
                       for name, values in saved["suggestions"].items()}
        return RangeTest(*(np.asarray(saved[k], np.float64) for k in ("lrs", "losses", "smoothed")),
                         int(saved["num"]), bool(saved["stopped_early"]), None, suggestions)
    except (KeyError, TypeError, ValueError):
        return None
