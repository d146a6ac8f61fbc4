"""A scanned page made ready for Tesseract: straightened and cleaned of speckle.

Real scans are often a degree or two askew and speckled (a copier's dust, a fax, JPEG noise).
Tesseract reads a skewed page line by line badly: its lines cross each other's text boxes, the
letterhead's cells fall apart and "Số:" is misread. Two cheap steps before it, in Pillow and
NumPy (no OpenCV):

1. Skew: the angle whose rotation makes the page's ink rows sharpest (the variance of the row
   profile of a binarised copy 800 pixels wide), searched coarse to fine (1°, 0.25°, 0.1°)
   within ±MAX_SKEW degrees. A page is turned only when the angle is at least MIN_SKEW
   and clearly sharper than the page as it is; Tesseract copes with less, and a
   turned page is slightly blurred (a dev scan 0.2-0.4° askew read worse turned).
2. Speckle: on a page whose white background holds many isolated dark pixels (over SPECKLE of
   it), every dark pixel with at most one dark neighbour turns white (a median filter reads
   the same and costs six times as much), and the page is made black on white (its grain
   gone); a clean page is left as it is.

`python -m eval forms --parts ocr` measures both on noisy scans of Nghị định 335/2025 made
from its text PDF, against the text layer (docs/eval/README.md).
"""

from __future__ import annotations

import numpy as np

MAX_SKEW = 5.0  # degrees searched either way
MIN_SKEW = 0.8  # a smaller angle is left alone: Tesseract reads it, and turning blurs (a dev scan at 0.2-0.4° read worse turned)
WORK_WIDTH = 800  # the binarised copy the angle is measured on
SPECKLE = 0.002  # share of background pixels that are isolated dark dots, above which we filter


def clean(image):
    """The page (a Pillow image, grey) straightened and despeckled where it needs it."""
    image = image.convert("L")
    if speckle(image) > SPECKLE:
        image = binarise(despeckle(image))
    angle = skew(image)
    if abs(angle) >= MIN_SKEW:
        from PIL import Image

        image = image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    return image


def skew(image) -> float:
    """The page's text angle in degrees (counter-clockwise rotation that straightens it)."""
    from PIL import Image

    small = image.convert("L")
    if small.width > WORK_WIDTH:
        small = small.resize((WORK_WIDTH, max(1, round(small.height * WORK_WIDTH / small.width))),
                             Image.Resampling.BILINEAR)
    ink = Image.fromarray(((np.asarray(small) < _threshold(small)) * 255).astype(np.uint8))
    if np.asarray(ink).mean() < 0.5:  # a blank page
        return 0.0

    def sharpness(angle: float) -> float:
        rows = np.asarray(ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0), dtype=np.float32).sum(1)
        return float(np.var(rows))

    straight = sharpness(0.0)
    best = 0.0
    for step, span in ((1.0, MAX_SKEW), (0.25, 1.0), (0.1, 0.2)):  # coarse to fine
        best = max(np.arange(best - span, best + span + 1e-9, step), key=sharpness)
    return round(float(best), 1) if sharpness(best) > 1.05 * straight else 0.0


def despeckle(image):
    """The page with its specks (dark pixels with at most one dark neighbour of eight) turned
    white; strokes and diacritic dots, several pixels wide at scanning resolution, stay."""
    from PIL import Image

    a = np.asarray(image.convert("L")).copy()
    dark = a < _threshold(image)
    padded = np.pad(dark, 1).astype(np.uint8)
    h, w = dark.shape
    around = sum(padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    a[dark & (around <= 2)] = 255
    return Image.fromarray(a)


def binarise(image):
    """Black ink on white (Otsu's threshold): a speckled page's grain gone, and Tesseract reads
    it faster (1.6 -> 1.2 s a page measured on dev-corpus pages, the same error rate)."""
    from PIL import Image

    a = np.asarray(image.convert("L"))
    return Image.fromarray(np.where(a < _threshold(image), 0, 255).astype(np.uint8))


def speckle(image) -> float:
    """Share of the background's pixels that are isolated dark dots (no dark 4-neighbour)."""
    a = np.asarray(image.convert("L"))
    if a.size == 0:
        return 0.0
    dark = a < _threshold(image)
    inner = dark[1:-1, 1:-1]
    alone = inner & ~dark[:-2, 1:-1] & ~dark[2:, 1:-1] & ~dark[1:-1, :-2] & ~dark[1:-1, 2:]
    background = max(int((~dark).sum()), 1)
    return float(alone.sum()) / background


def _threshold(image) -> int:
    """Otsu's threshold of a grey image."""
    hist = np.bincount(np.asarray(image).ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 128
    levels = np.arange(256)
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * levels)
    between = (mean[-1] * weight / total - mean) ** 2 / np.maximum(weight * (total - weight), 1e-9) * total
    return int(np.argmax(between))
