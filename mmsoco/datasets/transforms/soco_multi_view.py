"""SoCo's box-aware geometric views (docs/algorithms.md, SoCo views)."""
import copy
from typing import Optional, Sequence

from mmcv.transforms import BaseTransform

from mmsoco.registry import TRANSFORMS
from . import functional as F
from .random_state import RandomStateMixin

VIEW3_MODES = ('independent', 'downsample')


@TRANSFORMS.register_module()
class SoCoMultiView(RandomStateMixin, BaseTransform):
    """results['img'] + results['proposals'] -> results['views'] etc.

    Args:
        views: one dict per view, see :func:`functional.soco_views`
            (``mode`` 'whole' | 'crop' | 'downsample', ``size``, ``scale``,
            ``ratio``, ``of``). View 1 is the anchor of every pair.
        view3_mode: None keeps ``views`` as given; 'independent' makes view
            3 an independent RandomResizedCrop (the reference code),
            'downsample' makes it view 2 downsampled (the paper's figure;
            its pair and flip then follow ``downsample_pair`` and
            ``downsample_flip``).
        num_boxes: K boxes per pair (padded by resampling).
        max_tries: RandomResizedCrop draws per view to find >= 2, then >= 1
            proposal shared with view 1.
        flip_prob: horizontal flip per view (boxes follow).
        jitter_prob, jitter_mag: view-1 box jitter.
        box_clip: 'view' (default, the reference) clips each box to its own
            view: a view-1 box is the whole proposal and its partner the
            part of it inside crop k; 'overlap' clips both to the two views'
            common area, so the partners show the same pixels.
        padding: with fewer than K shared proposals, 'independent' (default,
            the reference) pads each side of a pair on its own (rows are
            matched by proposal id, ``pair_ids``); 'shared' pads both sides
            with the same proposals.
        jitter_space: 'original' (default, the reference) jitters a view-1
            box as a proposal in original pixels, before the flip and the
            clip to view 1; 'view' jitters it in view 1's pixels after the
            flip (so on a flipped view 1 the left and right edges swap
            roles).
        padded_jitter: 'copy' (default, the reference) jitters each proposal
            of a pair once before padding, so padded view-1 rows are exact
            copies; 'redraw' jitters every one of the K rows on its own.
        downsample_pair: for a view downsampled from view ``of`` (SoCo*'s
            view 4), 'source' (default, the reference) repeats pair (1,
            ``of``): the same proposals, padding and view-1 boxes;
            'independent' draws its own K proposals shared with view 1.
        downsample_flip: a downsampled view's flip: 'independent' (default,
            the reference: its own coin) or 'source' (its source's flip).
        min_overlap: a proposal counts as shared when its intersection with
            both views is wider and taller than this (original pixels).
        interpolation: 'area' (antialiased, like PIL's bilinear when
            shrinking) | 'linear' | 'cubic'.
    """

    def __init__(self,
                 views: Sequence[dict] = F.SOCO_VIEWS,
                 view3_mode: Optional[str] = None,
                 num_boxes: int = 4, max_tries: int = 5,
                 flip_prob: float = 0.5, jitter_prob: float = 0.5,
                 jitter_mag: float = 0.1, min_overlap: float = 0.0,
                 interpolation: str = 'area', box_clip: str = 'view',
                 padding: str = 'independent',
                 jitter_space: str = 'original',
                 padded_jitter: str = 'copy',
                 downsample_pair: str = 'source',
                 downsample_flip: str = 'independent'):
        self.views = [dict(v) for v in views]
        if view3_mode is not None:
            if view3_mode not in VIEW3_MODES or len(self.views) < 3:
                raise ValueError(f'view3_mode must be one of {VIEW3_MODES} '
                                 'with at least 3 views, got '
                                 f'{view3_mode!r}')
            v3 = self.views[2]
            if view3_mode == 'downsample':
                self.views[2] = dict(size=v3['size'], mode='downsample', of=1)
            else:
                self.views[2] = dict(size=v3['size'], mode='crop',
                                     scale=v3.get('scale', self.views[1].get(
                                         'scale', (0.5, 1.))),
                                     ratio=v3.get('ratio', (3. / 4., 4. / 3.)))
        if interpolation not in F.INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of '
                             f'{list(F.INTERPOLATIONS)}')
        options = dict(box_clip=box_clip, padding=padding,
                       jitter_space=jitter_space,
                       padded_jitter=padded_jitter,
                       downsample_pair=downsample_pair,
                       downsample_flip=downsample_flip)
        try:
            F.check_options(**options)
        except ValueError as e:
            raise ValueError(f'SoCoMultiView: {e}') from None
        self.view3_mode = view3_mode
        self.kw = dict(num_boxes=num_boxes, max_tries=max_tries,
                       flip_prob=flip_prob, jitter_prob=jitter_prob,
                       jitter_mag=jitter_mag, min_overlap=min_overlap,
                       interpolation=interpolation, **options)

    def transform(self, results: dict) -> dict:
        out = F.soco_views(results['img'], results['proposals'],
                           self.rng_for(results), self.views, **self.kw)
        results.update(out)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(views={copy.deepcopy(self.views)}'
                f', view3_mode={self.view3_mode!r}, {self.kw})')
