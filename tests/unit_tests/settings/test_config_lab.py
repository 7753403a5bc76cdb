"""Settings of the learning-rate laboratory: strict parsing, shared by the pane and every command."""

import pytest

from lrtui.commands.main import build_parser, settings_from
from lrtui.settings.fields import PARSERS, SettingError, Settings, as_text


@pytest.mark.parametrize("field, text", [
    ("optimizer", "lion"), ("optimizer", ""), ("schedule", "linear"), ("momentum", "1"),
    ("momentum", "-0.1"), ("beta_1", "nan"), ("beta_2", "1.5"), ("rho", "x"), ("epsilon", "0"),
    ("epsilon", "-1e-7"), ("decay_steps", "0"), ("decay_rate", "0"), ("decay_rate", "1e9"),
    ("staircase", "maybe"), ("boundaries", "150,100"), ("boundaries", "10,,x"), ("boundaries", ""),
    ("warmup_steps", "-1"), ("alpha", "1"), ("cycle_steps", "0"), ("cycle_ratio", "0.5"),
    ("patience", "0"), ("min_delta", "1"), ("batch_size", "-3"), ("batch_size", "half"),
])
def test_lab_fields_refuse_bad_text_with_a_message_naming_the_field(field, text):
    with pytest.raises(SettingError) as error:
        PARSERS[field](text)
    # The message starts with the field's name, as the pane and the command line show it.
    assert str(error.value).startswith(field.replace("_", " ") + ":"), str(error.value)


@pytest.mark.parametrize("field, text, value", [
    ("optimizer", " Adam ", "adam"), ("schedule", "inverse-time", "inverse_time"),
    ("staircase", "yes", True), ("staircase", "off", False), ("boundaries", "100, 150", (100, 150)),
    ("batch_size", "full", 0), ("batch_size", "32", 32), ("epsilon", "1e-8", 1e-8),
])
def test_lab_fields_accept_good_text(field, text, value):
    assert PARSERS[field](text) == value


@pytest.mark.parametrize("field", ["optimizer", "schedule", "staircase", "boundaries", "batch_size",
                                   "epsilon", "momentum", "decay_rate"])
def test_what_a_field_shows_parses_back_to_the_same_value(field):
    value = getattr(Settings(), field)
    assert PARSERS[field](as_text(field, value)) == value


def test_the_app_run_and_find_lr_share_the_lab_options():
    args = ["--optimizer", "adam", "--beta-1", "0.8", "--schedule", "cosine", "--warmup-steps", "5",
            "--batch-size", "16", "--boundaries", "10,20"]
    parser = build_parser()
    app = settings_from(parser.parse_args(args))
    run = settings_from(parser.parse_args(["run", *args]))
    find = settings_from(parser.parse_args(["find-lr", *args]))
    assert app == run == find == Settings(optimizer="adam", beta_1=0.8, schedule="cosine",
                                          warmup_steps=5, batch_size=16, boundaries=(10, 20))


@pytest.mark.parametrize("command", [[], ["run"], ["find-lr"]])
def test_help_prints_every_option_with_its_default(capsys, command):
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args([*command, "--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    assert "--optimizer" in out and "--batch-size" in out and "(default 0.1)" in out
