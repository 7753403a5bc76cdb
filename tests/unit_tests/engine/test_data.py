import numpy as np
import pytest

from lrtui.engine.data import DataError, generate, load_csv


def test_generate_is_seeded_and_follows_the_recipe():
    a = generate(1000, 0, 1, 0.1, 0.5, 0.0, 3)
    b = generate(1000, 0, 1, 0.1, 0.5, 0.0, 3)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_allclose(a.y, 0.1 * a.x + 0.5, atol=1e-6)
    assert a.x.min() >= 0 and a.x.max() <= 1
    assert not np.array_equal(a.x, generate(1000, 0, 1, 0.1, 0.5, 0.0, 4).x)


def test_csv_with_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("y,x\n1,0\n3,1\n5,2\n")
    data = load_csv(path)
    np.testing.assert_array_equal(data.x, [0, 1, 2])
    np.testing.assert_array_equal(data.y, [1, 3, 5])


def test_csv_without_header(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("0,1\n1,3\n")
    assert load_csv(path).n == 2


@pytest.mark.parametrize("content, problem", [
    ("", "is empty"),
    ("x,y\n", "is empty"),
    ("x\n1\n2\n", "one"),
    ("1\n2\n", "two columns"),
    ("x,y\n1,2\n3,abc\n", "row 3: y 'abc' is not a number"),
    ("x,y\n1,2\nnan,3\n", "row 3: x 'nan' is not a finite number"),
    ("x,y\n1,2\n", "only one data row"),
])
def test_bad_csv_names_the_file_and_the_problem(tmp_path, content, problem):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(DataError) as error:
        load_csv(path)
    assert str(path) in str(error.value) and problem in str(error.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "missing.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_csv(tmp_path)
