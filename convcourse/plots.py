"""Plots the notebooks show, one call each.

Every function takes its data as arguments and returns a matplotlib figure, built
without pyplot (so nothing is drawn twice and tests can inspect it); Jupyter shows a
returned figure as a picture through its ``_repr_png_``.
"""

from __future__ import annotations

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
    """A uint8 image encoded as an 8-bit grey PNG (for ``ipywidgets.Image``), exactly one level per value."""
    from PIL import Image  # Pillow comes with matplotlib

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="png")  # 2-D uint8: 8-bit grey
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
