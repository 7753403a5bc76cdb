"""`from lrtui.keras import LrtuiCallback, find_lr`: lrtui for your own Keras training.

    model.fit(x, y, callbacks=[LrtuiCallback(name="exp1")])

then, in another terminal on the same machine, `lrtui watch exp1`.
"""

from lrtui.integrations.keras.callback import LrtuiCallback, ScaledSchedule
from lrtui.integrations.keras.find_lr import find_lr

__all__ = ["LrtuiCallback", "ScaledSchedule", "find_lr"]
