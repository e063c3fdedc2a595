"""tools/generate_proposals.py as a user meets it: parameters checked in
one line, Ctrl-C in one line, odd files (a FIFO, a non-UTF-8 name) never
stop the run, changed images caught, suggested commands that work."""
import json
import os
import os.path as osp
import shlex
import shutil
import signal
import subprocess
import sys
import time

import pytest

from mmsoco.proposals import ProposalStore, generate_store

from ..helpers import REPO, load_script, sigint_default
from ..proposals_data import tiny_folder

TOOL = osp.join(REPO, 'tools', 'generate_proposals.py')


@pytest.fixture(scope='module')
def tool():
    return load_script(TOOL)


@pytest.fixture
def images(tmp_path):
    return tiny_folder(tmp_path / 'images', n=4)


@pytest.mark.parametrize('flags, needle', [
    (['--scale', '-5'], '--scale (scale) must be > 0, got -5.0'),
    (['--sigma', '0'], '--sigma (sigma) must be > 0, got 0.0'),
    (['--min-size', '-1'], '--min-size (min_size) must be >= 0, got -1'),
    (['--chunk-size', '0'], '--chunk-size (chunk_size) must be >= 1'),
    (['--workers', '0'], '--workers must be >= 1, got 0'),
    (['--max-pixels', '100'], '--max-pixels (max_pixels) must be >= 4096'),
    (['--max-chunks', '0'], '--max-chunks (max_chunks) must be >= 1'),
    (['--shard', '2/2'], '--shard I/N needs 0 <= I < N'),
    (['--shard', 'x'], '--shard takes I/N'),
    (['--sigma', 'inf'], '--sigma (sigma) must be finite, got inf'),
    (['--sigma', 'nan'], '--sigma (sigma) must be > 0, got nan'),
    (['--scale', 'inf'], '--scale (scale) must be finite, got inf'),
    (['--image-timeout', 'nan'], '--image-timeout must be a number > 0'),
])
def test_parameters_are_checked_in_one_line(tool, images, tmp_path, capsys,
                                            flags, needle):
    out = str(tmp_path / 'out')
    assert tool.main([images, out] + flags) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f'error: {needle}'] or (
        len(lines) == 1 and lines[0].startswith(f'error: {needle}')), lines
    assert not osp.exists(out) and not osp.exists(out + '.work')


