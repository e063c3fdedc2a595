"""StepClock: each step's command runs in the given folder and is timed;
a failed step ends the job with the last lines of its output."""
import os
import sys

import pytest

from mmsoco.utils.step_clock import StepClock, cpu_seconds


def test_steps_are_run_timed_and_tabled(tmp_path, capsys):
    clock = StepClock('[job]', str(tmp_path))
    out = clock.run('where', [sys.executable, '-c',
                              'import os; print(os.getcwd())'], os.environ)
    assert out.strip() == str(tmp_path)
    assert capsys.readouterr().out.startswith('[job] where: -c import os')
    (step, ) = clock.steps
    assert step['step'] == 'where' and step['wall'] > 0
    assert 0 <= step['cpu'] <= cpu_seconds()
    table = clock.table().splitlines()
    assert table[:2] == ['| step | wall s | CPU s | load (1 min) |',
                         '|---|---|---|---|']
    assert table[2].startswith('| where | ') and len(table) == 3


def test_a_failed_step_ends_the_job_with_its_tail(tmp_path):
    clock = StepClock('[job]', str(tmp_path))
    script = 'for i in range(20): print(i)\nraise SystemExit(3)'
    with pytest.raises(SystemExit) as e:
        clock.run('count', [sys.executable, '-c', script], os.environ)
    msg = str(e.value)
    assert msg.startswith('error: count failed (exit 3):\n5\n6\n')
    assert msg.endswith('\n19') and len(msg.splitlines()) == 16
