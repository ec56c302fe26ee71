"""Plots the notebooks show, one call each.

Every function takes its data as arguments and returns a matplotlib figure, built
without pyplot (so nothing is drawn twice and tests can inspect it); Jupyter shows a
returned figure as a picture through its ``_repr_png_``.
"""

from __future__ import annotations

import dataclasses
import functools
import io
from typing import Callable, Mapping

import numpy as np
from matplotlib.figure import Figure


class NotebookFigure(Figure):
    """A matplotlib Figure that Jupyter displays as a PNG, with no pyplot or inline backend involved."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        return buffer.getvalue()


def _annotated_grid(ax, values: np.ndarray, title: str, fmt: str = "g") -> None:
    """Draw a small grid of numbers, each cell shaded by its value."""
    ax.imshow(values, cmap="gray" if values.min() >= 0 else "coolwarm", vmin=None)
    for (row, col), value in np.ndenumerate(values):
        ax.text(col, row, format(value + 0.0, fmt), ha="center", va="center", fontsize=11,
                color="black", bbox=dict(boxstyle="round,pad=0.15", fc="white", alpha=0.7, lw=0))
    ax.set_title(title)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))


def show_patch_and_kernel(patch, kernel) -> NotebookFigure:
    """The neighbourhood, the kernel and their element-wise products, with the sum in the title."""
    patch, kernel = np.asarray(patch), np.asarray(kernel, dtype=float)
    products = patch.astype(float) * kernel
    figure = NotebookFigure(figsize=(11, 3.8), layout="constrained")
    axes = figure.subplots(1, 3)
    _annotated_grid(axes[0], patch, "neighbourhood (pixels)")
    _annotated_grid(axes[1], kernel, "kernel (weights)")
    _annotated_grid(axes[2], products, "pixel x weight")
    figure.suptitle(f"sum of the products = {products.sum():g}")
    return figure


def show_images(images: Mapping[str, np.ndarray], vmin=0, vmax=255, size: float = 3.5) -> NotebookFigure:
    """Images side by side, each titled with its name and shape; ``vmin=None`` stretches each one."""
    figure = NotebookFigure(figsize=(size * len(images), size + 0.4), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(images)))
    for ax, (name, image) in zip(axes, images.items()):
        ax.imshow(image, cmap="gray", vmin=vmin, vmax=vmax)
        ax.set_title(f"{name}\n{image.shape[0]}x{image.shape[1]}")
        ax.axis("off")
    return figure


def filter_gallery(image, filters: Mapping[str, np.ndarray], correlate: Callable, display: Callable,
                   mode: str = "rescale") -> NotebookFigure:
    """``image`` filtered by each kernel with ``correlate`` and shown through ``display``."""
    shown = {name: display(correlate(image, kernel, 1, "same"), mode) for name, kernel in filters.items()}
    columns = 3
    rows = -(-len(shown) // columns)
    figure = NotebookFigure(figsize=(3.4 * columns, 3.6 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, (name, picture) in zip(axes, shown.items()):
        ax.imshow(picture, cmap="gray", vmin=0, vmax=255)
        ax.set_title(name)
    return figure


def grey_png(image: np.ndarray) -> bytes:
    """A uint8 image as a PNG (for ``ipywidgets.Image``), exactly one level per value: a 2-D one grey, an
    (H, W, 3) one in colour."""
    image = np.asarray(image, dtype=np.uint8)
    if image.ndim == 2:
        return palette_png(image, colour_table("gray"))
    from PIL import Image  # Pillow comes with matplotlib

    buffer = io.BytesIO()
    # Level 1 compresses almost as well as the default and five times faster.
    Image.fromarray(image).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def palette_png(indices: np.ndarray, palette: np.ndarray) -> bytes:
    """2-D uint8 ``indices`` into ``palette`` ((n, 3) uint8, n <= 256) as an 8-bit palette PNG.

    One byte a pixel, and Pillow filters no palette rows: a 512x512 picture encodes in about 5 ms, where an RGB
    one took 18 ms and a grey one 9, which was most of a widget's update."""
    from PIL import Image

    indices = np.ascontiguousarray(indices, dtype=np.uint8)
    image = Image.frombytes("P", (indices.shape[1], indices.shape[0]), indices.tobytes())
    image.putpalette(np.asarray(palette, dtype=np.uint8).tobytes())
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def stretched_png(values: np.ndarray) -> bytes:
    """Any real-valued 2-D array as a grey PNG, stretched so its smallest value is black and largest white."""
    from matplotlib.image import imsave

    buffer = io.BytesIO()
    imsave(buffer, np.asarray(values, dtype=float), cmap="gray", format="png")
    return buffer.getvalue()


