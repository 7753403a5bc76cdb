"""What a run trains and on what: the names of the models and data sets, and their parsers.

The engine builds the models and draws the data; the names, what each one
needs (one input or two) and the limits of their sizes live here, below the
engine, so the command line and the pane refuse a bad combination with the
same one-line message before anything is built.
"""

from __future__ import annotations

from lrtui.settings.parsing import SettingError, choice, count_in

MODELS = ("line", "poly", "logistic", "mlp")
ACTIVATIONS = ("tanh", "relu")
# How many inputs a model takes; 0: as many as its data has (mlp: one for a
# curve, two for two classes).
MODEL_INPUTS = {"line": 1, "poly": 1, "logistic": 2, "mlp": 0}
ONE_INPUT_DATASETS = ("line", "sine")
TWO_INPUT_DATASETS = ("circle", "xor", "moons", "spiral")
DATASETS = ONE_INPUT_DATASETS + TWO_INPUT_DATASETS
MAX_DEGREE = 12
MAX_HIDDEN = 4096
# The fields a model is built from: changing one builds the model afresh.
MODEL_FIELDS = ("model", "degree", "hidden", "activation", "init_seed")


def parse_model(text: str) -> str:
    return choice(text, MODELS, "model")


def parse_dataset(text: str) -> str:
    return choice(text, DATASETS, "dataset")


def parse_activation(text: str) -> str:
    return choice(text, ACTIVATIONS, "activation")


def parse_degree(text: str) -> int:
    return count_in(text, "degree", 1, MAX_DEGREE)


def parse_hidden(text: str) -> int:
    return count_in(text, "hidden", 1, MAX_HIDDEN)


def parse_sharpness_every(text: str) -> int | None:
    """Steps between two measurements of the sharpness; 0 or "off": never; "auto": the
    command's own default (None)."""
    if text.strip().lower() == "off":
        return 0
    if text.strip().lower() == "auto":
        return None
    return count_in(text, "sharpness every", 0, 1_000_000)


def inputs_of_dataset(name: str) -> int:
    return 2 if name in TWO_INPUT_DATASETS else 1


def check_model_and_data(model: str, inputs: int, where: str = "") -> None:
    """Refuse a model whose inputs the data does not have (`where` names a data file)."""
    wanted = MODEL_INPUTS[model]
    if wanted and wanted != inputs:
        need = "one input x" if wanted == 1 else "two inputs x1, x2 and a 0/1 label"
        have = "one input" if inputs == 1 else "two inputs"
        raise SettingError(f"model {model} needs data with {need}; {where or 'this data'} has {have}")


__all__ = ["ACTIVATIONS", "DATASETS", "MAX_DEGREE", "MAX_HIDDEN", "MODELS", "MODEL_FIELDS",
           "MODEL_INPUTS", "ONE_INPUT_DATASETS", "TWO_INPUT_DATASETS", "check_model_and_data",
           "inputs_of_dataset", "parse_activation", "parse_dataset", "parse_degree",
           "parse_hidden", "parse_model", "parse_sharpness_every"]
