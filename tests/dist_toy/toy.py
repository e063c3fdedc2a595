"""A few-second model for proving multi-process training (DDP over gloo).

It has a SyncBN layer (reverted to BN on CPU by mmsoco.compat) and a hook that
writes, per rank, every iteration it ran and its final parameters.
"""
import os
import os.path as osp

import torch
import torch.nn as nn
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from mmsoco.registry import DATASETS, HOOKS, MODELS


@MODELS.register_module(force=True)
class ToyRegressor(BaseModel):

    def __init__(self, width=8):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, width), nn.SyncBatchNorm(width),
                                  nn.ReLU(), nn.Linear(width, 1))

    def forward(self, inputs, targets, mode='loss'):
        pred = self.body(torch.stack(inputs)).squeeze(1)
        self.last_dtype = str(pred.dtype)  # shows whether autocast was on
        if mode == 'loss':
            return dict(loss=((pred - torch.stack(targets))**2).mean())
        return pred


@DATASETS.register_module(force=True)
class ToyDataset(Dataset):

    def __init__(self, length=64):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(length, 4, generator=g)
        self.y = self.x.sum(1)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], targets=self.y[i])


@HOOKS.register_module(force=True)
class RankRecorderHook(Hook):
    """Save iters, params, world size, MASTER_PORT of this rank to
    work_dir/rank<r>.pt at the end of the run."""

    def before_run(self, runner):
        self.iters = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.iters.append(runner.iter)

    def after_run(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        params = {k: v.detach().clone() for k, v in model.named_parameters()}
        torch.save(dict(iters=self.iters, params=params,
                        world_size=get_world_size(),
                        master_port=os.environ.get('MASTER_PORT'),
                        dtype=getattr(model, 'last_dtype', None)),
                   osp.join(runner.work_dir, f'rank{get_rank()}.pt'))
