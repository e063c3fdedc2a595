"""Peak memory of one proposals worker per image pixel.

    python benchmarks/proposals_memory.py [--megapixels 1 2 4 8]

For each size, a fresh process imports the worker code, segments a tiny
image (numba compile, not counted), notes its peak resident set, then
proposes one photo (scikit-image's 'coffee' resized to that many pixels)
and notes the new peak. (peak after - peak before) / pixels is the memory
a worker needs per pixel; it sizes --max-pixels (docs/proposals.md).
"""
import argparse
import os
import resource
import subprocess
import sys

os.environ.setdefault('OMP_NUM_THREADS', '1')


def one(mp: float) -> None:
    import cv2
    import numpy as np
    import skimage.data

    from mmsoco.proposals.runner.worker import propose_rgb
    propose_rgb(np.zeros((8, 8, 3), np.uint8))
    small = skimage.data.coffee()
    f = (mp * 1e6 / (small.shape[0] * small.shape[1])) ** 0.5
    rgb = cv2.resize(small, (int(small.shape[1] * f),
                             int(small.shape[0] * f)))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    boxes, _, _ = propose_rgb(rgb, max_pixels=None)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    px = rgb.shape[0] * rgb.shape[1]
    print(f'{px / 1e6:.2f} {before / 1024:.0f} {after / 1024:.0f} '
          f'{(after - before) * 1024 / px:.1f} {len(boxes)}')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--megapixels', type=float, nargs='+',
                   default=[1, 2, 4, 8])
    p.add_argument('--one', type=float, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        return one(args.one)
    print('| megapixels | RSS before (MB) | peak (MB) | bytes/pixel |')
    print('|---|---|---|---|')
    for mp in args.megapixels:
        out = subprocess.run([sys.executable, __file__, '--one', str(mp)],
                             capture_output=True, text=True, check=True)
        px, before, after, bpp, _ = out.stdout.split()
        print(f'| {px} | {before} | {after} | {bpp} |', flush=True)


if __name__ == '__main__':
    main()
