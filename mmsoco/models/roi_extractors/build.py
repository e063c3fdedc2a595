"""Building a model's RoI extractor from its config argument, accepting the
former argument name ``roi_pooler`` (configs written before)."""
from typing import Optional

from mmsoco.registry import MODELS


def build_roi_extractor(roi_extractor: Optional[dict],
                        roi_pooler: Optional[dict],
                        default: dict,
                        owner: str = 'model',
                        **overrides):
    """Build ``roi_extractor`` (or, from an old config, ``roi_pooler``;
    neither: ``default``), with every non-None ``overrides`` entry set
    (e.g. SoCo's former model-level ``level_thresholds``)."""
    if roi_extractor is not None and roi_pooler is not None:
        raise ValueError(f'{owner}: give roi_extractor or its former name '
                         'roi_pooler, not both')
    cfg = dict(roi_extractor or roi_pooler or default)
    for key, value in overrides.items():
        if value is None:
            continue
        if cfg.get(key) is not None and tuple(cfg[key]) != tuple(value):
            raise ValueError(f'{owner}: {key} given twice, {tuple(value)} '
                             f'and roi_extractor.{key}={tuple(cfg[key])}; '
                             'keep the one in roi_extractor')
        cfg[key] = value
    return MODELS.build(cfg)
