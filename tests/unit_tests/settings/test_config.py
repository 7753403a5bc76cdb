import pytest

from lrtui.commands.main import build_parser, settings_from
from lrtui.settings.fields import PARSERS, SettingError, Settings, parse_learning_rate

BAD_LRS = ["abc", "-1", "0", "nan", "inf", "1e-400", "1e999", "1_0", "", "  ", "0x10", "1e5"]


@pytest.mark.parametrize("text", BAD_LRS)
def test_bad_learning_rates_are_refused_with_a_message(text):
    with pytest.raises(SettingError) as error:
        parse_learning_rate(text)
    assert str(error.value).startswith("learning rate:")


@pytest.mark.parametrize("text, value", [("0.1", 0.1), ("1e-3", 1e-3), (" 2 ", 2.0), (".5", 0.5)])
def test_good_learning_rates(text, value):
    assert parse_learning_rate(text) == value


@pytest.mark.parametrize("field, text", [("steps", "-5"), ("steps", "1.5"), ("n", "1"),
                                         ("noise", "-0.1"), ("seed", "x"), ("speed", "fast"),
                                         ("log_every", "0"), ("init_w", "nan"), ("device", "tpu")])
def test_every_field_refuses_bad_text(field, text):
    with pytest.raises(SettingError):
        PARSERS[field](text)


def test_command_line_options_share_names_with_the_app_and_run():
    parser = build_parser()
    app = settings_from(parser.parse_args(["--lr", "0.5", "--steps", "10", "--init-w", "1"]))
    run = settings_from(parser.parse_args(["run", "--lr", "0.5", "--steps", "10", "--init-w", "1"]))
    assert app == run == Settings(learning_rate=0.5, steps=10, init_w=1.0)
    # An option before the subcommand is kept, not overwritten by the subcommand's default.
    assert settings_from(parser.parse_args(["--lr", "0.5", "run"])).learning_rate == 0.5


def test_bad_option_exits_2_with_one_line(capsys):
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["run", "--lr", "nan"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "learning rate" in err


def test_no_stop_is_a_switch_for_the_app_run_and_compare_and_a_config_key(tmp_path):
    from lrtui.commands.serve import app_command
    from lrtui.settings.config_file import read_config
    from lrtui.settings.options import command_line

    parser = build_parser()
    assert settings_from(parser.parse_args([])).no_stop is False
    for argv in (["--no-stop"], ["run", "--no-stop"], ["--no-stop", "run"],
                 ["compare", "--lr", "0.1", "0.9", "--no-stop"]):
        assert settings_from(parser.parse_args(argv)).no_stop is True, argv
    config = tmp_path / "lrtui.toml"
    config.write_text("no-stop = true\n")
    assert read_config(config) == {"no_stop": True}
    command = app_command(Settings(no_stop=True), 15.0)
    assert command.endswith("--fps 15.0 --no-stop")
    assert command_line(Settings(no_stop=True), "lrtui", init_w=0.5) == "lrtui --init-w 0.5 --no-stop"
    assert "--no-stop" not in app_command(Settings(), 15.0)
