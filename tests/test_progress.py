"""Long library calls show their progress: one line per step on stderr outside a terminal
(a notebook, a log), a callback, or nothing."""

from __future__ import annotations

from sim.progress import StepProgress


def test_lines_outside_a_terminal(capsys):
    with StepProgress(True, 3, "work") as bar:
        for i in range(3):
            bar.within(0.5)  # no bar here: nothing printed between steps
            bar.advance(f"step {i}")
    captured = capsys.readouterr()
    assert captured.out == ""  # stdout stays free for results (and --json)
    lines = captured.err.splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "work 1/3: step 0", "work 2/3: step 1", "work 3/3: step 2"]
    assert all(line.endswith(" s)") for line in lines)  # elapsed seconds


def test_callback_gets_finished_and_total(capsys):
    seen = []
    with StepProgress(lambda done, total: seen.append((done, total)), 2, "work") as bar:
        bar.advance()
        bar.advance()
    assert seen == [(1, 2), (2, 2)]
    assert capsys.readouterr().err == ""


def test_false_shows_nothing(capsys):
    with StepProgress(False, 2, "work") as bar:
        bar.advance("a")
    assert capsys.readouterr() == ("", "")


def test_bar_only_mode_prints_no_lines(capsys):
    # the sweep's mode: the bar (its final state outside a terminal), never a line per run
    with StepProgress(True, 2, "runs", failed_column=True, stderr=False, lines=False) as bar:
        bar.advance(failed=1)
        bar.advance(failed=1)
    out = capsys.readouterr().out
    assert "2/2" in out and "1 failed" in out
