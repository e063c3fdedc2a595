"""A checkpoint with a pickled payload given to the tools: one line naming
the type, exit status 2, and the payload never runs."""
import subprocess
import sys

from ..helpers import (EXPORT, PAYLOAD_TYPE, REPO, TOY_CONFIG,
                       assert_one_line_error, run_train,
                       write_payload_checkpoint)


def test_resume_from_a_payload(tmp_path, tool_env):
    marker = tmp_path / 'payload-ran'
    path = write_payload_checkpoint(tmp_path / 'iter_3.pth', marker)
    proc = run_train([TOY_CONFIG, '--work-dir', str(tmp_path / 'w'),
                      '--resume', path], tool_env)
    assert_one_line_error(proc, path, PAYLOAD_TYPE)
    assert proc.returncode == 2
    assert not marker.exists()


def test_export_of_a_payload(tmp_path, tool_env):
    marker = tmp_path / 'payload-ran'
    path = write_payload_checkpoint(tmp_path / 'iter_3.pth', marker)
    proc = subprocess.run(
        [sys.executable, EXPORT, path, str(tmp_path / 'out.pth')], cwd=REPO,
        env=tool_env, capture_output=True, text=True, timeout=300)
    assert_one_line_error(proc, path, PAYLOAD_TYPE)
    assert proc.returncode == 2
    assert not marker.exists() and not (tmp_path / 'out.pth').exists()