def show_blocks(image, size: int, pooled=None) -> NotebookFigure:
    """A small image with its pooling blocks outlined, and (if given) the pooled result beside it."""
    image = np.asarray(image)
    panels = 1 if pooled is None else 2
    figure = NotebookFigure(figsize=(4.2 * panels, 4.2), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, panels))
    _annotated_grid(axes[0], image, f"{image.shape[0]}x{image.shape[1]} = {image.size} pixels")
    for edge in range(size, max(image.shape), size):
        axes[0].axhline(edge - 0.5, color="orange", lw=3)
        axes[0].axvline(edge - 0.5, color="orange", lw=3)
    if pooled is not None:
        pooled = np.asarray(pooled)
        _annotated_grid(axes[1], pooled, f"pooled: {pooled.shape[0]}x{pooled.shape[1]} = {pooled.size} pixels")
    return figure


def _grey_levels(values: np.ndarray, vmin: float | None = None, vmax: float | None = None) -> np.ndarray:
    """Real values as uint8 grey levels: ``vmin`` black, ``vmax`` white. By default black is 0 (or the smallest
    value, if negative) and white the largest value, so an activation map shows 'off' as black; a map with
    no spread at all is black."""
    values = np.asarray(values, dtype=float)
    low = min(float(values.min()), 0.0) if vmin is None else float(vmin)
    high = float(values.max()) if vmax is None else float(vmax)
    if not np.isfinite(low) or not np.isfinite(high) or high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.round(np.clip((values - low) / (high - low), 0.0, 1.0) * 255).astype(np.uint8)


def enlargement(shape: tuple[int, ...], size: int = 260) -> int:
    """How many screen pixels a side of each value gets so an array of ``shape`` is about ``size`` across."""
    return max(1, round(size / max(shape[:2])))


def enlarged_png(values: np.ndarray, size: int = 260, vmin: float | None = None,
                 vmax: float | None = None, scale: int | None = None) -> bytes:
    """A small 2-D array (or H x W x 3 image) as a grey (or colour) PNG about ``size`` pixels across (or with
    each value ``scale`` pixels wide), each value a sharp square block (browsers blur small images they
    stretch). Values are mapped as ``_grey_levels`` does: by default 0 is black and the largest value white;
    give ``vmin``/``vmax`` for a fixed scale (0 and 1 for an image in [0, 1])."""
    values = np.asarray(values, dtype=float)
    scale = scale or enlargement(values.shape, size)
    levels = _grey_levels(values, vmin, vmax)
    return grey_png(levels.repeat(scale, axis=0).repeat(scale, axis=1))


