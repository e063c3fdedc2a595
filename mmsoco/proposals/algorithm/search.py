"""Selective search (Uijlings et al., IJCV 2013), single strategy.

Felzenszwalb-Huttenlocher graph segmentation of the full-resolution RGB image
(8-connected grid, Euclidean RGB edge weights after a Gaussian blur), then
hierarchical grouping of adjacent regions by the sum of four similarities:
colour (HSV histograms, 25 bins per channel), texture (Gaussian derivatives,
sigma 1, in 8 orientations per channel, 10 bins each), size and fill.
Every region of the hierarchy (initial and merged) yields one box.

The segmentation lives in :mod:`.segment`. The per-pixel loops and the
merge loop are compiled with numba; everything else is vectorised numpy /
OpenCV.  Boxes are x1 y1 x2 y2 pixel edges
(x2 = last column + 1), float32.
"""
import math

import cv2
import numpy as np

from .segment import felzenszwalb, njit

COLOR_BINS = 25
TEXTURE_BINS = 10
ORIENTATIONS = 8


# ------------------------------------------------------------ region features
@njit
def _region_stats(labels, n, hsv, gx, gy):
    """Per-region size, box and L1-normalised colour+texture histograms."""
    h, w = labels.shape
    nc = 3 * COLOR_BINS
    nt = 3 * ORIENTATIONS * TEXTURE_BINS
    hist = np.zeros((n, nc + nt), np.float32)
    size = np.zeros(n, np.float64)
    box = np.empty((n, 4), np.int64)
    box[:, 0] = w
    box[:, 1] = h
    box[:, 2] = 0
    box[:, 3] = 0
    cosv = np.empty(ORIENTATIONS, np.float32)
    sinv = np.empty(ORIENTATIONS, np.float32)
    for o in range(ORIENTATIONS):
        cosv[o] = math.cos(2 * math.pi * o / ORIENTATIONS)
        sinv[o] = math.sin(2 * math.pi * o / ORIENTATIONS)
    gmax = np.full(3, 1e-6, np.float32)
    for y in range(h):
        for x in range(w):
            for c in range(3):
                m = math.sqrt(gx[y, x, c] ** 2 + gy[y, x, c] ** 2)
                if m > gmax[c]:
                    gmax[c] = m
    hmax = (180.0, 256.0, 256.0)  # OpenCV 8-bit HSV ranges
    for y in range(h):
        for x in range(w):
            r = labels[y, x]
            size[r] += 1
            if x < box[r, 0]:
                box[r, 0] = x
            if y < box[r, 1]:
                box[r, 1] = y
            if x + 1 > box[r, 2]:
                box[r, 2] = x + 1
            if y + 1 > box[r, 3]:
                box[r, 3] = y + 1
            for c in range(3):
                b = int(hsv[y, x, c] * COLOR_BINS / hmax[c])
                hist[r, c * COLOR_BINS + min(b, COLOR_BINS - 1)] += 1
                base = nc + c * ORIENTATIONS * TEXTURE_BINS
                for o in range(ORIENTATIONS):
                    v = gx[y, x, c] * cosv[o] + gy[y, x, c] * sinv[o]
                    t = 0
                    if v > 0:
                        t = min(int(v * TEXTURE_BINS / gmax[c]),
                                TEXTURE_BINS - 1)
                    hist[r, base + o * TEXTURE_BINS + t] += 1
    for r in range(n):
        s = size[r]
        for k in range(nc):
            hist[r, k] /= 3 * s
        for k in range(nc, nc + nt):
            hist[r, k] /= 3 * ORIENTATIONS * s
    return size, box, hist


@njit
def _adjacent_pairs(labels):
    """Unique (i, j), i < j, of 4-adjacent regions, encoded as i * n + j."""
    h, w = labels.shape
    out = np.empty(2 * h * w, np.int64)
    m = 0
    big = np.int64(labels.max() + 1)
    for y in range(h):
        for x in range(w):
            a = labels[y, x]
            if x + 1 < w:
                b = labels[y, x + 1]
                if a != b:
                    out[m] = min(a, b) * big + max(a, b)
                    m += 1
            if y + 1 < h:
                b = labels[y + 1, x]
                if a != b:
                    out[m] = min(a, b) * big + max(a, b)
                    m += 1
    return np.unique(out[:m]), big


@njit
def _overlap_pairs(box, big):
    """(i, j), i < j, of regions whose boxes overlap (positive area)."""
    n = box.shape[0]
    cap = 4 * n + 16
    out = np.empty(cap, np.int64)
    m = 0
    for i in range(n):
        for j in range(i + 1, n):
            if min(box[i, 2], box[j, 2]) > max(box[i, 0], box[j, 0]) and \
                    min(box[i, 3], box[j, 3]) > max(box[i, 1], box[j, 1]):
                if m == cap:
                    cap *= 2
                    out = _grow(out, cap)
                out[m] = i * big + j
                m += 1
    return out[:m]


# ---------------------------------------------------------- hierarchical merge
@njit
def _similarity(hist, size, box, i, j, im_size, weights):
    nc = 3 * COLOR_BINS
    sc = 0.0
    for k in range(nc):
        sc += min(hist[i, k], hist[j, k])
    st = 0.0
    for k in range(nc, hist.shape[1]):
        st += min(hist[i, k], hist[j, k])
    both = size[i] + size[j]
    bw = max(box[i, 2], box[j, 2]) - min(box[i, 0], box[j, 0])
    bh = max(box[i, 3], box[j, 3]) - min(box[i, 1], box[j, 1])
    return (weights[0] * sc + weights[1] * st +
            weights[2] * (1.0 - both / im_size) +
            weights[3] * (1.0 - (bw * bh - both) / im_size))


