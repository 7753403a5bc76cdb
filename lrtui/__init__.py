"""lrtui: a terminal simulator that makes the learning rate visible."""

__version__ = "0.1.0"
