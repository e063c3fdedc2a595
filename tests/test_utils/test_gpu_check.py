"""mmsoco.utils.gpu_check: the table of a finished tools/gpu_check.sh run,
from its results.jsonl, step logs and the pretraining run's scalars."""
import json
import os

import pytest

from mmsoco.utils.gpu_check import main, table_rows

STEPS = ('test_cuda', 'train_step', 'proposals', 'data_loader', 'pretrain')


def fake_run(tmp_path, pretrain_rc=0, losses=(5.0, 4.0, 3.0, 2.0)):
    run = tmp_path / 'run'
    (run / 'pretrain' / '20260101_000000' / 'vis_data').mkdir(parents=True)
    rows = [dict(check='step', name=n, rc=pretrain_rc if n == 'pretrain'
                 else 0, seconds=3) for n in STEPS]
    rows.append(dict(check='train_step', config='demo.py',
                     pool_mode='assigned_level', batch=2, amp=False,
                     device='cpu', images_per_s=1.5, s_per_step=1.333,
                     peak_mib=900.0))
    rows.append(dict(check='data_loader', workers=1, batch=2, images=4,
                     samples_per_s=12.0, first_batch_s=0.5))
    with open(run / 'results.jsonl', 'w') as f:
        f.writelines(json.dumps(r) + '\n' for r in rows)
    logs = dict(test_cuda='== 4 skipped in 0.1s ==',
                proposals='done: 4 images, 120.5 boxes/img')
    for name in STEPS:
        (run / f'{name}.log').write_text(logs.get(name, 'last line') + '\n')
    with open(run / 'pretrain' / '20260101_000000' / 'vis_data' /
              'scalars.json', 'w') as f:
        for i, loss in enumerate(losses, 1):
            f.write(json.dumps(dict(iter=i, loss=loss)) + '\n')
    return str(run)


def test_every_check_in_one_row_each(tmp_path):
    table, failed = table_rows(fake_run(tmp_path), False, '/images', '1')
    assert not failed
    assert [r.split(' | ')[0] for r in table] == [
        '| tests/integration/test_cuda.py', '| train step', '| proposals',
        '| data loader', '| pretraining']
    assert '4 skipped in 0.1s' in table[0]
    assert '1.5 images/s, 1.333 s/step, peak RSS 900 MiB' in table[1]
    assert '3 s, 4 images, 120.5 boxes/img' in table[2]
    assert '12 samples/s (first batch 0.5 s)' in table[3]
    assert 'loss 5.000 -> 2.000' in table[4]
    assert all(r.endswith('| ok |') for r in table)


@pytest.mark.parametrize('rc, losses, smoke, verdict', [
    (1, (5.0, 4.0), False, 'FAIL'),
    (0, (2.0, 3.0), False, 'FAIL: loss did not fall'),
    (0, (2.0, 3.0), True, 'ok (smoke: not required)'),
])
def test_pretraining_verdict(tmp_path, rc, losses, smoke, verdict):
    table, failed = table_rows(fake_run(tmp_path, rc, losses), smoke, '/i',
                               '1')
    assert table[-1].endswith(f'| {verdict} |')
    assert failed == verdict.startswith('FAIL')


def test_table_is_printed_saved_and_sets_the_exit_status(tmp_path, capsys):
    run = fake_run(tmp_path)
    args = ['table', run, '--device', 'cpu', '--images', '/i',
            '--proposal-workers', '1', '--smoke']
    assert main(args) == 0
    text = open(os.path.join(run, 'table.md')).read()
    assert text.startswith('tools/gpu_check.sh --cpu-smoke, ')
    assert text in capsys.readouterr().out
    run = fake_run(tmp_path / 'bad', pretrain_rc=1)
    assert main(args[:1] + [run] + args[2:]) == 1
