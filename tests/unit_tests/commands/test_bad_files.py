"""Files that cannot be used: one clear message naming the file and the problem.

CSV data through the loader and `lrtui run` (exit 2, before TensorFlow is
imported), and theme files through the theme loader. The app's fallbacks
(generated data, the default theme) are in test_faults.py.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from lrtui.app.themes import load_themes, theme_from_file
from lrtui.commands import main as cli
from lrtui.engine import data as data_module
from lrtui.engine.data import DataError, load_csv

# name -> (file content, or None for no file; the words the message must hold)
BAD_CSV = {
    "empty.csv": ("", "is empty"),
    "blank_lines.csv": ("\n\n  \n", "is empty"),
    "header_only.csv": ("x,y\n", "is empty"),
    "one_row.csv": ("x,y\n1,2\n", "only one data row"),
    "one_column.csv": ("1\n2\n3\n", "row 1: needs two columns"),
    "one_column_header.csv": ("x\n1\n2\n", "the header has one"),
    "text_cell.csv": ("x,y\n1,2\n3,abc\n", "row 3: y 'abc' is not a number"),
    "nan_row.csv": ("x,y\n1,2\nnan,3\n4,5\n", "row 3: x 'nan' is not a finite number"),
    "inf_row.csv": ("1,2\n3,inf\n", "row 2: y 'inf' is not a finite number"),
    "huge_value.csv": ("1,2\n3,1e300\n", "row 2: y '1e300' is too large: its square overflows float32"),
    "short_row.csv": ("x,y\n1,2\n3\n", "row 3: needs two columns"),
    "missing.csv": (None, "no such file"),
}


def make(tmp_path, name: str, content: str | None):
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", sorted(BAD_CSV))
def test_bad_csv_is_refused_with_the_file_and_the_problem(tmp_path, name):
    content, words = BAD_CSV[name]
    path = make(tmp_path, name, content)
    with pytest.raises(DataError) as refused:
        load_csv(path)
    message = str(refused.value)
    assert name in message and words in message, message
    if content is not None:
        assert path.read_text(encoding="utf-8") == content, "the file was changed"


@pytest.mark.parametrize("name", ["empty.csv", "text_cell.csv", "missing.csv"])
def test_lrtui_run_with_a_bad_csv_exits_2_with_one_line(tmp_path, capsys, name):
    content, words = BAD_CSV[name]
    path = make(tmp_path, name, content)
    assert cli.main(["run", "--data", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("lrtui: error:") and words in err, err


def test_a_directory_and_a_binary_file_are_refused(tmp_path):
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path)
    binary = tmp_path / "points.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="points.csv: is not a text CSV file"):
        load_csv(binary)


def test_a_million_rows_load(tmp_path):
    n = 1_000_000
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, n)
    path = tmp_path / "big.csv"
    with path.open("w") as handle:
        handle.write("x,y\n")
        handle.write("\n".join(f"{a:.6f},{0.1 * a + 0.5:.6f}" for a in x))
    started = time.perf_counter()
    dataset = load_csv(path)
    print(f"\n1,000,000 rows loaded in {time.perf_counter() - started:.1f} s")
    assert dataset.n == n
    assert np.allclose(dataset.y, 0.1 * dataset.x + 0.5, atol=1e-5)


def test_too_many_rows_are_refused_clearly(tmp_path, monkeypatch):
    # The real limit is 10 million rows; the same check at a size a test can write.
    monkeypatch.setattr(data_module, "MAX_ROWS", 1000)
    path = tmp_path / "many.csv"
    path.write_text("".join(f"{i},{i}\n" for i in range(1500)))
    with pytest.raises(DataError, match="many.csv: more than 1,000 rows"):
        load_csv(path)


# -- theme files ----------------------------------------------------------------------

BAD_THEMES = {
    "broken.toml": ("name = 'broken\nprimary = '#ff0000'\n", "not valid TOML"),
    "nameless.toml": ("primary = '#ff0000'\n", "needs a name"),
    "blank_name.toml": ("name = '  '\nprimary = '#ff0000'\n", "needs a name"),
    "no_primary.toml": ("name = 'x'\n", "needs at least a primary colour"),
    "bad_colour.toml": ("name = 'x'\nprimary = 'reddish'\n", "primary = 'reddish' is not a colour"),
    "bad_plot_colour.toml": ("name = 'x'\nprimary = '#ff0000'\n[variables]\nfit-line = 12\n",
                             "variables.fit-line = 12 is not a colour"),
    "variables_not_table.toml": ("name = 'x'\nprimary = '#ff0000'\nvariables = 3\n",
                                 "[variables] must be a table"),
}


@pytest.mark.parametrize("name", sorted(BAD_THEMES))
def test_bad_theme_file_is_refused_with_the_file_and_the_problem(tmp_path, name):
    content, words = BAD_THEMES[name]
    path = make(tmp_path, name, content)
    with pytest.raises(ValueError) as refused:
        theme_from_file(path)
    assert name in str(refused.value) and words in str(refused.value), str(refused.value)


def test_unreadable_theme_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="gone.toml: cannot be read"):
        theme_from_file(tmp_path / "gone.toml")
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(ValueError, match="folder.toml: cannot be read"):
        theme_from_file(tmp_path / "folder.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(ValueError, match="binary.toml: not valid TOML"):
        theme_from_file(binary)


def test_bad_theme_files_are_each_reported_once_and_the_good_ones_still_load(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    user = tmp_path / "lrtui" / "themes"
    user.mkdir(parents=True)
    for name, (content, _) in BAD_THEMES.items():
        (user / name).write_text(content)
    (user / "mine.toml").write_text("name = 'mine'\nprimary = '#123456'\n")
    found = load_themes()
    names = {theme.name for theme in found.themes}
    assert {"lesson", "paper", "mine"} <= names, names
    assert len(found.problems) == len(BAD_THEMES), found.problems
    for name in BAD_THEMES:
        assert sum(name in problem for problem in found.problems) == 1, (name, found.problems)
