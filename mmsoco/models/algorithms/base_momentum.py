"""What every mmsoco algorithm (SoCo, SoCoC4, InsLoc, InsLocC4) shares: an
online network of named modules and its EMA target, advanced from the
runner's iteration by ``MomentumTargetHook``, and the export map of the
online modules (which goes to which detector key prefix)."""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import Tensor, nn

from ..utils.export_map import check_export_map
from ..utils.momentum_target import MomentumTarget


class BaseMomentumModel(BaseModel):
    """Online modules ``ONLINE`` and ``target``, a
    :class:`~mmsoco.models.utils.momentum_target.MomentumTarget` over them.

    A subclass builds its ``ONLINE`` modules, then calls
    :meth:`_build_target`. Weight initialisation initialises the online
    modules, then copies them into the target (:meth:`sync_target`); a
    subclass that changes online weights after ``super().init_weights()``
    calls :meth:`sync_target` again.

    The target is driven one way for every algorithm: ``MomentumTargetHook``
    calls :meth:`update_target` with the runner's iteration before every
    training iteration. The hook, not the model's forward, because the
    runner owns the two numbers the cosine schedule needs (the iteration,
    which ``--resume`` restores, and the run's length), no state-dict key has
    to be added to count steps, and the hook reaches the model the same way
    with or without a DDP wrapper. The update precedes the step's forward
    pass, so the target follows the online weights after the previous step
    (the position the references use: BYOL before its target forward, MoCo
    after its query forward, which reads no target weight).
    """

    ONLINE: Tuple[str, ...] = ()
    # online module prefix -> mmdet detector key prefix (utils/export_map)
    EXPORT_MAP: Optional[dict] = None

    def __init__(self, data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='MultiViewDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self._warned_static_target = False

    # ----------------------------------------------------------- target
    def _build_target(self, base_momentum: float,
                      schedule: str = 'cosine') -> None:
        self.target = MomentumTarget(self.online_modules, base_momentum,
                                     schedule)

    @property
    def online_modules(self) -> Dict[str, nn.Module]:
        """The modules the target copies (``ONLINE``), by name."""
        return {n: getattr(self, n) for n in self.ONLINE}

    @property
    def online_nets(self) -> Mapping[str, nn.Module]:
        """Every module of the online network's forward pass (the target's
        plus, for SoCo, the predictor)."""
        return self.online_modules

    @property
    def momentum(self) -> float:
        """m of the target's last update (``base_momentum`` before one)."""
        return self.target.momentum

    def init_weights(self) -> None:
        super().init_weights()
        self.sync_target()

    def sync_target(self) -> None:
        """target <- online, parameters and buffers."""
        self.target.sync(self.online_modules)

    def update_target(self, k: int, total: int) -> float:
        """One EMA step of the target's parameters at global iteration
        ``k`` of ``total``; returns m."""
        return self.target.step(self.online_modules, k, total)

    def _check_target_moves(self) -> None:
        if self.training and not self.target.stepped \
                and not self._warned_static_target:
            self._warned_static_target = True
            print_log(
                f'{type(self).__name__}: the target network is not being '
                'updated; add custom_hooks=[dict(type="MomentumTargetHook")] '
                'to the config', logger='current', level=30)

    # ----------------------------------------------------------- export
    @classmethod
    def export_map(cls) -> Optional[dict]:
        """``EXPORT_MAP`` with this algorithm's name (``model_type``), as
        ``ExportMapHook`` writes it into checkpoint meta; every source
        prefix lies inside an ``ONLINE`` module."""
        if cls.EXPORT_MAP is None:
            return None
        out = check_export_map(cls.EXPORT_MAP, f'{cls.__name__}.EXPORT_MAP')
        outside = [p for p in out['prefixes']
                   if p.split('.')[0] not in cls.ONLINE]
        if outside:
            raise ValueError(f'{cls.__name__}.EXPORT_MAP exports {outside}, '
                             f'outside its online modules {cls.ONLINE}')
        out['model_type'] = cls.__name__
        return out

    # ---------------------------------------------------------- subclass
    def extract_feat(self, img: Tensor, nets: Mapping[str, nn.Module]):
        raise NotImplementedError

    def loss(self, inputs: List[Tensor],
             data_samples: Sequence) -> Dict[str, Tensor]:
        raise NotImplementedError

    # ----------------------------------------------------------- forward
    def forward(self,
                inputs: List[Tensor],
                data_samples: Optional[list] = None,
                mode: str = 'loss'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs[0], self.online_nets)
        raise RuntimeError(f'{type(self).__name__} supports mode "loss" and '
                           f'"tensor", not {mode!r}')