@njit
def _hierarchy(hist0, size0, box0, ea0, eb0, im_size, weights):
    """Greedily merge the most similar adjacent pair until one region is left.

    Returns the boxes of all regions created (initial ones first).
    """
    n, d = hist0.shape
    total = 2 * n - 1
    hist = np.empty((total, d), np.float32)
    hist[:n] = hist0
    size = np.empty(total, np.float64)
    size[:n] = size0
    box = np.empty((total, 4), np.int64)
    box[:n] = box0
    cap = 2 * len(ea0) + 16
    ea = np.empty(cap, np.int64)
    eb = np.empty(cap, np.int64)
    sim = np.empty(cap, np.float64)
    alive = np.zeros(cap, np.bool_)
    m = len(ea0)
    for e in range(m):
        ea[e] = ea0[e]
        eb[e] = eb0[e]
        sim[e] = _similarity(hist, size, box, ea[e], eb[e], im_size,
                             weights)
        alive[e] = True
    mark = np.full(total, -1, np.int64)
    nbrs = np.empty(total, np.int64)
    k = n
    while k < total:
        best = -1
        bs = -1e30
        for e in range(m):
            if alive[e] and sim[e] > bs:
                bs = sim[e]
                best = e
        if best < 0:
            break
        i = ea[best]
        j = eb[best]
        size[k] = size[i] + size[j]
        wi = size[i] / size[k]
        wj = size[j] / size[k]
        for t in range(d):
            hist[k, t] = hist[i, t] * wi + hist[j, t] * wj
        box[k, 0] = min(box[i, 0], box[j, 0])
        box[k, 1] = min(box[i, 1], box[j, 1])
        box[k, 2] = max(box[i, 2], box[j, 2])
        box[k, 3] = max(box[i, 3], box[j, 3])
        cnt = 0
        for e in range(m):
            if not alive[e]:
                continue
            a = ea[e]
            b = eb[e]
            if a == i or a == j or b == i or b == j:
                alive[e] = False
                o = b if (a == i or a == j) else a
                if o != i and o != j and mark[o] != k:
                    mark[o] = k
                    nbrs[cnt] = o
                    cnt += 1
        if m + cnt > cap:
            cap = 2 * (m + cnt)
            ea = _grow(ea, cap)
            eb = _grow(eb, cap)
            sim = _grow(sim, cap)
            alive = _grow(alive, cap)
        for t in range(cnt):
            ea[m] = nbrs[t]
            eb[m] = k
            sim[m] = _similarity(hist, size, box, nbrs[t], k, im_size,
                                 weights)
            alive[m] = True
            m += 1
        k += 1
    return box[:k]


@njit
def _grow(arr, cap):
    out = np.zeros(cap, arr.dtype)
    out[:len(arr)] = arr
    return out


# ----------------------------------------------------------------------- API
NEIGHBOURS = ('touch', 'overlap', 'touch_or_overlap')


def region_graph(rgb: np.ndarray, scale: float = 300, sigma: float = 0.9,
                 min_size: int = 100, neighbours: str = 'touch_or_overlap'):
    """Segment and describe: (size, box, histograms, edges a, edges b).

    ``neighbours`` says which initial regions may merge: 'touch' (4-adjacent
    pixels, Uijlings et al.), 'overlap' (boxes overlap, the rule of the
    reference Python tool) or both (default). A merged region inherits the
    neighbours of its two parts.
    """
    if neighbours not in NEIGHBOURS:
        raise ValueError(f'neighbours={neighbours!r}; choose from '
                         f'{NEIGHBOURS}')
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f'selective_search expects an RGB uint8 HxWx3 '
                         f'array, got {rgb.dtype} {rgb.shape}')
    labels, n = felzenszwalb(rgb, scale, sigma, min_size)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    smooth = cv2.GaussianBlur(rgb.astype(np.float32), (7, 7), 1.0,
                              borderType=cv2.BORDER_REFLECT)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=1)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=1)
    size, box, hist = _region_stats(labels, n, hsv, gx, gy)
    pairs, big = _adjacent_pairs(labels)
    if neighbours == 'overlap':
        pairs = _overlap_pairs(box, big)
    elif neighbours == 'touch_or_overlap':
        pairs = np.union1d(pairs, _overlap_pairs(box, big))
    return size, box, hist, pairs // big, pairs % big


def group(graph, image_hw, weights=(1.0, 1.0, 1.0, 1.0)) -> np.ndarray:
    """Hierarchical grouping of a region graph -> unique float32 boxes.

    ``weights`` scale the colour, texture, size and fill similarities.
    """
    size, box, hist, ea, eb = graph
    boxes = _hierarchy(hist, size, box, ea, eb,
                       float(image_hw[0] * image_hw[1]),
                       np.asarray(weights, np.float64))
    boxes = boxes.astype(np.float32)
    _, first = np.unique(boxes, axis=0, return_index=True)
    return boxes[np.sort(first)]


def selective_search(rgb: np.ndarray, scale: float = 300, sigma: float = 0.9,
                     min_size: int = 100,
                     weights=(1.0, 1.0, 1.0, 1.0),
                     neighbours: str = 'touch_or_overlap') -> np.ndarray:
    """All hierarchy boxes of an RGB uint8 HxWx3 image, float32 (M, 4).

    Exact duplicates are dropped (first occurrence kept); nothing else is.
    """
    graph = region_graph(rgb, scale, sigma, min_size, neighbours)
    return group(graph, rgb.shape[:2], weights)


__all__ = ['selective_search', 'felzenszwalb', 'region_graph', 'group']
