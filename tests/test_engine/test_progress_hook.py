"""ProgressHook: a line with the iteration and the ETA after a silence of
``every`` seconds, never on an iteration the LoggerHook logs."""
from types import SimpleNamespace

from mmengine.hooks import LoggerHook

from mmsoco.engine.hooks import ProgressHook
from mmsoco.engine.hooks import progress_hook as hook_mod


class Lines:

    def __init__(self):
        self.lines = []

    def info(self, msg):
        self.lines.append(msg)


def test_progress_between_log_lines(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(hook_mod.time, 'monotonic', lambda: now[0])
    logger = Lines()
    runner = SimpleNamespace(iter=10, max_iters=50, logger=logger,
                             hooks=[LoggerHook(interval=10)],
                             test_dataloader=[None] * 8)
    hook = ProgressHook(every=10, what='finetune_mmsoco')
    hook.before_train(runner)  # resumed at iteration 10
    for i in range(10, 20):  # 4 s per iteration
        now[0] += 4
        runner.iter = i
        hook.after_train_iter(runner, i)
    # 12 s after the start (iteration 13), 24 s (16), 36 s (19); 20 is the
    # logger's
    assert logger.lines == [
        'finetune_mmsoco: iteration 13/50, 4.0 s per iteration, ETA 2m28s',
        'finetune_mmsoco: iteration 16/50, 4.0 s per iteration, ETA 2m16s',
        'finetune_mmsoco: iteration 19/50, 4.0 s per iteration, ETA 2m04s']
    logger.lines.clear()
    hook.what = ''
    hook.before_test_epoch(runner)
    for i in range(8):
        now[0] += 6
        hook.after_test_iter(runner, i)
    assert logger.lines == [
        'test: iteration 2/8, 6.0 s per iteration, ETA 0m36s',
        'test: iteration 4/8, 6.0 s per iteration, ETA 0m24s',
        'test: iteration 6/8, 6.0 s per iteration, ETA 0m12s',
        'test: iteration 8/8, 6.0 s per iteration, ETA 0m00s']
