"""Drawing primitives shared by mmsoco's visualizers (BGR uint8, OpenCV)."""
import cv2
import numpy as np

PANEL_H = 320
GAP = 8
VIEW_COLORS = [(255, 255, 255), (0, 200, 255), (255, 120, 0), (0, 255, 0)]


def id_color(pid: int) -> tuple:
    """A stable bright BGR colour per proposal id (white for 'whole')."""
    if pid < 0:
        return (255, 255, 255)
    hue = (pid * 47) % 180
    hsv = np.uint8([[[hue, 230, 255]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def fit(img_bgr: np.ndarray, height: int = PANEL_H):
    """-> (the image resized to ``height``, the scale applied)."""
    scale = height / img_bgr.shape[0]
    width = max(1, int(round(img_bgr.shape[1] * scale)))
    interp = cv2.INTER_NEAREST if scale >= 1 else cv2.INTER_AREA
    return cv2.resize(img_bgr, (width, height), interpolation=interp), scale


def rgb_panel(rgb: np.ndarray):
    """An RGB image (HxWx3) as a fitted BGR panel and its scale."""
    return fit(cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))


def draw_box(img, box, color, label=None, thickness=2) -> None:
    x1, y1, x2, y2 = [int(round(v)) for v in box]
    cv2.rectangle(img, (x1, y1), (max(x1 + 1, x2), max(y1 + 1, y2)), color,
                  thickness, cv2.LINE_AA)
    if label:
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        ty = max(th + 2, y1)
        cv2.rectangle(img, (x1, ty - th - 2), (x1 + tw + 2, ty), color, -1)
        cv2.putText(img, label, (x1 + 1, ty - 2), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, (0, 0, 0), 1, cv2.LINE_AA)


def crop_box(crop) -> np.ndarray:
    """An (x, y, w, h) crop as an x1 y1 x2 y2 box."""
    x, y, w, h = crop
    return np.array([x, y, x + w, y + h], np.float32)


def title(img, text: str) -> None:
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
    cv2.rectangle(img, (0, 0), (tw + 8, th + 8), (0, 0, 0), -1)
    cv2.putText(img, text, (4, th + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (255, 255, 255), 1, cv2.LINE_AA)


def side_by_side(panels) -> np.ndarray:
    gap = np.full((PANEL_H, GAP, 3), 40, np.uint8)
    parts = []
    for p in panels:
        parts += [p, gap]
    return np.concatenate(parts[:-1], axis=1)


__all__ = ['PANEL_H', 'GAP', 'VIEW_COLORS', 'id_color', 'fit', 'rgb_panel',
           'draw_box', 'crop_box', 'title', 'side_by_side']
