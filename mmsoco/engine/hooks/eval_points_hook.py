"""Validate at chosen iterations of a training run and keep the curve."""
import json
import os.path as osp
import random
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.hooks import Hook

from mmsoco.registry import HOOKS
from mmsoco.utils.atomic import atomic_write


@HOOKS.register_module()
class EvalPointsHook(Hook):
    """Run the runner's validation loop after each iteration in ``iters``
    (1-based, as the logs count) and record its metrics in
    ``work_dir/<file>`` as ``{"<iteration>": {metric: value}}``, written
    atomically after every point.

    The training loop's own validation should be off (``val_begin`` past
    ``max_iters``). The random number generators (torch, numpy, random)
    are saved before each validation and restored after it, so the
    training run is the same whichever points are evaluated. A resumed run
    keeps the points already in the file; this hook's priority is above
    the checkpoint hook's, so a checkpoint at a point is saved after that
    point is recorded.
    """

    priority = 'NORMAL'

    def __init__(self, iters: Sequence[int], file: str = 'curve.json'):
        points = sorted({int(i) for i in iters})
        if not points or points[0] < 1:
            raise ValueError(f'EvalPointsHook needs iterations >= 1, got '
                             f'{list(iters)}')
        self.iters = points
        self.file = file
        self.curve: dict = {}

    def _path(self, runner) -> str:
        return osp.join(runner.work_dir, self.file)

    def before_train(self, runner) -> None:
        path = self._path(runner)
        self.curve = {}
        if osp.isfile(path):
            with open(path, encoding='utf-8') as f:
                self.curve = {k: v for k, v in json.load(f).items()
                              if int(k) <= runner.iter}
        late = [i for i in self.iters if i > runner.max_iters]
        if late:
            raise ValueError(f'EvalPointsHook: iterations {late} lie past '
                             f'the run\'s {runner.max_iters}')
        if runner.val_loop is None:
            raise ValueError('EvalPointsHook needs val_dataloader, val_cfg '
                             'and val_evaluator in the config')

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        done = runner.iter + 1
        if done not in self.iters:
            return
        states = (torch.get_rng_state(), np.random.get_state(),
                  random.getstate())
        cuda = (torch.cuda.get_rng_state_all()
                if torch.cuda.is_available() else None)
        try:
            metrics = runner.val_loop.run()
        finally:
            torch.set_rng_state(states[0])
            np.random.set_state(states[1])
            random.setstate(states[2])
            if cuda is not None:
                torch.cuda.set_rng_state_all(cuda)
        self.curve[str(done)] = {k: float(v) for k, v in metrics.items()
                                 if isinstance(v, (int, float))}
        atomic_write(self._path(runner),
                     json.dumps(self.curve, indent=1, sort_keys=True))
