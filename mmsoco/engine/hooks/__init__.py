from .eval_points_hook import EvalPointsHook
from .export_map_hook import ExportMapHook
from .loss_curve_hook import LossCurveHook, plot_curves, save_figure
from .momentum_target_hook import MomentumTargetHook
from .queue_length_check_hook import QueueLengthCheckHook, QueueTooShortError
from .soco_data_hook import SoCoDataHook
from .soco_target_hook import SoCoTargetHook

__all__ = ['EvalPointsHook', 'ExportMapHook', 'MomentumTargetHook',
           'SoCoTargetHook', 'SoCoDataHook', 'QueueLengthCheckHook',
           'QueueTooShortError', 'LossCurveHook', 'plot_curves',
           'save_figure']