def test_a_bad_thread_setting_is_one_line(tool, images, tmp_path, capsys,
                                         monkeypatch):
    monkeypatch.setenv('MMSOCO_NUM_THREADS', 'two')
    out = str(tmp_path / 'out')
    assert tool.main([images, out]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: MMSOCO_NUM_THREADS='two' is not a positive integer"), lines
    assert not osp.exists(out) and not osp.exists(out + '.work')


def test_odd_files_never_stop_or_hang_the_run(tool, images, tmp_path,
                                              capsys):
    """A FIFO named x.jpg and a file whose name is not UTF-8 are listed as
    bad files with their reason; the run completes."""
    os.mkfifo(osp.join(images, 'x.jpg'))
    good = open(osp.join(images, 'a', 'img0.jpg'), 'rb').read()
    with open(osp.join(os.fsencode(images), b'caf\xe9.jpg'), 'wb') as f:
        f.write(good)
    out = str(tmp_path / 'out')
    r = subprocess.run([sys.executable, TOOL, images, out, '--workers', '2'],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    store = ProposalStore(out)
    report = json.load(open(osp.join(out, 'report.json')))
    bad = {b['key']: b['reason'] for b in report['bad_files']}
    assert 'not a regular file' in bad['x.jpg']
    assert 'not valid UTF-8' in bad['caf\ufffd.jpg']
    assert 'corrupt.jpg' in bad and len(store) == 4
    assert 'caf\ufffd.jpg\t' in open(osp.join(out, 'bad_files.txt'),
                                     encoding='utf-8').read()


@pytest.mark.parametrize('sig', ['SIGINT', 'SIGTERM'])
def test_ctrl_c_says_how_to_resume_in_one_line(images, tmp_path, sig):
    """Ctrl-C (SIGINT to the process group, workers included) or SIGTERM
    (kill, scancel) to the tool."""
    out = str(tmp_path / 'out')
    cmd = [sys.executable, TOOL, images, out, '--chunk-size', '1',
           '--workers', '2']
    # a terminal's Ctrl-C reaches the whole process group, workers too
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=sigint_default)
    deadline = time.time() + 120
    while time.time() < deadline and not (
            osp.isdir(out + '.work') and any(
                n.startswith('chunk-') for n in os.listdir(out + '.work'))):
        time.sleep(0.02)
    if sig == 'SIGINT':
        os.killpg(proc.pid, signal.SIGINT)
    else:
        os.kill(proc.pid, signal.SIGTERM)
    err = proc.communicate(timeout=60)[1]
    if proc.returncode == 0:
        pytest.skip('the run finished before Ctrl-C')
    lines = [ln for ln in err.splitlines() if not ln.startswith('proposals:')]
    assert proc.returncode == 130 and len(lines) == 1, err
    assert lines[0] == (
        f'interrupted: finished chunks are kept in {out}.work; resume with '
        f'the same command: python tools/generate_proposals.py {images} '
        f'{out} --chunk-size 1 --workers 2')
    assert 'Traceback' not in err
    assert osp.exists(out + '.work') and not osp.exists(out + '.lock')


@pytest.mark.parametrize('delay', [0.3, 0.6])
def test_ctrl_c_while_the_imports_load_is_one_line(images, tmp_path, delay):
    """Ctrl-C in the first seconds, while torch and mmsoco are imported:
    one line, exit status 130, nothing written."""
    out = str(tmp_path / 'out')
    proc = subprocess.Popen([sys.executable, TOOL, images, out],
                            stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=sigint_default)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)
    err = proc.communicate(timeout=60)[1]
    lines = [ln for ln in err.splitlines() if not ln.startswith('proposals:')]
    assert proc.returncode == 130 and len(lines) == 1, err
    assert lines[0].startswith('interrupted') and 'Traceback' not in err
    if 'while starting' in lines[0]:
        assert lines[0] == ('interrupted while starting, before any work: '
                            'nothing was written; rerun: python tools/'
                            f'generate_proposals.py {images} {out}')
        assert not osp.lexists(out) and not osp.lexists(out + '.work')


def _no_space(path):
    """What a full disk does: part of the file, then ENOSPC."""
    import errno
    with open(path if str(path).endswith(('.npy', '.npz')) else
              str(path) + '.npy', 'wb') as f:
        f.write(b'\x93NUMPY partial')
    raise OSError(errno.ENOSPC, 'No space left on device')


def _entries(folder):
    return sorted(os.listdir(folder))


def test_no_space_while_writing_the_store(tool, images, tmp_path, capsys,
                                          monkeypatch):
    from mmsoco.proposals.store import writer
    out = str(tmp_path / 'out')
    with monkeypatch.context() as m:
        m.setattr(writer.np, 'save', lambda path, arr: _no_space(path))
        assert tool.main([images, out, '--chunk-size', '2']) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    lines = [ln for ln in lines if not ln.startswith('proposals:')]
    assert lines == [
        f'error: No space left on device while making {out}; no partial '
        f'file is left under a final name and finished chunks are kept in '
        f'{out}.work: free space (or fix the disk) and rerun the same '
        f'command: python tools/generate_proposals.py {images} {out} '
        '--chunk-size 2']
    # no store (complete or partial), no temporary folder: only the chunks
    assert _entries(tmp_path) == ['images', 'out.work']
    # 5 files (one corrupt) in chunks of 2
    assert sum(n.startswith('chunk-') for n in _entries(out + '.work')) == 3
    assert tool.main([images, out, '--chunk-size', '2']) == 0
    assert len(ProposalStore(out)) == 4
    assert _entries(tmp_path) == ['images', 'out']


