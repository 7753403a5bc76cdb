"""The Keras channel without Keras: folders, permissions, rows, trimming, commands, `lrtui watch`.

A `Publisher` driven by hand stands in for the training process here: these
tests are about the channel and the headless command; the real Keras
trainings are in tests/functional_tests/keras.
"""

from __future__ import annotations

import json
import math
import os
import pwd
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

from lrtui.commands.main import main
from lrtui.integrations.keras.channel import Channel, ChannelError, JsonLines, RowTail, clean_stale, list_trainings
from lrtui.integrations.keras.publisher import Publisher
from lrtui.integrations.keras.rows import BatchLosses, Row, RowHistory, decode_row
from lrtui.locations import trainings_dir


@pytest.fixture
def root(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    return trainings_dir()


def constant_lr(steps):
    return np.full(len(steps), 0.01)


def publish(publisher: Publisher, first: int, count: int, per_epoch: int = 100) -> None:
    for step in range(first, first + count):
        publisher.publish(step, step // per_epoch, step % per_epoch,
                          {"loss": 1.0 / (1 + step % per_epoch), "mae": 0.5})


def wait_until(predicate, timeout: float = 10.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return value


def finished_training(name: str = "exp", rows: int = 300, **options) -> Channel:
    channel = Channel.create(name)
    publisher = Publisher(channel, constant_lr, {"model": "m"}, **options)
    publisher.start()
    publish(publisher, 0, rows)
    publisher.event(rows - 1, "epoch", "epoch 3 done", epoch=2, logs={"val_loss": 0.25})
    publisher.close("finished")
    return channel


# -- folders and files -------------------------------------------------------------------
def test_the_folder_is_private_and_in_the_runtime_folder(root):
    channel = finished_training()
    assert channel.folder.parent == root and str(root).endswith("lrtui/trainings")
    for folder in (root, channel.folder):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    names = sorted(os.listdir(channel.folder))
    assert {"state.json", "events.jsonl", "commands.jsonl", "rows-000000.jsonl"} <= set(names)
    for name in names:
        assert stat.S_IMODE(os.stat(channel.folder / name).st_mode) == 0o600, name


def test_without_a_runtime_folder_the_state_folder_is_used(tmp_path, monkeypatch):
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert trainings_dir() == tmp_path / "state" / "lrtui" / "trainings"


def test_a_world_readable_channel_is_refused(root, capsys):
    channel = finished_training()
    os.chmod(channel.folder, 0o755)
    with pytest.raises(ChannelError, match="group or others.*mode 755"):
        Channel.attach("exp")
    assert main(["watch", "exp", "--format", "jsonl"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "refusing" in err
    os.chmod(channel.folder, 0o700)
    os.chmod(channel.state_path, 0o644)  # one file is enough to refuse it
    with pytest.raises(ChannelError, match="state.json can be accessed by group or others"):
        channel.state()


@pytest.mark.skipif(os.getuid() != 0, reason="giving a folder to another user takes root")
def test_a_channel_of_another_user_is_refused(root, capsys):
    channel = finished_training()
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(channel.folder, nobody, -1)
    assert main(["watch", "exp", "--stop"]) == 2
    err = capsys.readouterr().err
    assert "belongs to nobody, not to you" in err and len(err.splitlines()) == 1
    assert main(["watch"]) == 0  # the list says why instead of failing
    assert "refused" in capsys.readouterr().out
    # A training of that name starts beside it rather than writing into it.
    with pytest.raises(ChannelError, match="belongs to nobody"):
        Channel.create("exp")
    os.chown(root, nobody, -1)
    with pytest.raises(ChannelError, match="belongs to nobody"):
        Channel.create("other")


def test_a_symbolic_link_is_refused(root, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    root.mkdir(parents=True, mode=0o700)
    os.symlink(elsewhere, root / "exp")
    with pytest.raises(ChannelError, match="symbolic link"):
        Channel.attach("exp")


def test_names_cannot_leave_the_folder(root, capsys):
    for name in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(ChannelError, match="not a training name"):
            Channel.create(name)
    assert main(["watch", "../etc", "--pause"]) == 2
    assert "not a training name" in capsys.readouterr().err


# -- rows ----------------------------------------------------------------------------------
def test_viewers_read_every_row_from_their_own_offset(root):
    channel = Channel.create("exp")
    publisher = Publisher(channel, constant_lr, segment_bytes=4000)
    publisher.start()
    early, seen = RowTail(Channel.attach("exp")), []
    for chunk in range(20):
        publish(publisher, chunk * 50, 50)
        wait_until(lambda: publisher.collected == (chunk + 1) * 50, what="the collector")
        seen += early.read()
    publisher.close("finished")
    seen += early.read()
    late = RowTail(Channel.attach("exp")).read()
    assert [r["step"] for r in seen] == list(range(1000)) == [r["step"] for r in late]
    assert len(channel.segments()) > 3  # the rows went through several segments
    assert seen[7] == {"step": 7, "epoch": 0, "batch": 7, "lr": 0.01,
                       "logs": {"loss": 1.0 / 8, "mae": 0.5}}


def test_old_detail_is_dropped_first_and_the_curve_stays_complete(root):
    channel = Channel.create("exp")
    publisher = Publisher(channel, constant_lr, segment_bytes=3000, max_detail_bytes=9000)
    publisher.start()
    live, seen = RowTail(channel), []
    for chunk in range(30):
        publish(publisher, chunk * 40, 40)
        wait_until(lambda: publisher.collected == (chunk + 1) * 40, what="the collector")
        seen += live.read()  # a viewer keeping up reads segments even after they are trimmed
    publisher.close("finished")
    seen += live.read()
    assert [r["step"] for r in seen] == list(range(1200))
    state = channel.state()
    late = RowTail(channel).read()
    assert late[0]["step"] > 0 and late[-1]["step"] == 1199
    assert state["dropped"] == late[0]["step"]  # the count of the rows no longer on disk
    # A late viewer: the saved curve, then the rows that are left, equals the whole curve.
    rebuilt = RowHistory()
    rebuilt.load_json(json.loads(channel.history.read_text()))
    rebuilt.add([decode_row(r) for r in late])
    whole = RowHistory()
    whole.add([decode_row(r) for r in seen])
    a, b = rebuilt.view(), whole.view()
    assert a.span == b.span and np.array_equal(a.low, b.low) and np.array_equal(a.high, b.high)


def test_the_training_side_never_waits(root):
    channel = Channel.create("exp")
    publisher = Publisher(channel, constant_lr, max_pending=1000)
    # No threads started: nothing drains the deque, as with a collector that is far behind.
    started = time.perf_counter()
    publish(publisher, 0, 5000)
    assert time.perf_counter() - started < 1.0
    assert len(publisher.pending) == 1000 and publisher.overflowed == 4000
    assert publisher.pending[0][0] == 4000  # the oldest went first


def test_batch_losses_come_back_from_keras_running_means():
    losses = [3.0, 1.0, 2.0, 0.5, 4.0, 1.5]
    means = np.cumsum(losses[:4]) / np.arange(1, 5)
    rows = [Row(k, 0, k, 0.1, {"loss": float(m)}) for k, m in enumerate(means)]
    rows += [Row(4, 1, 0, 0.1, {"loss": 4.0}), Row(5, 1, 1, 0.1, {"loss": 2.75})]
    recover = BatchLosses()
    assert [recover.of(r) for r in rows] == pytest.approx(losses)


# -- commands, liveness, the list ------------------------------------------------------------
def test_commands_reach_the_inbox_and_bad_ones_are_refused(root):
    channel = Channel.create("exp")
    publisher = Publisher(channel, constant_lr)
    publisher.start()
    viewer = Channel.attach("exp")
    good = viewer.send("scale_lr", value=0.5)
    with open(channel.commands, "a") as commands:  # what an older or broken viewer might write
        commands.write(json.dumps({"id": "x1", "command": "set_lr", "value": -1}) + "\n")
    wait_until(lambda: publisher.inbox, what="the command")
    assert publisher.inbox[0]["id"] == good and publisher.arrived.is_set()
    events = JsonLines(channel.events)
    refused = wait_until(lambda: [e for e in events.read() if e.get("id") == "x1"], what="a refusal")
    assert refused[0]["kind"] == "refused" and "above 0" in refused[0]["text"]
    publisher.close("finished")


def test_a_dead_process_is_gone_and_its_history_stays_readable(root, capsys):
    channel = finished_training()
    state = channel.state()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    state.update(state="training", pid=int(dead))
    channel.state_path.write_text(json.dumps(state))
    assert channel.training().status == "gone"
    assert main(["watch", "exp", "--format", "jsonl"]) == 1  # it ended without finishing
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len([r for r in lines if "step" in r]) == 300
    assert lines[-1]["summary"]["status"] == "gone"
    assert main(["watch", "exp", "--pause"]) == 1
    assert "gone" in capsys.readouterr().err


def test_list_and_clean_up(root, capsys):
    assert main(["watch"]) == 0
    assert "no trainings yet" in capsys.readouterr().out
    finished_training("old")
    finished_training("new")
    assert main(["watch"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["name", "pid", "status", "step"]
    assert {line.split()[0] for line in out[1:]} == {"old", "new"}
    assert all("finished" in line and " 299 " in line for line in out[1:])
    old = Channel.attach("old")
    state = old.state()
    state["updated"] -= 8 * 24 * 3600
    old.state_path.write_text(json.dumps(state))
    assert clean_stale() == ["old"]
    assert [t.name for t in list_trainings()] == ["new"]


def test_a_live_name_is_not_taken_over(root):
    channel = finished_training("exp")
    state = channel.state()
    parent = os.getppid()  # alive, and not this process
    state.update(state="training", pid=parent, start_ticks=None)
    channel.state_path.write_text(json.dumps(state))
    assert Channel.create("exp").name == "exp-2"
    assert Channel.attach("exp").state()["pid"] == parent


# -- the jsonl printout --------------------------------------------------------------------
def test_jsonl_rows_events_and_summary(root, capsys):
    channel = Channel.create("exp")
    publisher = Publisher(channel, constant_lr)
    publisher.start()
    publisher.publish(0, 0, 0, {"loss": 2.0, "mae": math.inf})
    publisher.publish(1, 0, 1, {"loss": math.nan, "mae": 1.0})
    publisher.event(1, "epoch", "epoch 1 done", epoch=0, logs={"val_loss": 0.5})
    publisher.close("finished")
    assert main(["watch", "exp", "--format", "jsonl"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0] == {"step": 0, "epoch": 0, "batch": 0, "lr": 0.01, "loss": 2.0, "mae": None}
    assert lines[1]["loss"] is None
    assert lines[2]["event"]["logs"] == {"val_loss": 0.5}
    summary = lines[-1]["summary"]
    assert summary["status"] == "finished" and summary["rows"] == 2 and summary["epochs"] == 1


@pytest.mark.parametrize("argv, message", [
    (["watch", "exp", "--set-lr", "abc"], "'abc' is not a number"),
    (["watch", "exp", "--scale-lr", "-2"], "must be a number above 0"),
    (["watch", "exp", "--set-lr", "nan"], "must be a number above 0"),
    (["watch", "exp", "--save-weights", "w.h5"], "*.weights.h5"),
    (["watch", "--pause"], "give its NAME"),
    (["watch", "missing", "--stop"], "no training named 'missing'"),
])
def test_bad_input_is_one_line_and_exit_2(root, capsys, argv, message):
    finished_training("exp")
    try:
        code = main(argv)
    except SystemExit as exit:  # argparse's own refusal
        code = exit.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert Channel.attach("exp").commands.read_text() == ""  # nothing was sent


def test_headless_watch_imports_neither_textual_nor_tensorflow(root):
    finished_training("exp")
    probe = ("import sys, io, contextlib; from lrtui.commands.main import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             "    codes = [main(['watch']), main(['watch', 'exp', '--format', 'jsonl'])]\n"
             "bad = sorted({m.split('.')[0] for m in sys.modules}\n"
             "             & {'textual', 'textual_plotext', 'plotext', 'tensorflow', 'keras'})\n"
             "print(codes, bad)\n"
             "sys.exit(1 if bad or any(codes) else 0)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                            env={**os.environ})
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
