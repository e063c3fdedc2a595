"""benchmarks/mini_world.py end to end on a tiny world (that it runs and
prints its last line, not that pretraining gains: 2 iterations cannot)."""
import os.path as osp
import subprocess
import sys

import pytest

from mmsoco.datasets.mini_world import STAMPS_PACKAGE, STAMPS_ROOT

from ..helpers import REPO, load_script


@pytest.mark.skipif(not osp.isdir(STAMPS_ROOT),
                    reason=f'apt-get install {STAMPS_PACKAGE}')
def test_quick_benchmark_runs_on_a_tiny_world(tmp_path, tool_env,
                                              photo_folder):
    world = tmp_path / 'world'
    subprocess.run([sys.executable, osp.join(REPO, 'tools',
                                             'make_mini_world.py'),
                    str(world), '--images', '8', '--train', '6', '--val',
                    '6', '--size', '64', '--backgrounds', photo_folder],
                   env=tool_env, check=True, capture_output=True)
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'benchmarks', 'mini_world.py'),
         '--quick', '--world', str(world), '--work-dir',
         str(tmp_path / 'work'), '--iters', '2', '--batch', '4',
         '--draws', '2', '--workers', '0'],
        env=tool_env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith('mini-world: soco probe@5 '), last
    assert 'detection AUC not run (--quick)' in last
    assert (tmp_path / 'work' / 'probe_vs_iterations.png').is_file()
    assert (tmp_path / 'work' / 'soco_seed0' / 'exports.json').is_file()


def test_bad_input_is_refused_before_anything_is_recorded(tmp_path):
    """A missing --world ends in one line and leaves the work dir without
    settings (a rerun with the right world is not refused); a
    non-positive --lr-factor is an argument error."""
    bench = load_script(osp.join(REPO, 'benchmarks', 'mini_world.py'))
    work = tmp_path / 'work'
    with pytest.raises(SystemExit, match='--world .*missing has no '
                       'world.json'):
        bench.main(['--world', str(tmp_path / 'missing'), '--work-dir',
                    str(work)])
    assert not (work / 'settings.json').exists()
    for bad in ('0', '-1', 'nan'):
        with pytest.raises(SystemExit) as e:
            bench.parse_args(['--lr-factor', bad])
        assert e.value.code == 2
