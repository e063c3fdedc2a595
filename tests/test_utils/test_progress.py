"""The progress line: silent for a quick job, then counts, rate and ETA."""
import io

from mmsoco.utils import progress as progress_mod
from mmsoco.utils.progress import Progress, fmt_seconds


def test_progress_line_counts_and_eta(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(progress_mod.time, 'monotonic', lambda: now[0])
    out = io.StringIO()
    p = Progress(10, 'probe', 'images', every=10, first=5, stream=out)
    now[0] += 2
    p.update()  # 2 s: before the first line
    assert out.getvalue() == ''
    now[0] += 4  # 6 s, 2 images: 3 s per image, 8 left
    p.update()
    assert out.getvalue() == ('probe: 2/10 images (20%), 3.0 s per image, '
                              'elapsed 0m06s, ETA 0m24s\n')
    now[0] += 1
    p.update()  # 1 s after the last line: silent
    assert out.getvalue().count('\n') == 1
    for _ in range(7):
        now[0] += 0.5
        p.update()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].startswith('probe: 10/10 images '
                                                    '(100%)')
    assert lines[-1].endswith('ETA 0m00s')


def test_quick_job_stays_silent(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_mod.time, 'monotonic', lambda: now[0])
    out = io.StringIO()
    p = Progress(3, 'x', every=10, first=5, stream=out)
    for _ in range(3):
        now[0] += 1
        p.update()
    assert out.getvalue() == ''


def test_fmt_seconds():
    assert fmt_seconds(65) == '1m05s'
    assert fmt_seconds(3 * 3600 + 61) == '3h01m01s'
