"""Random inputs in the models' contracts, for tests and benchmarks (as
``mmdet.testing``): no data set, no pipeline, deterministic from a seed."""
import torch
from mmengine.structures import BaseDataElement


def random_view_boxes(gen: torch.Generator, k: int,
                      size: int) -> torch.Tensor:
    """(k, 4) boxes inside a size x size view, from 2 px to the full view;
    box 0 is the whole view (so a 224 view reaches P5)."""
    xy = torch.rand(k, 2, generator=gen) * size * 0.6
    wh = 2 + torch.rand(k, 2, generator=gen) * (size - xy - 2)
    boxes = torch.cat([xy, xy + wh], dim=1)
    boxes[0] = torch.tensor([0., 0., size, size])
    return boxes


def random_soco_batch(batch: int = 2, sizes=(64, 64, 32), k: int = 4,
                      seed: int = 0) -> dict:
    """A collated batch in PackSoCoInputs' contract: inputs is a list over
    views of B uint8 (3, H, W) tensors; pair_boxes (P, 2, K, 4)."""
    gen = torch.Generator().manual_seed(seed)
    inputs = [[torch.randint(0, 256, (3, s, s), generator=gen,
                             dtype=torch.uint8) for _ in range(batch)]
              for s in sizes]
    samples = []
    for _ in range(batch):
        pairs = torch.stack([
            torch.stack([random_view_boxes(gen, k, sizes[0]),
                         random_view_boxes(gen, k, s)]) for s in sizes[1:]
        ])
        sample = BaseDataElement()
        sample.set_field(pairs.float(), 'pair_boxes')
        sample.set_field([(s, s) for s in sizes], 'view_shapes',
                         field_type='metainfo')
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