def test_no_space_while_writing_a_chunk(tool, images, tmp_path, capsys,
                                        monkeypatch):
    from mmsoco.proposals.runner import workdir
    out = str(tmp_path / 'out')
    with monkeypatch.context() as m:
        m.setattr(workdir.np, 'savez', lambda path, **kw: _no_space(path))
        assert tool.main([images, out, '--chunk-size', '2']) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines()
             if not ln.startswith('proposals:')]
    assert len(lines) == 1 and lines[0].startswith(
        f'error: No space left on device while making {out};'), err
    assert not osp.lexists(out)
    # the half-written chunk is gone: only the manifest stays
    assert _entries(out + '.work') == ['manifest.json']
    assert tool.main([images, out, '--chunk-size', '2']) == 0
    assert len(ProposalStore(out)) == 4


def test_image_stats_and_changed_images(tool, images, tmp_path, capsys):
    out = str(tmp_path / 'out')
    assert tool.main([images, out, '--chunk-size', '2']) == 0
    store = ProposalStore(out)
    assert store.has_image_stats
    for i, key in enumerate(store.keys()):
        st = os.stat(osp.join(images, key))
        import cv2
        h, w = cv2.imread(osp.join(images, key)).shape[:2]
        assert store.image_stats_at(i).tolist() == [w, h, st.st_size,
                                                    st.st_mtime_ns]
    capsys.readouterr()
    # an image rewritten smaller in place: the rerun says which, and gives
    # the command that recomputes the store made for these images
    path = osp.join(images, 'b', 'img1.jpg')
    shutil.copy(osp.join(images, 'a', 'img0.jpg'), path)
    assert tool.main([images, out, '--chunk-size', '2']) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        f'error: output {out} is a finished proposal store, but 1 of its '
        'images changed since it was made (e.g. b/img1.jpg: size ')
    fix = err[0].split('recompute it with: ')[1]
    assert fix == (f'python tools/generate_proposals.py {images} {out} '
                   '--chunk-size 2 --overwrite')
    assert tool.main(shlex.split(fix)[2:]) == 0  # the command works
    store = ProposalStore(out)
    i = list(store.keys()).index('b/img1.jpg')
    assert store.image_stats_at(i)[2] == os.path.getsize(path)
    # only the modification time changed: caught too
    os.utime(path, ns=(time.time_ns(), time.time_ns() - 10**9))
    with pytest.raises(ValueError, match='b/img1.jpg: modified since'):
        generate_store(images, out, chunk_size=2, progress=False)


def test_suggested_commands_keep_other_stores(tool, images, tmp_path,
                                              capsys):
    """A store made for other images is never offered to --overwrite; the
    message names a free output path instead."""
    out = str(tmp_path / 'out')
    generate_store(images, out, progress=False)
    before = {n: open(osp.join(out, n), 'rb').read()
              for n in os.listdir(out)}
    other = tiny_folder(tmp_path / 'other', n=2, bad=False)
    capsys.readouterr()
    assert tool.main([other, out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'made for other images, so it is kept' in err[0]
    assert '--overwrite' not in err[0]
    assert err[0].endswith(f'choose another output path: python tools/'
                           f'generate_proposals.py {other} {out}-2')
    fix = err[0].split('choose another output path: ')[-1]
    assert tool.main(shlex.split(fix)[2:]) == 0  # the command works
    assert len(ProposalStore(out + '-2')) == 2
    assert before == {n: open(osp.join(out, n), 'rb').read()
                      for n in os.listdir(out)}
    # other parameters on the same images: --overwrite with the full command
    capsys.readouterr()
    assert tool.main([images, out, '--sigma', '0.5']) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith(
        f'pass --overwrite to replace it: python tools/generate_proposals.py'
        f' {images} {out} --sigma 0.5 --overwrite')
