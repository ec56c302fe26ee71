"""Interactive experiments, one call each from a notebook.

Each function takes its data as arguments and returns a widget whose controls
are attributes (``stepper.slider``, ``playground.cells``...), so tests drive them
from Python exactly as a learner drives them with the mouse.

Every widget works before the lesson's exercises: it computes with a reference
(NumPy, SciPy or Keras, never the lesson's solutions) and says so in its
``notice``. Given ``yours=globals()`` from a lesson, it looks up the learner's
function by name at every update, so an answer counts as soon as its cell has run;
from then on the widget shows the learner's result beside the reference, with any
difference marked. An update that fails says why in ``problem``, in a sentence, and
clears the outputs it would have replaced, so nothing stale stays on the page.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
from dataclasses import dataclass
from typing import Callable, Mapping

import ipywidgets as w
import numpy as np
from scipy import ndimage

from . import data, plots, validate

_HIGHLIGHT = "#f5a623"
_LARGEST_SUM = 1e300  # beyond this a sum, or a rescale's max - min, can overflow float64


# --- Shared by every widget: whose numbers are shown, and updates that fail in the widget ------------------------


class Refused(ValueError):
    """An input the widget cannot show; the message says why and what to do instead."""


def _find(yours, name: str) -> Callable | None:
    """The learner's function ``name``: ``yours`` itself if it is a function, else looked up in ``yours`` (the
    notebook's globals() or a dict) now, so a cell run since the widget appeared counts; None if absent."""
    if callable(yours):
        return yours
    found = yours.get(name) if isinstance(yours, Mapping) else None
    return found if callable(found) else None


@dataclass
class _Attempt:
    """What calling the learner's function gave: ``state`` is 'missing', 'stub', 'failed' or 'ok'."""

    state: str
    result: object = None
    error: Exception | None = None


def _attempt(function: Callable | None, *args, **kwargs) -> _Attempt:
    if function is None:
        return _Attempt("missing")
    try:
        return _Attempt("ok", function(*args, **kwargs))
    except NotImplementedError:  # the release's stub
        return _Attempt("stub")
    except Exception as error:  # noqa: BLE001 - the learner's code: its error is shown, not raised
        return _Attempt("failed", error=error)


def _error_text(error: BaseException) -> str:
    message = str(error).strip()
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _notice(reference: str, name: str, offered: bool, attempt: _Attempt, comparison: str = "") -> str:
    """The line that says whose computation the widget shows: the reference's, or the learner's beside it."""
    code = f"<code>{html.escape(name)}</code>"
    if attempt.state == "ok":
        return (f'<div class="convcourse-yours" style="margin: 0.3em 0">Your {code} beside the reference '
                f"({reference}): {comparison}</div>")
    text = f'<div class="convcourse-reference" style="margin: 0.3em 0"><b>Showing the reference</b>: {reference}.'
    if offered:
        why = {"missing": f"{code} is not defined yet", "stub": f"your {code} is still the stub",
               "failed": f"your {code} failed with {html.escape(_error_text(attempt.error or Exception()))}"}
        text += (f" ({why[attempt.state]}; once it works, run its cell and this widget shows your result "
                 "beside the reference.)")
    return text + "</div>"


def _problem(sentence: str) -> str:
    return (f'<div class="convcourse-problem" style="border-left: 4px solid {_HIGHLIGHT}; padding: 0.2em 0.6em; '
            f'max-width: 48em">{sentence}</div>')


def _compared(yours: np.ndarray, reference: np.ndarray, tolerance: float) -> tuple[np.ndarray | None, str]:
    """Where the learner's array differs from the reference (a mask, or None when the shapes differ) and a
    sentence that says so."""
    if yours.shape != reference.shape:
        return None, (f'<b class="convcourse-differs">shape {yours.shape}, the reference {reference.shape}</b>; '
                      "the pixels cannot be compared.")
    differs = ~np.isclose(yours.astype(float), reference.astype(float), rtol=1e-5, atol=tolerance)
    if not differs.any():
        return differs, '<span class="convcourse-agrees">the same as the reference.</span>'
    gap = float(np.max(np.abs(yours.astype(float) - reference.astype(float))))
    return differs, (f'<b class="convcourse-differs">{int(differs.sum()):,} of {differs.size:,} pixels differ from '
                     f"the reference</b> (by up to {gap:.4g}), marked in orange.")


class _Experiment(w.VBox):
    """A widget with ``notice`` (whose computation it shows) and ``problem`` (why the last update failed).

    Subclasses draw in ``_draw`` and empty their outputs in ``_clear``; ``_redraw`` runs the first and, when it
    raises, the second, with the reason in ``problem``.
    """

    _quiet = False  # True while the widget moves its own controls: their observers must not redraw

    @contextlib.contextmanager
    def _quietly(self):
        """Set controls without each change redrawing (the caller redraws once, if at all)."""
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet

    def _redraw(self, *_) -> None:
        try:
            self._draw()
        except Refused as refusal:
            self._clear_all()
            self.problem.value = _problem(f"<b>Cannot show this:</b> {html.escape(str(refusal))}")
        except Exception as error:  # noqa: BLE001 - whatever happened, it is said here, not in a log
            self._clear_all()
            self.problem.value = _problem(
                f"<b>This update failed</b> ({html.escape(_error_text(error))}); the outputs below were cleared "
                "rather than left showing the previous settings.")
        else:
            self.problem.value = ""

    def _clear_all(self) -> None:
        self.notice.value = ""  # its comparison was about the outputs being cleared
        self._clear()

    def _draw(self) -> None:
        raise NotImplementedError

    def _clear(self) -> None:
        raise NotImplementedError


class _Weights(_Experiment):
    """An experiment on a grid of typed weights (``cells``) under a dropdown of named kernels (``preset``:
    ``presets`` and CUSTOM): choosing one loads its weights; typing a weight relabels the dropdown custom."""

    CUSTOM = "custom"

    @property
    def kernel(self) -> np.ndarray:
        """The weights in the grid, as typed."""
        return np.array([[cell.value for cell in row] for row in self.cells], dtype=float)

    def _watch_weights(self) -> None:
        self.preset.observe(self._on_preset, names="value")
        for cell in (c for row in self.cells for c in row):
            cell.observe(self._on_cell, names="value")

    def _load_preset(self) -> None:
        with self._quietly():
            for cell, value in zip((c for row in self.cells for c in row), self.presets[self.preset.value].ravel()):
                cell.value = float(value)

    def _on_preset(self, _=None) -> None:
        if self._quiet or self.preset.value == self.CUSTOM:
            return
        self._load_preset()
        self._redraw()

    def _on_cell(self, _) -> None:
        if self._quiet:
            return
        if self.preset.value != self.CUSTOM and not np.array_equal(self.kernel, self.presets[self.preset.value]):
            with self._quietly():  # relabel only: the preset's numbers must not come back
                self.preset.value = self.CUSTOM
        self._redraw()


def _picture(label: w.HTML, image: w.Widget, *more: w.Widget) -> w.VBox:
    return w.VBox([label, image, *more], layout=w.Layout(margin="0 1.2em 0.8em 0"))


def _layered(image: w.Image) -> tuple[w.GridBox, w.HTML]:
    """``image`` with an HTML layer over it (both in one grid cell, no margins, so the layer's squares lie on the
    picture's pixels) for ``plots.hover_svg``: the box to show, and the layer."""
    hover = w.HTML(layout=w.Layout(grid_area="1 / 1 / 2 / 2", margin="0", width="auto", height="auto"))
    image.layout.grid_area, image.layout.margin = "1 / 1 / 2 / 2", "0"
    # As wide as the picture, not the output area: a click's place in the box is its place in the picture.
    box = w.GridBox([image, hover], layout=w.Layout(grid_template_columns="max-content",
                                                    grid_template_rows="max-content", align_items="flex-start",
                                                    justify_items="flex-start", width="max-content"))
    return box, hover


def _on_click(box: w.Widget, size: Callable[[], tuple[int, int]], choose: Callable[[float, float], None]):
    """Call ``choose(y, x)`` with where ``box`` was clicked, in the pixels of the picture it shows (``size()``
    is that picture's (height, width)). ipyevents reports the click relative to the box, in the page's pixels,
    and the box's size, which may differ from the picture's if the page scales it. The returned Event must be
    kept: tests click through its ``_handle_mouse_msg``."""
    from ipyevents import Event  # its front end comes with the package, as JupyterLab's prebuilt extension

    def clicked(event: dict) -> None:
        height, width = size()
        box_h, box_w = event.get("boundingRectHeight") or 0, event.get("boundingRectWidth") or 0
        if height and width and box_h > 0 and box_w > 0:
            choose(event["relativeY"] * height / box_h, event["relativeX"] * width / box_w)

    clicks = Event(source=box, watched_events=["click"])
    clicks.on_dom_event(clicked)
    return clicks


# --- Lesson 01: the pixel stepper -----------------------------------------------------------------------------


def _grey_cell(value, highlighted: bool) -> str:
    """One table cell shaded like the pixel it shows."""
    grey = int(np.clip(value, 0, 255))
    ink = "#000" if grey > 110 else "#fff"
    border = f"3px solid {_HIGHLIGHT}" if highlighted else "1px solid #999"
    return (f'<td style="background: rgb({grey},{grey},{grey}); color: {ink}; border: {border}; '
            f'width: 2.6em; height: 2.2em; text-align: center; font-family: monospace">{value:g}</td>')


def _table(rows: list[str]) -> str:
    return '<table style="border-collapse: collapse; margin: 0 1.2em 0 0">' + "".join(
        f"<tr>{row}</tr>" for row in rows) + "</table>"


def _number(value: float) -> str:
    return f"{value + 0.0:g}"  # + 0.0 turns -0.0 into 0.0, so no "(-0)" is shown


def _named(value, what: str, default: str) -> dict[str, np.ndarray]:
    """A mapping of names to 2-D grids, from one grid (named ``default``) or a mapping of them."""
    if isinstance(value, Mapping):
        if not value:
            raise ValueError(f"pixel_stepper needs at least one {what}; the mapping of {what}s is empty.")
        return {str(name): validate.grid(grid, f"{what} {name!r}") for name, grid in value.items()}
    return {default: validate.grid(value, what)}


