"""A validation loop that probes a pretraining model's box features."""
from mmengine.runner import ValLoop

from mmsoco.registry import LOOPS
from .probe_net import ProbeNet


@LOOPS.register_module()
class BoxProbeValLoop(ValLoop):
    """``val_cfg=dict(type='BoxProbeValLoop')``: mmengine's ValLoop, but each
    batch of a ``BoxProbeDataset`` goes through the model's online network
    as a frozen :class:`ProbeNet` (eval-mode BN, no gradients, the model's
    modes restored afterwards) instead of ``model.val_step`` (pretraining
    models predict nothing); the ``BoxKNNProbe`` evaluator gets the box
    features. Metrics are logged as ``probe/...`` like any validation
    metric."""

    def run_iter(self, idx, data_batch) -> None:
        self.runner.call_hook('before_val_iter', batch_idx=idx,
                              data_batch=data_batch)
        outputs = ProbeNet.from_model(self.runner.model).probe_batch(
            data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook('after_val_iter', batch_idx=idx,
                              data_batch=data_batch, outputs=outputs)
