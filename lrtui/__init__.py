"""lrtui: a terminal simulator that makes the learning rate visible."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lrtui")  # one version, the one pyproject.toml gives the installed package
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