class PixelStepper(_Weights):
    """A k x k window that moves over a small image; shows each product and their sum.

    ``slider`` picks the window position (row by row, over every pixel the window fits around; its readout is
    the centre pixel's (row, col)), and ``play`` moves it step by step on its own; ``view`` is the HTML that
    shows the image, the products and the sum. ``image_choice`` picks the image (shown when there are several),
    ``preset`` a kernel (shown when there are several; "custom" once a weight is edited) and ``cells`` (k x k
    ``FloatText``) hold the weights, which can be typed; a weight that is not a finite number, or products too
    large for a float64, are refused in ``problem``. The sum is NumPy's; with ``yours``, the learner's
    ``weighted_sum`` of the same window is shown beside it.
    """

    REFERENCE = "the products and their sum by NumPy"

    def __init__(self, image, kernel, start: tuple[int, int] | None = None, yours=None):
        self.images = _named(image, "image", "image")
        self.presets = _named(kernel, "kernel", "kernel")
        shapes = {grid.shape for grid in self.presets.values()}
        if len(shapes) > 1:
            raise ValueError(f"every kernel must have the same size, since the stepper edits one grid of weights; "
                             f"got {', '.join(_size(shape) for shape in sorted(shapes))}.")
        first_kernel = next(iter(self.presets.values()))
        for name, grid in self.images.items():  # the window must fit in every image
            half = first_kernel.shape[0] // 2
            try:
                validate.pixel_window(grid, first_kernel, half, half)
            except ValueError as error:
                raise ValueError(f"image {name!r}: {error}") from None
        self.yours = yours
        size = first_kernel.shape[0]
        self.image_choice = w.Dropdown(options=list(self.images), description="image")
        self.preset = w.Dropdown(options=[*self.presets, self.CUSTOM], description="kernel")
        self.image_choice.layout.display = None if len(self.images) > 1 else "none"
        self.preset.layout.display = None if len(self.presets) > 1 else "none"
        self.cells = [[w.FloatText(layout=w.Layout(width="5em")) for _ in range(size)] for _ in range(size)]
        self.slider = w.SelectionSlider(options=[("(0, 0)", 0)], description="window at", continuous_update=True,
                                        layout=w.Layout(width="420px"))
        # The play button walks the window over the image by itself (linked in the page, one step per 0.6 s).
        self.play = w.Play(value=0, min=0, max=1, interval=600, description="animate")
        w.jslink((self.play, "value"), (self.slider, "index"))
        self.view, self.notice, self.problem = w.HTML(), w.HTML(), w.HTML()
        self._place(start)
        self._load_preset()
        self.slider.observe(self._on_change, names="value")
        self.image_choice.observe(self._on_image, names="value")
        self._watch_weights()
        weights = w.VBox([w.HTML("<b>weights</b> (type to change)"), *(w.HBox(row) for row in self.cells)])
        super().__init__([w.HBox([w.VBox([self.image_choice, self.preset]), weights]),
                          w.HBox([self.play, self.slider]), self.notice, self.problem, self.view])
        self._redraw()

    @property
    def image(self) -> np.ndarray:
        return self.images[self.image_choice.value]

    def _place(self, at: tuple[int, int] | None) -> None:
        """Positions for the current image; the window on ``at`` if it fits there, else on the first."""
        half = len(self.cells) // 2
        rows, cols = self.image.shape
        self.positions = [(r, c) for r in range(half, rows - half) for c in range(half, cols - half)]
        index = self.positions.index(at) if at in self.positions else 0
        with self._quietly():
            self.slider.options = [(f"({r}, {c})", i) for i, (r, c) in enumerate(self.positions)]
            self.slider.value = index
            self.play.max = len(self.positions) - 1
            self.play.value = index

    def _on_change(self, _=None) -> None:
        if not self._quiet:
            self._redraw()

    def _on_image(self, _) -> None:
        self._place(self.position)
        self._redraw()

    @property
    def position(self) -> tuple[int, int]:
        """(row, col) of the pixel the window is centred on."""
        return self.positions[self.slider.value]

    @property
    def window(self) -> np.ndarray:
        row, col = self.position
        half = self.kernel.shape[0] // 2
        return self.image[row - half:row + half + 1, col - half:col + half + 1]

    @property
    def products(self) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):  # too large is refused in _checked, in a sentence
            return self.window.astype(float) * self.kernel

    @property
    def total(self) -> float:
        """The filtered value of the centre pixel: the sum of the products."""
        return float(self.products.sum())

    def _clear(self) -> None:
        self.view.value = ""

    def _checked(self) -> None:
        kernel = self.kernel
        for row, col in np.argwhere(~np.isfinite(kernel)):
            raise Refused(f"the weight in row {row + 1}, column {col + 1} is {kernel[row, col]}, not a number a "
                          "window can be multiplied by; type a finite number there.")
        with np.errstate(over="ignore", invalid="ignore"):
            total = self.products.sum()
        if not np.isfinite(total) or np.abs(self.products).max() > _LARGEST_SUM:
            raise Refused(f"with weights as large as {np.abs(kernel).max():.3g} the products grow beyond what a "
                          "float64 can hold (about 1.8e308); use smaller weights.")

    def _draw(self) -> None:
        self._checked()
        row, col = self.position
        half = self.kernel.shape[0] // 2
        inside = lambda r, c: abs(r - row) <= half and abs(c - col) <= half  # noqa: E731
        picture = _table(["".join(_grey_cell(v, inside(r, c)) for c, v in enumerate(line))
                          for r, line in enumerate(self.image.tolist())])
        terms = [f"{_number(p)} x {_number(k)}" for p, k in zip(self.window.ravel().tolist(), self.kernel.ravel().tolist())]
        products = " + ".join(f"({_number(p)})" for p in self.products.ravel())
        self.view.value = (
            f'<div style="display: flex; align-items: flex-start; flex-wrap: wrap">{picture}'
            f'<div class="convcourse-stepper-sum" style="font-family: monospace; max-width: 34em">'
            f"<b>pixel ({row}, {col}), value {self.image[row, col]:g}</b> "
            f'<span class="convcourse-position">(window position {self.slider.value + 1} of '
            f"{len(self.positions)})</span><br>"
            f"{html.escape(', '.join(terms))}<br>= {html.escape(products)}<br>"
            f'<b>sum = <span class="convcourse-total">{_number(self.total)}</span></b></div></div>'
        )
        attempt = _attempt(_find(self.yours, "weighted_sum"), self.window, self.kernel)
        self.notice.value = _notice(self.REFERENCE, "weighted_sum", self.yours is not None, attempt,
                                    self._comparison(attempt))

    def _comparison(self, attempt: _Attempt) -> str:
        if attempt.state != "ok":
            return ""
        try:
            yours = float(attempt.result)
        except (TypeError, ValueError):
            return f'<b class="convcourse-differs">it returned {html.escape(repr(attempt.result)[:80])}, not one number.</b>'
        if np.isclose(yours, self.total, rtol=1e-9, atol=1e-9):
            return f'<span class="convcourse-agrees">{_number(yours)} here too.</span>'
        return f'<b class="convcourse-differs">{_number(yours)} here, the reference {_number(self.total)}.</b>'


def pixel_stepper(image, kernel, start: tuple[int, int] | None = None, yours=None) -> PixelStepper:
    """Step a kernel's window over ``image`` pixel by pixel, showing every product and the sum (NumPy's); with
    ``yours=globals()`` your ``weighted_sum`` of each window is shown beside it once you have written it.

    ``image`` and ``kernel`` are 2-D grids, or mappings of names to grids to choose from (the first shown
    first; kernels all of one size); the weights can be typed in the widget. ``start`` is the (row, col) the
    window opens on."""
    return PixelStepper(image, kernel, start, yours)


# --- Lesson 02: the kernel playground ---------------------------------------------------------------------------

def _display_reference(values: np.ndarray, mode: str) -> np.ndarray:
    """The display rule lesson 02 states: NumPy's clip to 0-255, or a straight stretch of min..max onto 0..255."""
    if mode == "clip":
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    low, high = float(values.min()), float(values.max())
    if high == low:
        return np.zeros(values.shape, dtype=np.uint8)
    return np.rint((values - low) / (high - low) * 255).astype(np.uint8)


