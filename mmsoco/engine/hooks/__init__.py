from .eval_points_hook import EvalPointsHook
from .export_map_hook import ExportMapHook
from .loss_curve_hook import LossCurveHook, plot_curves, save_figure
from .momentum_target_hook import MomentumTargetHook
from .progress_hook import ProgressHook
from .queue_length_check_hook import QueueLengthCheckHook, QueueTooShortError
from .soco_data_hook import SoCoDataHook

__all__ = ['EvalPointsHook', 'ExportMapHook', 'MomentumTargetHook',
           'SoCoDataHook', 'QueueLengthCheckHook', 'QueueTooShortError',
           'LossCurveHook', 'plot_curves', 'save_figure', 'ProgressHook']