@dataclasses.dataclass(frozen=True)
class GridLayout:
    """Where each of ``count`` maps of ``height`` x ``width`` sits in ``feature_map_grid_png``'s sheet: map i in
    row i // columns, column i % columns, each value ``scale`` pixels a side, ``gap`` pixels between maps."""

    height: int
    width: int
    count: int
    columns: int
    scale: int
    gap: int

    @property
    def rows(self) -> int:
        return -(-self.count // self.columns)

    @property
    def cell(self) -> tuple[int, int]:
        """(height, width) of a map with the gap above and left of it."""
        return self.height * self.scale + self.gap, self.width * self.scale + self.gap

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the whole sheet in pixels."""
        cell_h, cell_w = self.cell
        return self.rows * cell_h + self.gap, self.columns * cell_w + self.gap

    def origin(self, index: int) -> tuple[int, int]:
        """(top, left) of map ``index``'s first pixel."""
        cell_h, cell_w = self.cell
        return self.gap + (index // self.columns) * cell_h, self.gap + (index % self.columns) * cell_w

    def map_at(self, y: float, x: float) -> int | None:
        """The map under sheet pixel (y, x), or None in a gap or outside the sheet."""
        for index in range(self.count):
            top, left = self.origin(index)
            if top <= y < top + self.height * self.scale and left <= x < left + self.width * self.scale:
                return index
        return None


def grid_layout(shape: tuple[int, int, int], tile: int = 56, gap: int = 6, columns: int | None = None) -> GridLayout:
    """The layout of (H, W, F) maps as small multiples about ``tile`` pixels each, in a near-square grid."""
    height, width, count = shape
    return GridLayout(height, width, count, columns or int(np.ceil(np.sqrt(count))), enlargement(shape, tile), gap)


def feature_map_grid_png(maps: np.ndarray, highlight: int | None = None, tile: int = 56, gap: int = 6,
                         columns: int | None = None, colour: tuple[int, int, int] = (245, 166, 35)) -> bytes:
    """All F maps of an (H, W, F) activation array as small multiples in one PNG (laid out by ``grid_layout``),
    map 0 top left, row by row; map ``highlight`` is outlined in ``colour``. Each map is stretched on its own
    (0 black, its largest value white) and enlarged to about ``tile`` pixels by repeating pixels."""
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3:
        raise ValueError(f"feature maps must be (height, width, filters), not shape {maps.shape}.")
    layout = grid_layout(maps.shape, tile, gap, columns)
    height, width, count = maps.shape
    scale, rows, columns = layout.scale, layout.rows, layout.columns
    # Every map stretched to its own 0..largest at once, (filters, height, width), then enlarged: palette
    # indices on 255 greys, the last entry being the frame's colour.
    low = np.minimum(maps.min(axis=(0, 1)), 0.0)
    spread = maps.max(axis=(0, 1)) - low
    levels = np.where(spread > 0, (maps - low) / np.where(spread > 0, spread, 1.0), 0.0)
    levels = np.round(np.clip(levels, 0.0, 1.0) * 254).astype(np.uint8).transpose(2, 0, 1)
    levels = levels.repeat(scale, axis=1).repeat(scale, axis=2)
    white, frame_colour = 254, 255
    cell_h, cell_w = layout.cell
    cells = np.full((rows * columns, cell_h, cell_w), white, dtype=np.uint8)  # each map with a gap above-left
    cells[:count, gap:, gap:] = levels
    sheet = np.full(layout.size, white, dtype=np.uint8)
    sheet[:rows * cell_h, :columns * cell_w] = cells.reshape(rows, columns, cell_h, cell_w).transpose(
        0, 2, 1, 3).reshape(rows * cell_h, columns * cell_w)
    if highlight is not None and 0 <= highlight < count:  # a frame in the gap, so no activation is hidden under it
        border = max(1, gap // 2)
        top, left = layout.origin(highlight)
        bottom, right = top + height * scale, left + width * scale
        frame = sheet[top - border:bottom + border, left - border:right + border]
        inside = frame[border:-border, border:-border].copy()
        frame[:] = frame_colour
        frame[border:-border, border:-border] = inside
    return palette_png(sheet, np.vstack([colour_table("gray", 255), colour]))


def grid_hover_svg(maps: np.ndarray, layout: GridLayout) -> str:
    """Transparent squares over ``feature_map_grid_png``'s maps: hovering one shows its filter number, its
    largest value and how many of its pixels are active (> 0)."""
    maps = np.asarray(maps, dtype=float)
    height, width = layout.height * layout.scale, layout.width * layout.scale
    squares = []
    for index in range(layout.count):
        top, left = layout.origin(index)
        values = maps[:, :, index]
        squares.append(f'<rect x="{left}" y="{top}" width="{width}" height="{height}"><title>filter {index}: '
                       f"largest {values.max() + 0.0:.4g}, {int(np.sum(values > 0))} of {values.size} active; "
                       "click to choose it</title></rect>")
    sheet_h, sheet_w = layout.size
    return (f'<svg class="convcourse-grid-hover" width="{sheet_w}" height="{sheet_h}" '
            f'viewBox="0 0 {sheet_w} {sheet_h}" style="display: block; fill: transparent; stroke: none; '
            f'pointer-events: fill">{"".join(squares)}</svg>')


def training_curves(history: Mapping[str, list]) -> NotebookFigure:
    """Loss and accuracy per epoch from ``model.fit(...).history`` (validation curves where present)."""
    figure = NotebookFigure(figsize=(9, 3.2), layout="constrained")
    for ax, metric in zip(figure.subplots(1, 2), ("loss", "accuracy")):
        for key, style in ((metric, "o-"), (f"val_{metric}", "s--")):
            if key in history:
                values = history[key]
                ax.plot(range(1, len(values) + 1), values, style, label=key)
        ax.set_xlabel("epoch")
        ax.set_title(metric)
        ax.legend()
    return figure


def training_comparison(results: Mapping[str, tuple[float, float]]) -> NotebookFigure:
    """Test accuracy and training seconds of each model, side by side: ``{name: (accuracy, seconds)}``."""
    names = list(results)
    accuracies = [results[name][0] for name in names]
    seconds = [results[name][1] for name in names]
    figure = NotebookFigure(figsize=(9, 3.2), layout="constrained")
    left, right = figure.subplots(1, 2)
    for ax, values, title, fmt in ((left, accuracies, "test accuracy", "{:.3f}"),
                                   (right, seconds, "training time (s)", "{:.1f}")):
        bars = ax.barh(names, values, color=["#7a9cc6", "#e39a3b", "#7bb274"][:len(names)])
        ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=3)
        ax.set_title(title)
        ax.margins(x=0.25)
    left.set_xlim(min(accuracies) - 0.05 if min(accuracies) > 0.1 else 0, 1)
    return figure


def confusion_matrices(true_labels, predictions: Mapping[str, np.ndarray], class_names) -> NotebookFigure:
    """One confusion matrix per model (rows: true class, columns: predicted), on one colour scale."""
    true_labels = np.asarray(true_labels)
    count = len(class_names)
    matrices = {name: np.bincount(true_labels * count + np.asarray(predicted), minlength=count * count)
                .reshape(count, count) for name, predicted in predictions.items()}
    figure = NotebookFigure(figsize=(6.2 * len(matrices), 5.6), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(matrices)))
    top = max(matrix.max() for matrix in matrices.values())
    for ax, (name, matrix) in zip(axes, matrices.items()):
        ax.imshow(matrix, cmap="Blues", vmin=0, vmax=top)
        for (row, col), value in np.ndenumerate(matrix):
            if value:
                ax.text(col, row, str(value), ha="center", va="center", fontsize=7,
                        color="white" if value > top / 2 else "black")
        accuracy = np.trace(matrix) / matrix.sum()
        ax.set_title(f"{name}: accuracy {accuracy:.3f}")
        ax.set_xticks(range(count), class_names, rotation=60, ha="right", fontsize=8)
        ax.set_yticks(range(count), class_names, fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
    return figure


# --- Pictures for the widgets: pixel-exact, proportional, on a stated colour scale -----------------------------

MARK = (245, 166, 35)  # orange: where a learner's result differs from the reference


def pixel_scale(shape: tuple[int, ...], size: int = 256) -> int:
    """Screen pixels per array pixel so that ``shape`` is drawn about ``size`` across, never shrunk: one scale
    shared by a map and its pooled version draws the pooled one smaller, as it is."""
    return max(1, size // max(shape[:2]))


def colour_scale(values: np.ndarray) -> tuple[float, float, str]:
    """(low, high, colour map) that tell the truth about ``values``: grey from 0 (black) to the largest value
    (white) when nothing is negative; a diverging map centred on 0 (blue below, red above) when some are."""
    values = np.asarray(values, dtype=float)
    low, high = float(values.min()), float(values.max())
    if low < 0:
        reach = max(-low, high) or 1.0
        return -reach, reach, "RdBu_r"
    return 0.0, high if high > 0 else 1.0, "gray"


@functools.lru_cache(maxsize=32)
def colour_table(cmap: str, count: int = 256) -> np.ndarray:
    """(count, 3) uint8: matplotlib's colour map ``cmap`` at ``count`` evenly spaced levels (read-only)."""
    from matplotlib import colormaps

    table = (colormaps[cmap](np.linspace(0.0, 1.0, count))[:, :3] * 255).round().astype(np.uint8)
    table.flags.writeable = False
    return table


def colour_levels(values: np.ndarray, low: float, high: float, count: int = 256) -> np.ndarray:
    """uint8 indices 0..count-1 of ``values`` on the scale low..high (clipped at both ends)."""
    fraction = np.clip((np.asarray(values, dtype=float) - low) / (high - low), 0.0, 1.0)
    return np.rint(fraction * (count - 1)).astype(np.uint8)


def rgb_colours(values: np.ndarray, low: float, high: float, cmap: str) -> np.ndarray:
    """(H, W, 3) uint8 colours of ``values`` on the scale low..high of matplotlib's colour map ``cmap``."""
    return colour_table(cmap)[colour_levels(values, low, high)]


def map_png(values: np.ndarray, scale: int, low: float, high: float, cmap: str = "gray",
            marked: np.ndarray | None = None, framed: tuple[int, int] | None = None) -> bytes:
    """A 2-D array as a palette PNG, each value a sharp ``scale`` x ``scale`` block coloured on low..high;
    pixels where ``marked`` is True are painted orange (``MARK``); the pixel ``framed`` (row, col) gets an
    orange frame inside its block, so its colour still shows."""
    if marked is not None and not np.any(marked):
        marked = None
    if marked is None and framed is None:
        levels = colour_levels(values, low, high)
        return palette_png(levels.repeat(scale, axis=0).repeat(scale, axis=1), colour_table(cmap))
    # Orange takes the palette's last entry, the scale the 255 entries before it.
    levels = colour_levels(values, low, high, count=255)
    if marked is not None:
        levels[np.asarray(marked, dtype=bool)] = 255
    levels = levels.repeat(scale, axis=0).repeat(scale, axis=1)
    if framed is not None:
        top, left, width = framed[0] * scale, framed[1] * scale, max(1, scale // 5)
        block = levels[top:top + scale, left:left + scale]
        inside = block[width:-width, width:-width].copy()
        block[:] = 255
        block[width:-width, width:-width] = inside
    return palette_png(levels, np.vstack([colour_table(cmap, 255), MARK]))


def colour_bar_html(low: float, high: float, cmap: str = "gray", width: int = 200) -> str:
    """A colour bar as HTML (a CSS gradient with its end values and, for a diverging scale, 0 in the middle)."""
    stops = rgb_colours(np.linspace(low, high, 11), low, high, cmap)
    gradient = ", ".join(f"rgb({r},{g},{b})" for r, g, b in stops)
    middle = ('<span style="position: absolute; left: 50%; transform: translateX(-50%)">0</span>'
              if low < 0 < high else "")
    return (f'<div class="convcourse-colour-bar" style="width: {width}px; font: 11px monospace">'
            f'<div style="height: 10px; border: 1px solid #999; background: linear-gradient(to right, {gradient})"></div>'
            f'<div style="position: relative; height: 1.2em"><span style="position: absolute; left: 0">{low:.4g}</span>'
            f'{middle}<span style="position: absolute; right: 0">{high:.4g}</span></div></div>')


HOVER_LIMIT = 64 * 64  # values: beyond this, one SVG square per value is too much to send on every update


def closer_svg(values: np.ndarray, scale: int, low: float, high: float, cmap: str = "gray",
               origin: tuple[int, int] = (0, 0), what: str = "value", centre: tuple[int, int] | None = None) -> str:
    """A small 2-D array drawn as coloured SVG squares (``scale`` pixels each, on low..high of ``cmap``), each
    with its (row, col) counted from ``origin`` and exact value in its tooltip: a close look at part of an image
    too large for ``hover_svg``. The square at ``centre`` (row, col in ``values``) is outlined."""
    values = np.asarray(values, dtype=float)
    rows, cols = values.shape
    colours = rgb_colours(values, low, high, cmap)
    squares = "".join(f'<rect x="{col}" y="{row}" width="1" height="1" fill="rgb({r},{g},{b})"><title>'
                      f"({row + origin[0]}, {col + origin[1]}) {what} {value + 0.0:.6g}</title></rect>"
                      for (row, col), value in np.ndenumerate(values) for r, g, b in [colours[row, col]])
    frame = ""
    if centre is not None:
        frame = (f'<rect x="{centre[1] + 0.1}" y="{centre[0] + 0.1}" width="0.8" height="0.8" '
                 f'style="fill: none; stroke: rgb{MARK}; stroke-width: 0.2; pointer-events: none"/>')
    return (f'<svg class="convcourse-closer" width="{cols * scale}" height="{rows * scale}" '
            f'viewBox="0 0 {cols} {rows}" style="display: block; stroke: none; pointer-events: fill">'
            f"{squares}{frame}</svg>")


def hover_svg(values: np.ndarray, scale: int, what: str = "value") -> str:
    """Transparent squares to lay over a picture that ``map_png`` drew at ``scale``: hovering a square shows its
    (row, col) and exact value in the browser's tooltip (an SVG ``<title>``, so no JavaScript). Empty for more
    than ``HOVER_LIMIT`` values (a 512x512 photo), where the widget offers sliders instead."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.size > HOVER_LIMIT:
        return ""
    rows, cols = values.shape
    squares = "".join(f'<rect x="{col}" y="{row}" width="1" height="1"><title>({row}, {col}) {what} '
                      f"{value + 0.0:.6g}</title></rect>" for (row, col), value in np.ndenumerate(values))
    # In map units (one per value) scaled to the picture's screen pixels; transparent but hoverable over its fill
    # only, inline so no page style can give the squares a stroke that reaches over their neighbours.
    return (f'<svg class="convcourse-hover" width="{cols * scale}" height="{rows * scale}" '
            f'viewBox="0 0 {cols} {rows}" style="display: block; fill: transparent; stroke: none; '
            f'pointer-events: fill">{squares}</svg>')