class KernelPlayground(_Weights):
    """Pick or type a 3x3 kernel and an image; see the raw sums and the picture, clipped or rescaled.

    Controls: ``preset`` (named kernels, or "custom" once a cell is edited), ``cells`` (3x3 ``FloatText``),
    ``image_choice``, ``mode`` ('clip' / 'rescale'). The filtering is SciPy's (zero 'same' padding, fast enough
    to redraw while typing); the picture is made by the reference display rule, and by the learner's
    ``to_display`` beside it once that is written. Results: ``filtered`` (raw float sums), ``shown`` (the
    reference uint8 picture), ``yours_shown`` (the learner's, or None); pictures ``original``, ``sums`` (the raw
    sums on a colour scale, with ``sums_bar``), ``picture`` and ``your_picture``, and over each of them
    ``hover[name]`` ('original', 'sums', 'picture', 'yours'), a layer whose tooltips give each pixel's value
    (``plots.hover_svg``; empty for images over ``plots.HOVER_LIMIT`` values). For those larger images,
    ``look_row`` and ``look_col`` pick a pixel and ``closer`` shows the raw sums around it (``CLOSER`` a side),
    each value in its tooltip (hidden, with ``closer_box``, for small images).
    """

    REFERENCE = "SciPy's ndimage.correlate with zero 'same' padding, then NumPy's clip or a min-max stretch"

    def __init__(self, images: Mapping[str, np.ndarray], presets: Mapping[str, np.ndarray], yours=None):
        if not images or not presets:
            raise ValueError("kernel_playground needs at least one image and one preset kernel.")
        self.images = {name: validate.grid(image, f"image {name!r}") for name, image in images.items()}
        self.presets = {name: validate.grid(kernel, f"kernel {name!r}") for name, kernel in presets.items()}
        if any(kernel.shape != (3, 3) for kernel in self.presets.values()):
            raise ValueError("every preset kernel must be 3x3, since the playground edits a 3x3 grid.")
        self.yours, self._originals = yours, {}
        self.filtered = self.shown = self.yours_shown = None
        self.preset = w.Dropdown(options=[*self.presets, self.CUSTOM], description="kernel")
        self.image_choice = w.Dropdown(options=list(self.images), description="image")
        self.mode = w.ToggleButtons(options=["clip", "rescale"], description="display")
        self.cells = [[w.FloatText(layout=w.Layout(width="5.5em")) for _ in range(3)] for _ in range(3)]
        self.original, self.sums, self.picture, self.your_picture = (w.Image(format="png") for _ in range(4))
        self.sums_bar, self.stats, self.notice, self.problem = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        self.labels = {name: w.HTML() for name in ("original", "sums", "picture", "yours")}
        # Hover layers: each value's (row, col) and number in a tooltip, for images up to plots.HOVER_LIMIT.
        boxes, self.hover = {}, {}
        for name, image in (("original", self.original), ("sums", self.sums), ("picture", self.picture),
                            ("yours", self.your_picture)):
            boxes[name], self.hover[name] = _layered(image)
        # Too large to hover (the 512x512 photo): pick a pixel with sliders and look closer at its raw sums.
        self.look_row = w.IntSlider(min=0, max=1, description="look at row", continuous_update=False)
        self.look_col = w.IntSlider(min=0, max=1, description="look at col", continuous_update=False)
        self.closer = w.HTML()
        for slider in (self.look_row, self.look_col):
            slider.observe(lambda _: self._quiet or self._redraw(), names="value")
        self.closer_box = w.VBox([w.HBox([self.look_row, self.look_col]), self.closer])
        # A click on any of the pictures looks at the pixel clicked (the pictures share one size).
        self.clicks = {name: _on_click(boxes[name], lambda: self.images[self.image_choice.value].shape,
                                       self._look_at) for name in ("original", "sums", "picture", "yours")}
        self._watch_weights()
        for control in (self.image_choice, self.mode):
            control.observe(self._redraw, names="value")
        grid = w.VBox([w.HBox(row) for row in self.cells])
        self.yours_box = _picture(self.labels["yours"], boxes["yours"])
        pictures = w.HBox([_picture(self.labels["original"], boxes["original"]),
                           _picture(self.labels["sums"], boxes["sums"], self.sums_bar),
                           _picture(self.labels["picture"], boxes["picture"]), self.yours_box],
                          layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        super().__init__([w.HBox([w.VBox([self.preset, self.image_choice, self.mode]), grid]),
                          self.notice, self.problem, self.stats, pictures, self.closer_box])
        self._on_preset()

    def _checked_kernel(self) -> np.ndarray:
        kernel = self.kernel
        for row, col in np.argwhere(~np.isfinite(kernel)):
            raise Refused(f"the weight in row {row + 1}, column {col + 1} is {kernel[row, col]}, not a number "
                          "the filter can use; type a finite number there.")
        return kernel

    def _clear(self) -> None:
        self.filtered = self.shown = self.yours_shown = None
        for picture in (self.original, self.sums, self.picture, self.your_picture):
            picture.value = b""
        for label in (self.stats, self.sums_bar, *self.labels.values(), *self.hover.values(), self.closer):
            label.value = ""

    def _draw(self) -> None:
        kernel, mode = self._checked_kernel(), self.mode.value
        image = self.images[self.image_choice.value]
        with np.errstate(over="ignore", invalid="ignore"):
            filtered = ndimage.correlate(image.astype(float), kernel, mode="constant", cval=0.0)
        if not np.all(np.isfinite(filtered)) or np.abs(filtered).max() > _LARGEST_SUM:
            raise Refused(f"with weights as large as {np.abs(kernel).max():.3g} the sums grow beyond what a "
                          "float64 can hold (about 1.8e308); use smaller weights.")
        self.filtered, self.shown = filtered, _display_reference(filtered, mode)
        scale = plots.pixel_scale(image.shape)
        rows, cols = image.shape
        if self.image_choice.value not in self._originals:  # encoded once: it does not change with the kernel
            self._originals[self.image_choice.value] = plots.map_png(image, scale, 0, 255)
        self.original.value = self._originals[self.image_choice.value]
        self.hover["original"].value = plots.hover_svg(image, scale, "pixel")
        hint = " &middot; hover for values" if image.size <= plots.HOVER_LIMIT else ""
        self.labels["original"].value = f"<b>original</b>: {rows}x{cols}{hint}"
        low, high, cmap = plots.colour_scale(filtered)
        self.sums.value = plots.map_png(filtered, scale, low, high, cmap)
        self.hover["sums"].value = plots.hover_svg(filtered, scale, "sum")
        self._look_closer(filtered, (low, high, cmap))
        self.sums_bar.value = plots.colour_bar_html(low, high, cmap, width=min(256, cols * scale))
        self.labels["sums"].value = "<b>raw sums</b> (colour: value)"
        self.picture.value = plots.map_png(self.shown, scale, 0, 255)
        self.hover["picture"].value = plots.hover_svg(self.shown, scale, "shown as")
        self.labels["picture"].value = f"<b>shown, {mode}</b> (reference)"
        outside = int(np.sum((filtered < 0) | (filtered > 255)))
        self.stats.value = (
            f"raw sums from {filtered.min():.1f} to {filtered.max():.1f}; "
            f"{outside} of {filtered.size} pixels fall outside 0-255 and are "
            f"{'cut off' if mode == 'clip' else 'squeezed in by rescaling'}."
        )
        self._draw_yours(scale)

    CLOSER = 15  # values a side in the close look

    def _look_closer(self, filtered: np.ndarray, colours: tuple) -> None:
        """For an image too large to hover: the raw sums around the pixel the sliders pick, each value in its
        tooltip, on the sums' colour scale."""
        large = filtered.size > plots.HOVER_LIMIT
        self.closer_box.layout.display = None if large else "none"
        if not large:
            self.closer.value = ""
            return
        rows, cols = filtered.shape
        for slider, size in ((self.look_row, rows), (self.look_col, cols)):
            if slider.max != size - 1:
                with self._quietly():  # fitting the range is not a move
                    slider.max, slider.value = size - 1, min(slider.value, size - 1) or size // 2
        row, col, half = self.look_row.value, self.look_col.value, self.CLOSER // 2
        top, left = min(max(row - half, 0), max(rows - self.CLOSER, 0)), min(max(col - half, 0), max(cols - self.CLOSER, 0))
        part = filtered[top:top + self.CLOSER, left:left + self.CLOSER]
        shown = int(self.shown[row, col])
        self.closer.value = (
            f'<div style="display: flex; align-items: flex-start; gap: 1em">'
            f"{plots.closer_svg(part, 16, *colours, origin=(top, left), what='sum', centre=(row - top, col - left))}"
            f'<div class="convcourse-closer-text"><b>pixel ({row}, {col})</b>: raw sum '
            f'<span class="convcourse-closer-value">{filtered[row, col] + 0.0:.6g}</span>, shown as {shown}.<br>'
            f"The {part.shape[0]}x{part.shape[1]} raw sums around it, on the colour scale above; hover a square "
            "for its value. Click a picture above, or move the sliders, to look elsewhere.</div></div>")

    def _look_at(self, y: float, x: float) -> None:
        """A click at (y, x) image pixels: look closer at that pixel (images too large to hover only)."""
        if self.filtered is None or self.filtered.size <= plots.HOVER_LIMIT:
            return
        rows, cols = self.filtered.shape
        with self._quietly():
            self.look_row.value, self.look_col.value = min(int(y), rows - 1), min(int(x), cols - 1)
        self._redraw()

    def _draw_yours(self, scale: int) -> None:
        attempt = _attempt(_find(self.yours, "to_display"), self.filtered.copy(), self.mode.value)
        comparison = ""
        self.yours_shown = None
        if attempt.state == "ok":
            yours = np.asarray(attempt.result)
            marked, comparison = _compared(yours, self.shown, tolerance=1.0)  # rounding or truncating: one level
            if yours.dtype != np.uint8:
                comparison += f" It returned {yours.dtype}; a picture needs uint8."
            if marked is not None and yours.dtype != object:
                self.yours_shown = yours
                self.your_picture.value = plots.map_png(yours, scale, 0, 255, marked=marked)
                self.hover["yours"].value = plots.hover_svg(yours, scale, "your to_display")
                self.labels["yours"].value = f"<b>shown, {self.mode.value}</b> (your to_display)"
        if self.yours_shown is None:
            self.your_picture.value, self.labels["yours"].value, self.hover["yours"].value = b"", "", ""
        self.yours_box.layout.display = None if self.yours_shown is not None else "none"
        self.notice.value = _notice(self.REFERENCE, "to_display", self.yours is not None, attempt, comparison)


def kernel_playground(images: Mapping[str, np.ndarray], presets: Mapping[str, np.ndarray],
                      yours=None) -> KernelPlayground:
    """Try kernels on images live (SciPy filters, the reference display rule shows); with ``yours=globals()``
    your ``to_display`` is shown beside the reference once you have written it."""
    return KernelPlayground(images, presets, yours)


# --- Lesson 03: the pooling explorer ----------------------------------------------------------------------------


def _pool_reference(x: np.ndarray, size: int, stride: int, mode: str) -> np.ndarray:
    """Keras's 'valid' pooling of a 2-D float array by SciPy: output (i, j) is the max (or mean) of the size x size
    window whose top-left pixel is (i * stride, j * stride)."""
    rows, cols = ((n - size) // stride + 1 for n in x.shape)
    spread = (ndimage.maximum_filter if mode == "max" else ndimage.uniform_filter)(
        x, size=size, mode="nearest", origin=-(size // 2))  # this origin puts each window's corner on its pixel
    return spread[:(rows - 1) * stride + 1:stride, :(cols - 1) * stride + 1:stride]


class PoolingExplorer(_Experiment):
    """Filter an image, then pool it: before and after side by side, drawn to scale, with their sizes.

    Controls: ``image_choice``, ``filter_choice`` ("none" or a preset), ``size``, ``stride`` ("= size" or a
    number), ``mode`` ('max' / 'average'), ``relu`` (drop negative responses before pooling, as a Conv2D layer
    with activation='relu' does). The pooling shown is SciPy's (as Keras's 'valid' pooling computes it); the
    learner's ``max_pool2d`` / ``avg_pool2d`` beside it once written. Results: ``filtered`` and ``pooled`` (float
    arrays; ``yours_pooled`` the learner's or None), pictures ``before``, ``after`` and ``yours_after`` on one
    colour scale (``scale_bar``) and one pixel size, with value tooltips over each in ``hover['before']``,
    ``hover['after']`` and ``hover['yours']`` (small images only), and the text ``sizes``.
    """

    SAME_AS_SIZE = "= size"
    FUNCTIONS = {"max": "max_pool2d", "average": "avg_pool2d"}
    REFERENCE = "SciPy's maximum_filter / uniform_filter, sampled as Keras's 'valid' pooling places its windows"

    def __init__(self, images: Mapping[str, np.ndarray], filters: Mapping[str, np.ndarray], yours=None):
        if not images:
            raise ValueError("pooling_explorer needs at least one image.")
        self.images = {name: validate.grid(image, f"image {name!r}") for name, image in images.items()}
        self.filters = {name: validate.grid(kernel, f"filter {name!r}") for name, kernel in filters.items()}
        self.yours = yours
        self.filtered = self.pooled = self.yours_pooled = None
        self.image_choice = w.Dropdown(options=list(self.images), description="image")
        self.filter_choice = w.Dropdown(options=["none", *self.filters], description="filter")
        self.relu = w.Checkbox(value=True, description="ReLU before pooling")
        self.size = w.IntSlider(value=2, min=1, max=8, description="pool size")
        self.stride = w.Dropdown(options=[self.SAME_AS_SIZE, 1, 2, 3, 4, 8], description="stride")
        self.mode = w.ToggleButtons(options=list(self.FUNCTIONS), description="pooling")
        self.before, self.after, self.yours_after = (w.Image(format="png") for _ in range(3))
        boxes, self.hover = {}, {}  # tooltips with each value, for images up to plots.HOVER_LIMIT
        for name, image in (("before", self.before), ("after", self.after), ("yours", self.yours_after)):
            boxes[name], self.hover[name] = _layered(image)
        self.before_label, self.after_label, self.yours_label = w.HTML(), w.HTML(), w.HTML()
        self.sizes, self.scale_bar, self.notice, self.problem = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        for control in (self.image_choice, self.filter_choice, self.relu, self.size, self.stride, self.mode):
            control.observe(self._redraw, names="value")
        controls = w.HBox([w.VBox([self.image_choice, self.filter_choice, self.relu]),
                           w.VBox([self.size, self.stride, self.mode])])
        self.yours_box = _picture(self.yours_label, boxes["yours"])
        pictures = w.HBox([_picture(self.before_label, boxes["before"], self.scale_bar),
                           _picture(self.after_label, boxes["after"]), self.yours_box],
                          layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        super().__init__([controls, self.notice, self.problem, self.sizes, pictures])
        self._redraw()

    def _clear(self) -> None:
        self.filtered = self.pooled = self.yours_pooled = None
        for picture in (self.before, self.after, self.yours_after):
            picture.value = b""
        for label in (self.before_label, self.after_label, self.yours_label, self.sizes, self.scale_bar,
                      *self.hover.values()):
            label.value = ""

    def _draw(self) -> None:
        image = self.images[self.image_choice.value].astype(float)
        kernel = self.filters.get(self.filter_choice.value)
        filtered = image if kernel is None else ndimage.correlate(image, kernel, mode="constant", cval=0.0)
        if self.relu.value:
            filtered = np.maximum(filtered, 0.0)
        size = self.size.value
        stride = size if self.stride.value == self.SAME_AS_SIZE else self.stride.value
        (rows, cols), mode = filtered.shape, self.mode.value
        if size > min(rows, cols):
            raise Refused(f"a {size}x{size} pooling window does not fit inside this {rows}x{cols} image, so "
                          f"'valid' pooling has no output; choose a pool size of at most {min(rows, cols)}.")
        self.filtered, self.pooled = filtered, _pool_reference(filtered, size, stride, mode)
        (pooled_rows, pooled_cols), scale = self.pooled.shape, plots.pixel_scale(filtered.shape)
        low, high, cmap = plots.colour_scale(filtered)  # one scale for both: pooling keeps values in range
        self.before.value = plots.map_png(filtered, scale, low, high, cmap)
        self.after.value = plots.map_png(self.pooled, scale, low, high, cmap)
        self.hover["before"].value = plots.hover_svg(filtered, scale)
        self.hover["after"].value = plots.hover_svg(self.pooled, scale, "pooled")
        self.scale_bar.value = plots.colour_bar_html(low, high, cmap, width=min(256, cols * scale))
        self.before_label.value = f"<b>before</b>: {rows}x{cols}"
        self.after_label.value = f"<b>after {mode} pooling</b>: {pooled_rows}x{pooled_cols} (reference)"
        self.sizes.value = (
            f"{rows * cols:,} pixels become {pooled_rows * pooled_cols:,} "
            f"({pooled_rows * pooled_cols / (rows * cols):.1%} of them), drawn to the same scale; strongest "
            f"response {filtered.max():.1f} before, {self.pooled.max():.1f} after."
        )
        self._draw_yours(size, stride, scale, (low, high, cmap))

    def _draw_yours(self, size: int, stride: int, scale: int, colours: tuple) -> None:
        name = self.FUNCTIONS[self.mode.value]
        attempt = _attempt(_find(self.yours, name), self.filtered.copy(), size=size, stride=stride)
        comparison, self.yours_pooled = "", None
        if attempt.state == "ok":
            yours = np.asarray(attempt.result)
            marked, comparison = _compared(yours, self.pooled, tolerance=1e-6)
            if marked is not None:
                self.yours_pooled = yours.astype(float)
                self.yours_after.value = plots.map_png(yours, scale, *colours, marked=marked)
                self.hover["yours"].value = plots.hover_svg(self.yours_pooled, scale, f"your {name}")
                self.yours_label.value = f"<b>your {name}</b>: {_size(yours.shape)}"
        if self.yours_pooled is None:
            self.yours_after.value, self.yours_label.value, self.hover["yours"].value = b"", "", ""
        self.yours_box.layout.display = None if self.yours_pooled is not None else "none"
        self.notice.value = _notice(self.REFERENCE, name, self.yours is not None, attempt, comparison)


def pooling_explorer(images: Mapping[str, np.ndarray], filters: Mapping[str, np.ndarray],
                     yours=None) -> PoolingExplorer:
    """Filter and pool images interactively (the reference pools); with ``yours=globals()`` your ``max_pool2d``
    and ``avg_pool2d`` are shown beside it once you have written them."""
    return PoolingExplorer(images, filters, yours)


def _size(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


# Lesson 04's stack format: ("conv", filters, kernel_size[, padding]), ("pool", size), ("flatten",), ("dense", units).
_KERAS_NAMES = {"conv": "Conv2D", "pool": "MaxPooling2D", "flatten": "Flatten", "dense": "Dense"}
_NEW_LAYERS = {"conv": ("conv", 32, 3), "pool": ("pool", 2), "flatten": ("flatten",), "dense": ("dense", 64)}
_LARGEST = 1_000_000  # any positive size the learner types; whether it fits is layer_shapes' call, not ours


class _LayerRow(w.HBox):
    """One layer of an ``ArchitectureBuilder`` stack: its kind, its numbers, and buttons to move or remove it.

    ``numbers`` maps each field after the kind to its control; each control is also an attribute named
    like its field (``filters``, ``kernel_size``, ``padding``, ``size``, ``units``). ``up``, ``down`` and
    ``remove`` are the buttons; ``layer`` is the row as a stack tuple.
    """

    FIELDS = {"conv": ("filters", "kernel_size", "padding"), "pool": ("size",), "flatten": (), "dense": ("units",)}
    FORMATS = {"conv": '("conv", filters, kernel_size) or ("conv", filters, kernel_size, "valid" or "same")',
               "pool": '("pool", size)', "flatten": '("flatten",)', "dense": '("dense", units)'}

    def __init__(self, layer):
        kind, *values = tuple(layer) or (None,)
        if kind not in self.FIELDS:
            raise ValueError(f"unknown layer {tuple(layer)!r}: the kinds are {', '.join(map(repr, self.FIELDS))}.")
        if kind == "conv" and len(values) == 2:
            values.append("valid")
        if len(values) != len(self.FIELDS[kind]):
            raise ValueError(f"a {kind} layer is written {self.FORMATS[kind]}, not {tuple(layer)!r}.")
        self.kind, self.numbers = kind, {}
        for field, value in zip(self.FIELDS[kind], values):
            if field == "padding":
                if value not in ("valid", "same"):
                    raise ValueError(f"padding is 'valid' or 'same', not {value!r} (in {tuple(layer)!r}).")
                control = w.Dropdown(options=["valid", "same"], value=value, description="padding",
                                     style={"description_width": "initial"}, layout=w.Layout(width="11em"))
            else:
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                    raise ValueError(f"{field.replace('_', ' ')} must be a whole number of at least 1, "
                                     f"not {value!r} (in {tuple(layer)!r}).")
                control = w.BoundedIntText(value=int(value), min=1, max=_LARGEST, description=field.replace("_", " "),
                                           style={"description_width": "initial"}, layout=w.Layout(width="10em"))
            setattr(self, field, control)
            self.numbers[field] = control
        self.label = w.Label(kind, layout=w.Layout(width="4.5em"))
        self.up = w.Button(icon="arrow-up", tooltip="move this layer up", layout=w.Layout(width="2.6em"))
        self.down = w.Button(icon="arrow-down", tooltip="move this layer down", layout=w.Layout(width="2.6em"))
        self.remove = w.Button(description="remove", icon="trash", layout=w.Layout(width="7em"))
        super().__init__([self.label, *self.numbers.values(), self.up, self.down, self.remove])

    @property
    def layer(self) -> tuple:
        values = [control.value for control in self.numbers.values()]
        if self.kind == "conv" and values[-1] == "valid":
            values.pop()  # the short form, as the lesson writes a valid convolution
        return (self.kind, *values)


class ArchitectureBuilder(_Experiment):
    """Edit a stack of conv, pool, flatten and dense layers and see every layer's output shape and parameters.

    The reference numbers come from Keras (a Sequential model built from the stack); once the learner's
    ``layer_shapes(input_shape, layers)`` is written, ``table`` shows its numbers, and any that Keras disagrees
    with are marked with Keras's beside them. A stack that cannot be built is refused in ``problem`` in a
    sentence (with the learner's own message when their function refuses it too).

    Controls: ``rows`` (one ``_LayerRow`` per layer, top to bottom: ``rows[0].filters.value = 32``,
    ``rows[1].remove.click()``) and ``add_buttons`` ("conv", "pool", "flatten", "dense"). A new layer goes
    where a learner reaches for it: conv and pool at the end of the image part (just before the first
    flatten or dense layer), flatten just before the first dense layer (only while there is none: "add
    flatten" is disabled once the stack has one), dense just before the last dense layer so the output layer
    stays last; with no such layer, at the end. The arrows move a layer anywhere.
    Results: ``layers`` (the stack as tuples), ``table`` (HTML: input, one row per layer, total), ``code`` (HTML:
    the equivalent Keras model, also as text in ``keras_code``), ``total`` (the parameter count shown, or None
    while the stack has no sizes).
    """

    REFERENCE = "shapes and parameter counts from Keras, which builds this stack as a Sequential model"

    def __init__(self, yours=None, input_shape: tuple[int, ...] = (28, 28, 1), layers=None):
        input_shape = tuple(input_shape)
        if not input_shape or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
                                  for n in input_shape):
            raise ValueError(f"input_shape must be positive whole numbers such as (28, 28, 1), not {input_shape!r}.")
        self.yours, self.input_shape = yours, tuple(int(n) for n in input_shape)
        self.rows: list[_LayerRow] = []
        for layer in data.SEED_CNN if layers is None else layers:
            self._insert(len(self.rows), _LayerRow(layer))
        self.add_buttons = {kind: w.Button(description=f"add {kind}") for kind in _NEW_LAYERS}
        for kind, button in self.add_buttons.items():
            button.on_click(lambda _, kind=kind: self._add(kind))
        self.stack = w.VBox(self.rows)
        self.table, self.code, self.notice, self.problem = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        self.total: int | None = None
        heading = w.HTML(f"<b>input</b>: {html.escape(str(self.input_shape))}")
        results = w.HBox([self.table, self.code], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        super().__init__([heading, self.stack, w.HBox(list(self.add_buttons.values())), self.notice, self.problem,
                          results])
        self._redraw()

    @property
    def layers(self) -> list[tuple]:
        return [row.layer for row in self.rows]

    @property
    def keras_code(self) -> str:
        """Runnable Keras code that builds the current stack (the text shown in ``code``)."""
        lines = [f"    keras.Input(shape={self.input_shape!r}),"]
        for index, row in enumerate(self.rows):
            if row.kind == "conv":
                filters, kernel, padding = (control.value for control in row.numbers.values())
                extra = ', padding="same"' if padding == "same" else ""
                lines.append(f'    keras.layers.Conv2D({filters}, ({kernel}, {kernel}){extra}, activation="relu"),')
            elif row.kind == "pool":
                lines.append(f"    keras.layers.MaxPooling2D(({row.size.value}, {row.size.value})),")
            elif row.kind == "flatten":
                lines.append("    keras.layers.Flatten(),")
            else:  # the output layer gives class probabilities, as in lesson 05's model
                activation = "softmax" if index == len(self.rows) - 1 else "relu"
                lines.append(f'    keras.layers.Dense({row.units.value}, activation="{activation}"),')
        return "import keras\n\nmodel = keras.Sequential([\n" + "\n".join(lines) + "\n])\nmodel.summary()\n"

    def _insert(self, index: int, row: _LayerRow) -> None:
        for control in row.numbers.values():
            control.observe(self._redraw, names="value")
        row.remove.on_click(lambda _: self._remove(row))
        row.up.on_click(lambda _: self._move(row, -1))
        row.down.on_click(lambda _: self._move(row, +1))
        self.rows.insert(index, row)

    def _where_to_add(self, kind: str) -> int:
        kinds = [row.kind for row in self.rows]
        if kind in ("conv", "pool"):
            spots = [i for i, k in enumerate(kinds) if k in ("flatten", "dense")][:1]
        elif kind == "flatten":
            spots = [i for i, k in enumerate(kinds) if k == "dense"][:1]
        else:
            spots = [i for i, k in enumerate(kinds) if k == "dense"][-1:]
        return spots[0] if spots else len(kinds)

    def _add(self, kind: str) -> None:
        if kind == "flatten" and any(row.kind == "flatten" for row in self.rows):
            self.problem.value = _problem("The stack is flat already: one Flatten turns the (height, width, "
                                          "channels) grid into a vector, and a second has nothing left to do.")
            return
        self._insert(self._where_to_add(kind), _LayerRow(_NEW_LAYERS[kind]))
        self._restack()

    def _remove(self, row: _LayerRow) -> None:
        self.rows.remove(row)
        self._restack()
        for part in (*row.children, row):
            part.close()  # a removed row is gone for good; free its front-end models

    def _move(self, row: _LayerRow, step: int) -> None:
        old = self.rows.index(row)
        new = min(max(old + step, 0), len(self.rows) - 1)
        self.rows.insert(new, self.rows.pop(old))
        self._restack()

    def _restack(self) -> None:
        self.stack.children = tuple(self.rows)
        self._redraw()

    def _learners_sizes(self, attempt: _Attempt, layers: list[tuple]) -> list[tuple[str, tuple[int, ...], int]]:
        """The learner's answer, checked for form only: one (kind, shape, parameters) per layer, in order."""
        result = list(attempt.result)
        if len(result) != len(layers):
            raise TypeError(f"it returned {len(result)} entries for {len(layers)} layers; it should return one "
                            "(kind, output_shape, parameters) per layer.")
        sizes = []
        for number, (layer, entry) in enumerate(zip(layers, result), start=1):
            try:
                kind, shape, parameters = entry
                shape, parameters = tuple(int(n) for n in shape), int(parameters)
            except (TypeError, ValueError):
                raise TypeError(f"entry {number} of its result is {entry!r}; it should be "
                                "(kind, output_shape, parameters).") from None
            if kind != layer[0]:
                raise TypeError(f"entry {number} of its result says {kind!r}, but layer {number} is {layer[0]!r}.")
            sizes.append((kind, shape, parameters))
        return sizes

    def _reference(self, layers: list[tuple], attempt: _Attempt) -> list[tuple[str, tuple[int, ...], int]]:
        """Keras's sizes of the stack; a stack Keras cannot build is refused, with the learner's word on it too."""
        try:
            validate.layer_stack(self.input_shape, layers)
            sizes = list(_keras_sizes(self.input_shape, tuple(layers)))
            for number, (kind, shape, _) in enumerate(sizes, start=1):
                if min(shape) < 1:
                    raise ValueError(f"layer {number} ({kind}) would output {shape}: nothing is left of the image.")
        except ValueError as error:
            sentence = _keras_refusal(self.input_shape, layers, error)
            if attempt.state == "failed":
                sentence += f" Your layer_shapes says: {_error_text(attempt.error)}"
            elif attempt.state == "ok":
                sentence += " (Your layer_shapes returned sizes for it all the same.)"
            raise Refused(sentence) from None
        return sizes

    def _clear(self) -> None:
        self.total, self.table.value = None, ""

    def _draw(self) -> None:
        layers = self.layers
        self.add_buttons["flatten"].disabled = any(row.kind == "flatten" for row in self.rows)
        self.add_buttons["flatten"].tooltip = ("the stack is flattened once already" if
                                               self.add_buttons["flatten"].disabled else "")
        self.code.value = ('<div><b>the same model in Keras</b><pre class="convcourse-keras-code" style="margin: 0">'
                           f"{html.escape(self.keras_code)}</pre></div>")
        attempt = _attempt(_find(self.yours, "layer_shapes"), self.input_shape, list(layers))
        reference = self._reference(layers, attempt)
        shown, comparison = reference, ""
        if attempt.state == "ok":
            try:
                shown = self._learners_sizes(attempt, layers)
            except TypeError as error:
                attempt = _Attempt("failed", error=error)
        if attempt.state == "ok":
            wrong = sum(mine[1:] != keras[1:] for mine, keras in zip(shown, reference))
            comparison = ('<span class="convcourse-agrees">every shape and count as Keras computes them.</span>'
                          if not wrong else f'<b class="convcourse-differs">{wrong} of {len(shown)} layers differ from '
                          "Keras</b>, marked in orange with Keras's numbers.")
        self.notice.value = _notice(self.REFERENCE, "layer_shapes", self.yours is not None, attempt, comparison)
        self.total = sum(parameters for _, _, parameters in shown)
        self.table.value = self._table_html(shown, reference)

    def _table_html(self, shown, reference) -> str:
        cell = '<td style="border: 1px solid #999; padding: 0.2em 0.6em; text-align: {}">{}</td>'
        marked = (f'<td style="border: 2px solid {_HIGHLIGHT}; padding: 0.2em 0.6em; text-align: {{}}; '
                  f'background: #fdebd0">{{}} <small>(Keras: {{}})</small></td>')
        head = "".join(cell.format("left", f"<b>{title}</b>") for title in ("#", "layer", "output shape", "parameters"))
        rows = [head, "".join(cell.format("left", text) for text in ("", "Input", str(self.input_shape), ""))]
        for number, ((kind, shape, parameters), (_, keras_shape, keras_parameters)) in enumerate(
                zip(shown, reference), start=1):
            shape_cell = (cell.format("left", str(shape)) if shape == keras_shape
                          else marked.format("left", str(shape), str(keras_shape)))
            count_cell = (cell.format("right", f"{parameters:,}") if parameters == keras_parameters
                          else marked.format("right", f"{parameters:,}", f"{keras_parameters:,}"))
            rows.append(cell.format("right", number) + cell.format("left", _KERAS_NAMES[kind]) + shape_cell + count_cell)
        rows.append(f'<td colspan="4" style="border: 1px solid #999; padding: 0.2em 0.6em">'
                    f'<b class="convcourse-total">total parameters: {self.total:,}</b></td>')
        return ('<table class="convcourse-architecture" style="border-collapse: collapse; margin: 0 1.2em 0 0">'
                + "".join(f"<tr>{row}</tr>" for row in rows) + "</table>")


@functools.lru_cache(maxsize=128)
def _keras_sizes(input_shape: tuple[int, ...], layers: tuple[tuple, ...]) -> tuple:
    """(kind, output shape, parameters) per layer, as Keras builds the stack (cached: a rebuild takes ~50 ms)."""
    from .checks.layers import keras_layer_table  # imports Keras: only once a builder needs it

    return tuple((kind, tuple(int(n) for n in shape), int(count))
                 for kind, shape, count in keras_layer_table(input_shape, list(layers)))


def _keras_refusal(input_shape: tuple[int, ...], layers: list[tuple], error: ValueError) -> str:
    """Why a stack cannot be built, in a sentence: our own checks' message, or the first layer Keras cannot
    add (found by building ever longer stacks) with Keras's first sentence."""
    if not isinstance(error, ValueError) or "Computed output size" not in str(error) and "negative" not in str(error):
        return str(error).strip().splitlines()[0]
    for count in range(1, len(layers) + 1):
        try:
            _keras_sizes(input_shape, tuple(layers[:count]))
        except ValueError:
            reason = str(error).strip().split(". ")[0].rstrip(".")
            return (f"Keras cannot add layer {count} {layers[count - 1]!r}: its window does not fit in what the "
                    f"layers above leave ({reason}).")
    return str(error).strip().splitlines()[0]


def architecture_builder(yours=None, input_shape: tuple[int, ...] = (28, 28, 1), layers=None) -> ArchitectureBuilder:
    """Build a layer stack with buttons and see its shapes and parameters live (default: the seed CNN), as Keras
    computes them; with ``yours=globals()`` (or your function) your ``layer_shapes`` is shown once written."""
    return ArchitectureBuilder(yours, input_shape, layers)


# --- Lesson 05: the activation browser ----------------------------------------------------------------------------


def _declared_shape(layer) -> tuple[int, ...]:
    """A Keras layer's output shape without the batch axis, as the built model declares it (no computing)."""
    try:
        return tuple(int(n) for n in tuple(layer.output.shape)[1:])
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"layer {getattr(layer, 'name', layer)!r} has no known output shape; build the model "
                         "first (start it with keras.Input(shape=(28, 28, 1))).") from None


def _is_max_pooling(layer) -> bool:
    return any(cls.__name__ in ("MaxPooling2D", "MaxPool2D") for cls in type(layer).__mro__)


_KIND_WORDS = {"Conv2D": "conv", "MaxPooling2D": "max pool", "MaxPool2D": "max pool", "AveragePooling2D": "avg pool",
               "Flatten": "flatten", "Dense": "dense", "Dropout": "dropout"}


def readable_names(model) -> list[str]:
    """A name per layer by its kind and rank ('conv 1', 'max pool 1', 'conv 2'...), the same in every session
    (Keras's own names count the models built before: conv2d_8)."""
    seen: dict[str, int] = {}
    names = []
    for layer in model.layers:
        kind = _KIND_WORDS.get(type(layer).__name__, type(layer).__name__.lower())
        seen[kind] = seen.get(kind, 0) + 1
        names.append(f"{kind} {seen[kind]}")
    return names


def seed_cnn():
    """The seed page's CNN in Keras, compiled for integer labels, untrained: weights drawn from seeded
    initialisers, so they are the same every time without touching Keras's global random seed."""
    import keras

    seeded = lambda seed: keras.initializers.GlorotUniform(seed=seed)  # noqa: E731
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Conv2D(64, (3, 3), activation="relu", kernel_initializer=seeded(1)),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Conv2D(64, (3, 3), activation="relu", kernel_initializer=seeded(2)),
        keras.layers.MaxPooling2D((2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu", kernel_initializer=seeded(3)),
        keras.layers.Dense(10, activation="softmax", kernel_initializer=seeded(4)),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def model_from_stack(input_shape: tuple[int, ...], layers):
    """The Keras model of a stack in lesson 04's format, as the architecture builder's code writes it (ReLU on
    convolutions and hidden dense layers, softmax on a last dense layer), compiled for integer labels; its
    weights come from seeded initialisers, so the same stack starts the same every time."""
    import keras

    validate.layer_stack(tuple(input_shape), list(layers))
    built = [keras.Input(shape=tuple(input_shape))]
    for index, (kind, *values) in enumerate(layers):
        seeded = keras.initializers.GlorotUniform(seed=index + 1)
        if kind == "conv":
            padding = values[2] if len(values) > 2 else "valid"
            built.append(keras.layers.Conv2D(values[0], (values[1], values[1]), padding=padding, activation="relu",
                                             kernel_initializer=seeded))
        elif kind == "pool":
            built.append(keras.layers.MaxPooling2D((values[0], values[0])))
        elif kind == "flatten":
            built.append(keras.layers.Flatten())
        else:
            last = index == len(layers) - 1
            built.append(keras.layers.Dense(values[0], activation="softmax" if last else "relu",
                                            kernel_initializer=seeded))
    model = keras.Sequential(built)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


BRIEF_TRAINING_IMAGES = 3_000  # one epoch on these takes some seconds on a laptop's CPU


class ActivationBrowser(_Experiment):
    """Look inside a CNN: one image's feature maps, layer by layer, filter by filter.

    The maps shown are Keras's own layer outputs (the reference). With ``yours``, the learner's
    ``feature_maps(model, image, layer)`` (the (H, W, F) output of ``model.layers[layer]`` for one (28, 28, 1)
    image) is called for the chosen layer once written, and its chosen map shown beside Keras's, differences
    marked. Without a model (``model=None``) it browses the seed CNN, untrained, and ``train`` trains it
    briefly on Fashion-MNIST (``BRIEF_TRAINING_IMAGES`` images, one epoch) with a progress bar. Given an
    ``ArchitectureBuilder`` (``builder``), it browses the stack built there (``model_from_stack``), untrained;
    ``train`` first builds the builder's stack afresh if it has changed (``model_note`` says when it has), then
    trains it the same way; a stack that does not end in 10 class probabilities is refused in ``problem``.

    Controls: ``class_choice`` (the class names that have images), ``example`` (which image of that class; back
    to 0 when the class changes), ``layer_choice`` (the layers with (height, width, filters) outputs, labelled
    "0: conv 1 26x26x64", values the layer index) and ``filter_choice`` (0 to F - 1 for that layer).
    Results: ``image`` (the input, (28, 28, 1) in [0, 1]), ``maps`` (Keras's (H, W, F) activations),
    ``your_maps`` (the learner's, or None), pictures ``picture`` (the input), ``grid`` (all F maps, each
    stretched on its own, the chosen one outlined), ``selected`` (the chosen map, with ``scale_bar``),
    ``yours_selected``, ``pooled`` (the same filter after the next layer when that is a MaxPooling2D, drawn
    at the same pixel size, so smaller; its maps in ``pooled_maps``; otherwise hidden, with ``pooled_note``
    saying why), and ``caption`` (class, example, layer, filter, its largest value, how many pixels are active).
    ``hover['picture']``, ``hover['selected']``, ``hover['yours']`` and ``hover['pooled']`` lie over those
    pictures, each pixel's value in its tooltip; ``arithmetic``'s window and weight tables give theirs the same way.
    """

    REFERENCE = "Keras's own outputs of each layer (a model that stops at that layer)"

    def __init__(self, model, images, labels, class_names, yours=None):
        self.own_model = model is None
        self.builder = model if isinstance(model, ArchitectureBuilder) else None
        self._built_from: list[tuple] | None = None
        if self.builder is not None:
            model = self._model_from_builder()
        model = seed_cnn() if model is None else model
        if not hasattr(model, "layers"):
            raise TypeError(f"activation_browser needs a Keras model, not {type(model).__name__}.")
        images = np.asarray(images)
        if images.ndim == 3:
            images = images[..., None]
        labels = np.asarray(labels).reshape(-1)
        if images.ndim != 4 or len(images) == 0:
            raise ValueError(f"images must be (n, height, width, channels), not shape {images.shape}.")
        if len(labels) != len(images):
            raise ValueError(f"there are {len(images)} images but {len(labels)} labels.")
        self.class_names = [str(name) for name in class_names]
        if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= len(self.class_names):
            raise ValueError(f"labels must be whole numbers from 0 to {len(self.class_names) - 1} "
                             f"(one per class name), not {labels.dtype} from {labels.min()} to {labels.max()}.")
        # Raw 0-255 pixels (x_test) are scaled as lesson 05 does; images in [0, 1] are used as they are.
        scaled = np.issubdtype(images.dtype, np.integer) or images.max() > 1.0
        self.images = (images / 255.0 if scaled else images).astype(np.float32)
        if self.builder is not None and self.images.shape[1:] != self.builder.input_shape:
            raise ValueError(f"the builder's input is {self.builder.input_shape} but the images are "
                             f"{self.images.shape[1:]}; give architecture_builder(input_shape={self.images.shape[1:]}).")
        self.labels, self.yours = labels, yours
        self._adopt(model)
        self.image = self.maps = self.your_maps = self.pooled_maps = None

        present = sorted(set(labels.tolist()))
        self.class_choice = w.Dropdown(options=[(self.class_names[c], c) for c in present], description="class")
        self.example = w.IntSlider(min=0, max=0, description="example")
        self.layer_choice = w.Dropdown(options=[(f"{i}: {self.names[i]} {_size(self.shapes[i])}", i)
                                                for i in self.spatial], description="layer")
        self.filter_choice = w.IntSlider(min=0, max=self.shapes[self.spatial[0]][-1] - 1, description="filter")
        first = self.shapes[self.spatial[0]]
        self.pixel_row = w.IntSlider(min=0, max=first[0] - 1, description="pixel row")
        self.pixel_col = w.IntSlider(min=0, max=first[1] - 1, description="pixel col")
        self.arithmetic = w.HTML()
        self._pick_strongest = True  # the pixel follows the strongest response until the learner moves it
        self.picture, self.grid, self.selected, self.yours_selected, self.pooled = (
            w.Image(format="png") for _ in range(5))
        self.caption, self.selected_label, self.yours_label, self.pooled_label, self.pooled_note = (
            w.HTML() for _ in range(5))
        boxes, self.hover = {}, {}  # each pixel's value in a tooltip
        for name, image in (("picture", self.picture), ("selected", self.selected), ("yours", self.yours_selected),
                            ("pooled", self.pooled)):
            boxes[name], self.hover[name] = _layered(image)
        self.scale_bar, self.model_note, self.notice, self.problem = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        self.train = w.Button(description="train briefly", icon="play",
                              tooltip=f"one epoch on {BRIEF_TRAINING_IMAGES:,} Fashion-MNIST training images")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="training",
                                      layout=w.Layout(display="none"))
        self.train.on_click(lambda _: self._train_briefly())
        self.train.layout.display = None if self.own_model or self.builder is not None else "none"
        if self.builder is not None:  # say so when the stack shown no longer is the one browsed
            self.builder.table.observe(lambda _: self._describe_model(), names="value")
        self._follow_class()
        self.class_choice.observe(lambda _: self._update(self._follow_class), names="value")
        self.layer_choice.observe(lambda _: self._update(self._follow_layer), names="value")
        for control in (self.example, self.filter_choice):
            control.observe(lambda _: self._update(self._follow_strongest), names="value")
        for control in (self.pixel_row, self.pixel_col):
            control.observe(lambda _: self._update(self._hold_pixel), names="value")
        controls = w.HBox([w.VBox([self.class_choice, self.example]), w.VBox([self.layer_choice, self.filter_choice])])
        self.yours_box = _picture(self.yours_label, boxes["yours"])
        self.pooled_box = _picture(self.pooled_label, boxes["pooled"], self.pooled_note)
        pictures = w.HBox([_picture(w.HTML("<b>input</b>: 28x28"), boxes["picture"]),
                           _picture(self.selected_label, boxes["selected"], self.scale_bar), self.yours_box,
                           self.pooled_box], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        grid_box, self.grid_hover = _layered(self.grid)
        self._grid_layout = None  # plots.GridLayout of the grid drawn
        self.clicks = {
            "selected": _on_click(boxes["selected"], lambda: (0, 0) if self.maps is None else self.maps.shape[:2],
                                  self._click_pixel),
            "grid": _on_click(grid_box, lambda: (0, 0) if self._grid_layout is None else self._grid_layout.size,
                              self._click_filter)}
        grid = w.VBox([w.HTML("<b>every filter of this layer</b> (each stretched from 0 to its own largest "
                              "value; the chosen one outlined; click one to choose it)"), grid_box])
        pixel = w.VBox([w.HBox([self.pixel_row, self.pixel_col]), self.arithmetic])
        super().__init__([w.HBox([self.model_note, self.train, self.progress]), controls, self.notice,
                          self.problem, self.caption, pictures, pixel, grid])
        self._describe_model()
        self._redraw()

    def _adopt(self, model) -> None:
        """Browse ``model``: its layers' shapes and names, with nothing cached from a model before."""
        shapes = [_declared_shape(layer) for layer in model.layers]
        spatial = [index for index, shape in enumerate(shapes) if len(shape) == 3]
        if not spatial:
            raise ValueError("the model has no layer with (height, width, filters) output to browse.")
        self.model, self.shapes, self.spatial, self.names = model, shapes, spatial, readable_names(model)
        self._reference: dict[int, dict[int, np.ndarray]] = {}
        self._yours: dict[tuple, np.ndarray] = {}
        self._probe, self._runs = None, 0

    def _model_from_builder(self):
        """A fresh, seeded Keras model of the builder's current stack (a stack it refuses is refused here too)."""
        layers = self.builder.layers
        if self.builder.total is None:
            raise Refused("the architecture builder cannot build its stack as it stands (it says why above); "
                          "change the stack there first.")
        self._built_from = layers
        return model_from_stack(self.builder.input_shape, layers)

    def _rebuild_from_builder(self) -> None:
        """Browse the builder's current stack, untrained, with the controls fitted to its layers."""
        model = self._model_from_builder()
        self._adopt(model)
        with self._quietly():
            self.layer_choice.options = [(f"{i}: {self.names[i]} {_size(self.shapes[i])}", i) for i in self.spatial]
            self.layer_choice.value = self.spatial[0]
            self._follow_layer()

    @property
    def indices(self) -> np.ndarray:
        """Positions in ``images`` of the chosen class's examples; ``example`` picks one of them."""
        return np.flatnonzero(self.labels == self.class_choice.value)

    @property
    def index(self) -> int:
        """Position in ``images`` of the image shown."""
        return int(self.indices[self.example.value])

    @property
    def layer(self) -> int:
        return int(self.layer_choice.value)

    def _update(self, adjust: Callable | None = None) -> None:
        """Redraw once per learner action, however many controls the action moves along the way."""
        if self._quiet:
            return
        if adjust is not None:
            with self._quietly():
                adjust()
        self._redraw()

    def _follow_class(self) -> None:
        self.example.value = 0
        self.example.max = max(len(self.indices) - 1, 0)
        self._pick_strongest = True

    def _follow_layer(self) -> None:
        height, width, count = self.shapes[self.layer]
        self.filter_choice.value = min(self.filter_choice.value, count - 1)
        self.filter_choice.max = count - 1
        for slider, size in ((self.pixel_row, height), (self.pixel_col, width)):
            slider.value = min(slider.value, size - 1)
            slider.max = size - 1
        self._pick_strongest = True

    def _follow_strongest(self) -> None:
        self._pick_strongest = True

    def _hold_pixel(self) -> None:
        self._pick_strongest = False

    def _describe_model(self, trained_now: str = "") -> None:
        if self.builder is not None:
            kinds = ", ".join(self.names)
            state = trained_now or "<i>untrained</i> (seeded random weights)"
            text = f"the architecture builder's stack ({kinds}; {self.model.count_params():,} parameters), {state}."
            if self._built_from != self.builder.layers:
                text += (' <b class="convcourse-stack-changed">The builder\'s stack has changed since</b>: '
                         "<i>train briefly</i> builds the new stack and trains it.")
        elif not self.own_model:
            text = "the one passed in, as it is."
        elif trained_now:
            text = f"the seed CNN, {trained_now}."
        else:
            text = ("the seed CNN, <i>untrained</i> (seeded random weights, so its filters respond to little in "
                    "particular yet).")
        self.model_note.value = f'<span class="convcourse-model"><b>model</b>: {text}</span>'

    def _reference_maps(self, layer: int) -> np.ndarray:
        """Keras's activations of ``layer`` for the current image; every browsable layer computed in one pass."""
        if self.index not in self._reference:
            if self._probe is None:
                import keras

                self._probe = keras.Model(self.model.inputs, [self.model.layers[i].output for i in self.spatial])
            outputs = self._probe([self.images[self.index][None]], training=False)
            self._reference[self.index] = {i: np.asarray(out)[0].astype(float) for i, out in zip(self.spatial, outputs)}
        return self._reference[self.index][layer]

    def _learners_maps(self, layer: int) -> _Attempt:
        """The learner's feature_maps for the current image and ``layer`` (answers cached per function)."""
        function = _find(self.yours, "feature_maps")
        key = (function, self.index, layer)
        if function is not None and key in self._yours:
            return _Attempt("ok", self._yours[key])
        attempt = _attempt(function, self.model, self.image.copy(), layer)
        if attempt.state == "ok":
            self._yours[key] = attempt.result = np.asarray(attempt.result, dtype=float)
        return attempt

    def _clear(self) -> None:
        self.maps = self.your_maps = self.pooled_maps = self._grid_layout = None
        for picture in (self.grid, self.selected, self.yours_selected, self.pooled):
            picture.value = b""
        for label in (self.caption, self.selected_label, self.yours_label, self.pooled_label, self.pooled_note,
                      self.scale_bar, self.arithmetic, self.grid_hover, *self.hover.values()):
            label.value = ""

    def _draw(self) -> None:
        layer, chosen, name = self.layer, self.filter_choice.value, self.class_names[self.class_choice.value]
        self.image = self.images[self.index]
        grey = self.image[..., 0] if self.image.shape[-1] == 1 else self.image.mean(-1)
        self.picture.value = plots.map_png(grey, 8, 0.0, 1.0)
        self.hover["picture"].value = plots.hover_svg(grey, 8, "pixel")
        self.maps = self._reference_maps(layer)
        chosen_map = self.maps[:, :, chosen]
        if self._pick_strongest:
            self._move_pixel(*np.unravel_index(int(np.argmax(chosen_map)), chosen_map.shape))
        pixel = (self.pixel_row.value, self.pixel_col.value)
        scale = plots.pixel_scale(chosen_map.shape, 260)
        colours = plots.colour_scale(chosen_map)
        self._grid_layout = plots.grid_layout(self.maps.shape)
        self.grid.value = plots.feature_map_grid_png(self.maps, highlight=chosen)
        self.grid_hover.value = plots.grid_hover_svg(self.maps, self._grid_layout)
        self.selected.value = plots.map_png(chosen_map, scale, *colours, framed=pixel)
        self.hover["selected"].value = plots.hover_svg(chosen_map, scale, f"filter {chosen}")
        self.arithmetic.value = _pixel_arithmetic(self, layer, chosen, pixel)
        self.scale_bar.value = plots.colour_bar_html(*colours, width=min(260, chosen_map.shape[1] * scale))
        self.selected_label.value = (f"<b>filter {chosen}</b>: {_size(chosen_map.shape)} (Keras) &middot; click a "
                                     "pixel for its arithmetic")
        self._draw_pooled(layer, chosen, scale, colours)
        self._draw_yours(layer, chosen, scale, colours)
        active = int(np.sum(chosen_map > 0))
        where = (f"<b>{html.escape(name)}</b> example {self.example.value} (of 0&ndash;{len(self.indices) - 1}; "
                 f"image {self.index} of the set)")
        layer_text = f"layer {layer}: {html.escape(self.names[layer])} {_size(self.shapes[layer])}"
        self.caption.value = (
            f"{where} &middot; {layer_text} &middot; <b>filter {chosen}</b>: max "
            f'<span class="convcourse-max">{chosen_map.max():.3g}</span>, '
            f'<span class="convcourse-active">{active}</span> of {chosen_map.size} pixels active (&gt; 0)')

    def _click_pixel(self, y: float, x: float) -> None:
        """A click at (y, x) in the chosen map's pixels: show that pixel's arithmetic, as the sliders do."""
        if self.maps is None:
            return
        rows, cols = self.maps.shape[:2]
        self._move_pixel(min(int(y), rows - 1), min(int(x), cols - 1))
        self._pick_strongest = False
        self._redraw()

    def _click_filter(self, y: float, x: float) -> None:
        """A click on the grid of every filter: choose the one under it (a click in a gap does nothing)."""
        chosen = None if self._grid_layout is None else self._grid_layout.map_at(y, x)
        if chosen is not None:
            self.filter_choice.value = chosen

    def _move_pixel(self, row: int, col: int) -> None:
        """Put the pixel sliders on (row, col) without redrawing again."""
        with self._quietly():
            self.pixel_row.value, self.pixel_col.value = int(row), int(col)

    def layer_input(self, layer: int) -> np.ndarray | None:
        """What ``model.layers[layer]`` takes in for the current image: the image, or the maps of the layer
        before (None when that layer has no (height, width, channels) output)."""
        if layer == 0:
            return self.image.astype(float)
        return self._reference_maps(layer - 1) if layer - 1 in self.spatial else None

    def _draw_yours(self, layer: int, chosen: int, scale: int, colours: tuple) -> None:
        attempt, comparison = self._learners_maps(layer), ""
        self.your_maps = None
        if attempt.state == "ok":
            yours = attempt.result
            if yours.shape == (1, *self.maps.shape):
                comparison = (f'<b class="convcourse-differs">it returned shape {yours.shape}; layer {layer} gives '
                              f"{self.maps.shape}</b> (drop the batch axis: the maps of one image).")
            else:
                marked, comparison = _compared(yours, self.maps, tolerance=1e-4)
                if marked is not None:
                    self.your_maps = yours
                    self.yours_selected.value = plots.map_png(yours[:, :, chosen], scale, *colours,
                                                              marked=marked[:, :, chosen])
                    self.yours_label.value = f"<b>filter {chosen}</b>: your feature_maps"
                    self.hover["yours"].value = plots.hover_svg(yours[:, :, chosen], scale, "your feature_maps")
        if self.your_maps is None:
            self.yours_selected.value, self.yours_label.value, self.hover["yours"].value = b"", "", ""
        self.yours_box.layout.display = None if self.your_maps is not None else "none"
        self.notice.value = _notice(self.REFERENCE, "feature_maps", self.yours is not None, attempt, comparison)

    def _draw_pooled(self, layer: int, chosen: int, scale: int, colours: tuple) -> None:
        """The chosen filter after the next layer, if that layer max-pools, at the same pixel size."""
        after = layer + 1
        self.pooled_maps, self.pooled.value, self.hover["pooled"].value = None, b"", ""
        if after >= len(self.model.layers) or not _is_max_pooling(self.model.layers[after]):
            self.pooled.layout.display = "none"
            self.pooled_label.value = "<b>after pooling</b>"
            following = "the output" if after >= len(self.model.layers) else self.names[after]
            self.pooled_note.value = (f'<i class="convcourse-no-pooling">no max pooling right after this layer '
                                      f"(next: {html.escape(following)}).</i>")
            return
        self.pooled_maps = self._reference_maps(after)
        self.pooled_label.value = (f"<b>after max pooling</b> (layer {after}: {html.escape(self.names[after])}): "
                                   f"{_size(self.shapes[after][:2])}")
        self.pooled_note.value = ""
        self.pooled.value = plots.map_png(self.pooled_maps[:, :, chosen], scale, *colours)
        self.hover["pooled"].value = plots.hover_svg(self.pooled_maps[:, :, chosen], scale, f"filter {chosen}")
        self.pooled.layout.display = None

    def _train_briefly(self) -> None:
        """One epoch of the browser's own CNN on a seeded subset of Fashion-MNIST, the progress bar following."""
        import keras

        from .training import seeded_subset

        progress = self.progress

        class Progress(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                progress.value = batch + 1

        try:
            if self.builder is not None and self._built_from != self.builder.layers:
                self._rebuild_from_builder()
                self._describe_model()
                self._redraw()  # the new stack's maps, untrained, whether or not it can be trained
            self._check_trainable()
        except ValueError as refusal:  # Refused too
            self.problem.value = _problem(f"<b>Cannot train this model:</b> {html.escape(str(refusal))}")
            return
        self.train.disabled = True
        try:
            (x_train, y_train), _, _ = data.fashion_mnist()
            images, labels = seeded_subset(x_train, y_train, BRIEF_TRAINING_IMAGES, seed=3)
            batches = -(-len(images) // 64)
            progress.max, progress.value, progress.layout.display = batches, 0, None
            history = self.model.fit((images / 255.0).astype(np.float32)[..., None], labels, epochs=1, batch_size=64,
                                     verbose=0, callbacks=[Progress()])
        except Exception as error:  # noqa: BLE001 - shown in the widget, like any failed update
            self.problem.value = _problem(f"<b>Training failed</b> ({html.escape(_error_text(error))}).")
            return
        finally:
            self.train.disabled = False
        self._reference.clear()
        self._yours.clear()
        accuracy = history.history.get("accuracy", [float("nan")])[-1]
        self._runs += 1
        self._describe_model(f"trained {self._runs} time(s) on {BRIEF_TRAINING_IMAGES:,} images for one epoch "
                             f"(training accuracy {accuracy:.2f})")
        self._redraw()

    def _check_trainable(self) -> None:
        """Fashion-MNIST has 10 classes: the model must end in 10 class probabilities to learn them."""
        classes = len(data.FASHION_MNIST_CLASSES)
        last = self.model.layers[-1]
        if _declared_shape(last) != (classes,):
            raise Refused(f"to learn Fashion-MNIST's {classes} classes the model must end in a dense layer of "
                          f"{classes} units; it ends in {self.names[-1]} with output {_size(_declared_shape(last))}.")


def _numbers_table(values: np.ndarray, title: str) -> str:
    """A small grid of numbers, each cell shaded on the grid's colour scale, its place and exact value in its
    tooltip (the kernel's weights and the input patch of the activation browser)."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    finite = values[np.isfinite(values)]
    low, high, cmap = plots.colour_scale(finite if finite.size else np.zeros(1))
    colours = plots.rgb_colours(np.nan_to_num(values, nan=low), low, high, cmap)
    plain = html.escape(re.sub(r"<[^>]+>", "", title))
    rows = []
    for row, line in enumerate(values):
        cells = []
        for col, value in enumerate(line):
            red, green, blue = (int(c) for c in colours[row, col])
            ink = "#000" if 0.299 * red + 0.587 * green + 0.114 * blue > 110 else "#fff"
            cells.append(f'<td title="{plain} ({row}, {col}): {value + 0.0:.6g}" style="border: 1px solid #999; '
                         f"padding: 0.1em 0.4em; text-align: right; font-family: monospace; "
                         f'background: rgb({red},{green},{blue}); color: {ink}">{value + 0.0:.3g}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f'<div style="margin: 0 1em 0.4em 0"><div><b>{title}</b></div>'
            f'<table class="convcourse-numbers" style="border-collapse: collapse">{"".join(rows)}</table></div>')


def _windows_start(layer, size: int, n_in: int, n_out: int) -> tuple[int, int]:
    """(stride, zeros before) of a Keras conv or pooling layer along one side ('same' pads total // 2 before)."""
    config = layer.get_config()
    stride = int(config.get("strides", (1, 1))[0])
    before = 0
    if config.get("padding") == "same":
        before = max((n_out - 1) * stride + size - n_in, 0) // 2
    return stride, before


def _window(inputs: np.ndarray, size: int, stride: int, before: int, pixel: tuple[int, int], fill: float):
    """The size x size (x channels) window of ``inputs`` that output ``pixel`` sees, padding with ``fill``."""
    padded = np.pad(inputs, ((before, size), (before, size), (0, 0)), constant_values=fill)
    top, left = pixel[0] * stride, pixel[1] * stride
    return padded[top:top + size, left:left + size, :]


def _activated(layer, z: float) -> tuple[float, str]:
    from .activations import activation_name

    name = activation_name(layer) or "linear"
    if name == "relu":
        return max(z, 0.0), "ReLU"
    if name == "linear":
        return z, "no activation"
    return float(np.asarray(layer.activation(np.array([[z]], dtype=np.float32))).ravel()[0]), name


def _pixel_arithmetic(browser: ActivationBrowser, layer: int, chosen: int, pixel: tuple[int, int]) -> str:
    """How the chosen map's pixel is computed from the layer's input: a convolution's window, weights, products
    and sum (lesson 01's arithmetic, summed over input channels), or a pooling window and its largest value."""
    keras_layer, inputs = browser.model.layers[layer], browser.layer_input(layer)
    value = float(browser.maps[pixel[0], pixel[1], chosen])
    head = f"<b>pixel ({pixel[0]}, {pixel[1]}) of filter {chosen}</b> = {value:.4g} (Keras). "
    kind = type(keras_layer).__name__
    if inputs is None or kind not in ("Conv2D", "MaxPooling2D", "MaxPool2D"):
        return f'<div class="convcourse-arithmetic">{head}<i>No arithmetic shown for a {kind} layer.</i></div>'
    if kind == "Conv2D":
        weights = keras_layer.get_weights()
        kernel, bias = weights[0][:, :, :, chosen], (float(weights[1][chosen]) if len(weights) > 1 else 0.0)
        size = kernel.shape[0]
        stride, before = _windows_start(keras_layer, size, inputs.shape[0], browser.maps.shape[0])
        patch = _window(inputs, size, stride, before, pixel, 0.0)
        sums = (patch * kernel).sum(axis=(0, 1))
        z = float(sums.sum()) + bias
        result, activation = _activated(keras_layer, z)
        source = "the input image" if layer == 0 else f"layer {layer - 1} ({html.escape(browser.names[layer - 1])})"
        if patch.shape[-1] == 1:
            tables = (_numbers_table(patch[:, :, 0], f"window of {source}") + _numbers_table(kernel[:, :, 0], "weights")
                      + _numbers_table(patch[:, :, 0] * kernel[:, :, 0], "window x weights"))
            sums_text = f"sum of the products {sums.sum():.4g}"
        else:
            top = np.argsort(-np.abs(sums))[:3]
            strongest = int(top[0])
            tables = (_numbers_table(patch[:, :, strongest], f"window of {source}, channel {strongest}")
                      + _numbers_table(kernel[:, :, strongest], f"weights for channel {strongest}"))
            parts = ", ".join(f"channel {c}: {sums[c]:.3g}" for c in top)
            sums_text = (f"one weighted sum per input channel, as in lesson 01 ({parts}, and "
                         f"{len(sums) - len(top)} more), all added: {sums.sum():.4g}")
        agrees = np.isclose(result, value, rtol=1e-3, atol=1e-5)
        verdict = ("= Keras's value" if agrees else f"differs from Keras's {value:.4g}")
        text = f"{sums_text}; + bias {bias:.3g} = {z:.4g}; {activation}: <b>{result:.4g}</b> {verdict}."
    else:
        size = int(keras_layer.get_config()["pool_size"][0])
        stride, before = _windows_start(keras_layer, size, inputs.shape[0], browser.maps.shape[0])
        patch = _window(inputs[:, :, chosen:chosen + 1], size, stride, before, pixel, -np.inf)[:, :, 0]
        tables = _numbers_table(np.where(np.isfinite(patch), patch, np.nan),
                                f"window of layer {layer - 1} ({html.escape(browser.names[layer - 1])}), filter {chosen}")
        largest = float(np.max(patch))
        agrees = np.isclose(largest, value, rtol=1e-5, atol=1e-7)
        verdict = "= Keras's value" if agrees else f"differs from Keras's {value:.4g}"
        text = f"the largest of the window: <b>{largest:.4g}</b> {verdict}."
    return (f'<div class="convcourse-arithmetic">{head}<div style="display: flex; flex-wrap: wrap">{tables}</div>'
            f'<span class="{"convcourse-agrees" if agrees else "convcourse-differs"}">{text}</span></div>')


def activation_browser(model, images, labels, class_names, yours=None) -> ActivationBrowser:
    """Browse the feature maps of ``model`` (None: the seed CNN, untrained, with a button that trains it
    briefly; an ``architecture_builder``: the stack built there, which the button builds afresh and trains)
    image by image, as Keras computes them; with ``yours=globals()`` your ``feature_maps`` is shown beside them
    once you have written it."""
    return ActivationBrowser(model, images, labels, class_names, yours)
