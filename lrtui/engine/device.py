"""Which device the training runs on, chosen once TensorFlow is imported."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceChoice:
    name: str  # a TensorFlow device string, e.g. "/CPU:0" or "/GPU:1"
    note: str = ""  # why it differs from what was asked, if it does

    @property
    def label(self) -> str:
        return self.name.strip("/").replace("device:", "")


def choose_device(tf, wanted: str = "auto") -> DeviceChoice:
    """Resolve auto/cpu/gpu//GPU:k; falls back to the CPU with a note when no such GPU exists.

    GPU memory growth must be set before the first op, or TensorFlow grabs all
    of the GPU's memory: this runs right after the import for that reason.
    """
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except (RuntimeError, ValueError):
            pass  # already initialised: growth can no longer be changed
    wanted = wanted.strip()
    if wanted.lower() == "cpu" or (wanted.lower() == "auto" and not gpus):
        return DeviceChoice("/CPU:0")
    if wanted.lower() in ("auto", "gpu"):
        if gpus:
            return DeviceChoice("/GPU:0")
        return DeviceChoice("/CPU:0", "no GPU found: running on the CPU")
    kind, _, index = wanted.strip("/").replace("device:", "").upper().partition(":")
    count = len(gpus) if kind == "GPU" else len(tf.config.list_physical_devices("CPU"))
    if int(index) < count:
        return DeviceChoice(f"/{kind}:{index}")
    return DeviceChoice("/CPU:0", f"no device {wanted}: running on the CPU")
