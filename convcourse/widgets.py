"""Interactive experiments, one call each from a notebook.

Each function takes its data as arguments and returns a widget whose controls
are attributes (``stepper.slider``, ``playground.cells``...), so tests drive them
from Python exactly as a learner drives them with the mouse.
"""

from __future__ import annotations

import html
from typing import Callable, Mapping

import ipywidgets as w
import numpy as np
from scipy import ndimage

from . import data, plots, validate

_HIGHLIGHT = "#f5a623"


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


class PixelStepper(w.VBox):
    """A k x k window that moves over a small image; shows each product and their sum.

    ``slider`` picks the window position (row by row, over every pixel the window
    fits around); ``view`` is the HTML that shows the image, the products and the sum.
    """

    def __init__(self, image, kernel, start: tuple[int, int] | None = None):
        image = validate.grid(image, "image")
        kernel = validate.grid(kernel, "kernel")
        validate.pixel_window(image, kernel, kernel.shape[0] // 2, kernel.shape[0] // 2)
        self.image, self.kernel = image, kernel
        half = kernel.shape[0] // 2
        self.positions = [(r, c) for r in range(half, image.shape[0] - half)
                          for c in range(half, image.shape[1] - half)]
        first = self.positions.index(start) if start in self.positions else 0
        self.slider = w.IntSlider(value=first, min=0, max=len(self.positions) - 1, description="window",
                                  continuous_update=True, readout=False, layout=w.Layout(width="420px"))
        self.view = w.HTML()
        self.slider.observe(lambda _: self._draw(), names="value")
        super().__init__([self.slider, self.view])
        self._draw()

    @property
    def position(self) -> tuple[int, int]:
        """(row, col) of the pixel the window is centred on."""
        return self.positions[self.slider.value]

    @property
    def products(self) -> np.ndarray:
        row, col = self.position
        half = self.kernel.shape[0] // 2
        window = self.image[row - half:row + half + 1, col - half:col + half + 1].astype(float)
        return window * self.kernel

    @property
    def total(self) -> float:
        """The filtered value of the centre pixel: the sum of the products."""
        return float(self.products.sum())

    def _draw(self) -> None:
        row, col = self.position
        half = self.kernel.shape[0] // 2
        inside = lambda r, c: abs(r - row) <= half and abs(c - col) <= half  # noqa: E731
        picture = _table(["".join(_grey_cell(v, inside(r, c)) for c, v in enumerate(line))
                          for r, line in enumerate(self.image.tolist())])
        window = self.image[row - half:row + half + 1, col - half:col + half + 1]
        terms = [f"{p:g} x {k:g}" for p, k in zip(window.ravel().tolist(), self.kernel.ravel().tolist())]
        products = " + ".join(f"({p:g})" for p in self.products.ravel())
        self.view.value = (
            f'<div style="display: flex; align-items: flex-start; flex-wrap: wrap">{picture}'
            f'<div class="convcourse-stepper-sum" style="font-family: monospace; max-width: 34em">'
            f"<b>pixel ({row}, {col}), value {self.image[row, col]:g}</b> "
            f'<span class="convcourse-position">(window position {self.slider.value + 1} of '
            f"{len(self.positions)})</span><br>"
            f"{html.escape(', '.join(terms))}<br>= {html.escape(products)}<br>"
            f'<b>sum = <span class="convcourse-total">{self.total:g}</span></b></div></div>'
        )


def pixel_stepper(image, kernel, start: tuple[int, int] | None = None) -> PixelStepper:
    """Step a kernel's window over ``image`` pixel by pixel, showing every product and the sum."""
    return PixelStepper(image, kernel, start)


def _correlate_same_with_scipy(image, kernel, stride=1, padding="same"):
    """Cross-correlation with zero 'same' padding, by SciPy (fast enough to redraw while typing)."""
    return ndimage.correlate(np.asarray(image, dtype=float), kernel, mode="constant", cval=0.0)


class KernelPlayground(w.VBox):
    """Pick or type a 3x3 kernel and an image; see the filtered image, clipped or rescaled.

    Controls: ``preset`` (named kernels, or "custom" once a cell is edited), ``cells``
    (3x3 ``FloatText``), ``image_choice``, ``mode`` ('clip' / 'rescale'). Results:
    ``filtered`` (raw float sums), ``shown`` (the uint8 picture), ``picture`` (its PNG).
    """

    CUSTOM = "custom"

    def __init__(self, images: Mapping[str, np.ndarray], presets: Mapping[str, np.ndarray],
                 display: Callable, correlate: Callable | None = None):
        if not images or not presets:
            raise ValueError("kernel_playground needs at least one image and one preset kernel.")
        self.images = {name: validate.grid(image, f"image {name!r}") for name, image in images.items()}
        self.presets = {name: validate.grid(kernel, f"kernel {name!r}") for name, kernel in presets.items()}
        if any(kernel.shape != (3, 3) for kernel in self.presets.values()):
            raise ValueError("every preset kernel must be 3x3, since the playground edits a 3x3 grid.")
        self.display, self.correlate = display, correlate or _correlate_same_with_scipy
        self.preset = w.Dropdown(options=[*self.presets, self.CUSTOM], description="kernel")
        self.image_choice = w.Dropdown(options=list(self.images), description="image")
        self.mode = w.ToggleButtons(options=["clip", "rescale"], description="display")
        self.cells = [[w.FloatText(layout=w.Layout(width="5.5em")) for _ in range(3)] for _ in range(3)]
        self.original, self.picture = w.Image(format="png"), w.Image(format="png")
        self.stats = w.HTML()
        self._loading_preset = False
        for cell in (c for row in self.cells for c in row):
            cell.observe(self._on_cell, names="value")
        self.preset.observe(self._on_preset, names="value")
        for control in (self.image_choice, self.mode):
            control.observe(lambda _: self._draw(), names="value")
        grid = w.VBox([w.HBox(row) for row in self.cells])
        pictures = w.HBox([w.VBox([w.HTML("<b>original</b>"), self.original]),
                           w.VBox([w.HTML("<b>filtered</b>"), self.picture])])
        super().__init__([w.HBox([w.VBox([self.preset, self.image_choice, self.mode]), grid]), self.stats, pictures])
        self._on_preset()

    @property
    def kernel(self) -> np.ndarray:
        return np.array([[cell.value for cell in row] for row in self.cells], dtype=float)

    def _on_preset(self, _=None) -> None:
        if self.preset.value == self.CUSTOM:
            return
        self._loading_preset = True
        for cell, value in zip((c for row in self.cells for c in row), self.presets[self.preset.value].ravel()):
            cell.value = float(value)
        self._loading_preset = False
        self._draw()

    def _on_cell(self, _) -> None:
        if self._loading_preset:
            return
        if self.preset.value != self.CUSTOM and not np.array_equal(self.kernel, self.presets[self.preset.value]):
            self._loading_preset = True  # switching the label must not reload the preset's numbers
            self.preset.value = self.CUSTOM
            self._loading_preset = False
        self._draw()

    def _draw(self) -> None:
        image = self.images[self.image_choice.value]
        self.filtered = np.asarray(self.correlate(image, self.kernel, 1, "same"), dtype=float)
        self.shown = np.asarray(self.display(self.filtered, self.mode.value))
        self.original.value = plots.grey_png(image)
        self.picture.value = plots.grey_png(self.shown)
        outside = int(np.sum((self.filtered < 0) | (self.filtered > 255)))
        self.stats.value = (
            f"raw sums from {self.filtered.min():.1f} to {self.filtered.max():.1f}; "
            f"{outside} of {self.filtered.size} pixels fall outside 0-255 and are "
            f"{'cut off' if self.mode.value == 'clip' else 'squeezed in by rescaling'}."
        )


def kernel_playground(images: Mapping[str, np.ndarray], presets: Mapping[str, np.ndarray],
                      display: Callable, correlate: Callable | None = None) -> KernelPlayground:
    """Try kernels on images live. ``display(values, mode)`` turns raw sums into a uint8 picture
    (pass your ``to_display``); ``correlate`` defaults to SciPy with zero 'same' padding."""
    return KernelPlayground(images, presets, display, correlate)


class PoolingExplorer(w.VBox):
    """Filter an image, then pool it: before and after side by side, with their sizes.

    Controls: ``image_choice``, ``filter_choice`` ("none" or a preset), ``size``, ``stride``
    ("= size" or a number), ``mode`` ('max' / 'average'), ``relu`` (drop negative responses
    before pooling, as a Conv2D layer with activation='relu' does). Results: ``filtered``
    and ``pooled`` (float arrays), ``before`` and ``after`` (their pictures), ``sizes``.
    """

    SAME_AS_SIZE = "= size"

    def __init__(self, images: Mapping[str, np.ndarray], filters: Mapping[str, np.ndarray],
                 max_pool: Callable, avg_pool: Callable):
        if not images:
            raise ValueError("pooling_explorer needs at least one image.")
        self.images = {name: validate.grid(image, f"image {name!r}") for name, image in images.items()}
        self.filters = {name: validate.grid(kernel, f"filter {name!r}") for name, kernel in filters.items()}
        self.pools = {"max": max_pool, "average": avg_pool}
        self.image_choice = w.Dropdown(options=list(self.images), description="image")
        self.filter_choice = w.Dropdown(options=["none", *self.filters], description="filter")
        self.relu = w.Checkbox(value=True, description="ReLU before pooling")
        self.size = w.IntSlider(value=2, min=1, max=8, description="pool size")
        self.stride = w.Dropdown(options=[self.SAME_AS_SIZE, 1, 2, 3, 4, 8], description="stride")
        self.mode = w.ToggleButtons(options=list(self.pools), description="pooling")
        self.before, self.after = w.Image(format="png"), w.Image(format="png")
        self.before_label, self.after_label, self.sizes = w.HTML(), w.HTML(), w.HTML()
        for control in (self.image_choice, self.filter_choice, self.relu, self.size, self.stride, self.mode):
            control.observe(lambda _: self._draw(), names="value")
        controls = w.HBox([w.VBox([self.image_choice, self.filter_choice, self.relu]),
                           w.VBox([self.size, self.stride, self.mode])])
        pictures = w.HBox([w.VBox([self.before_label, self.before]), w.VBox([self.after_label, self.after])],
                          layout=w.Layout(align_items="flex-start"))
        super().__init__([controls, self.sizes, pictures])
        self._draw()

    def _draw(self) -> None:
        image = self.images[self.image_choice.value].astype(float)
        kernel = self.filters.get(self.filter_choice.value)
        self.filtered = image if kernel is None else ndimage.correlate(image, kernel, mode="constant", cval=0.0)
        if self.relu.value:
            self.filtered = np.maximum(self.filtered, 0.0)
        stride = None if self.stride.value == self.SAME_AS_SIZE else self.stride.value
        try:
            self.pooled = np.asarray(self.pools[self.mode.value](self.filtered, size=self.size.value, stride=stride),
                                     dtype=float)
        except Exception as error:  # noqa: BLE001 - the learner's function: show its error in the widget
            self.pooled = None
            self.sizes.value = f"<b>cannot pool:</b> {type(error).__name__}: {html.escape(str(error))}"
            return
        (rows, cols), (pooled_rows, pooled_cols) = self.filtered.shape, self.pooled.shape
        self.before.value, self.after.value = plots.stretched_png(self.filtered), plots.stretched_png(self.pooled)
        self.before_label.value = f"<b>before</b>: {rows}x{cols}"
        self.after_label.value = f"<b>after {self.mode.value} pooling</b>: {pooled_rows}x{pooled_cols}"
        self.sizes.value = (
            f"{rows * cols:,} pixels become {pooled_rows * pooled_cols:,} "
            f"({pooled_rows * pooled_cols / (rows * cols):.1%} of them); strongest response "
            f"{self.filtered.max():.1f} before, {self.pooled.max():.1f} after."
        )


def pooling_explorer(images: Mapping[str, np.ndarray], filters: Mapping[str, np.ndarray],
                     max_pool: Callable, avg_pool: Callable) -> PoolingExplorer:
    """Filter and pool images interactively with your ``max_pool2d`` and ``avg_pool2d``."""
    return PoolingExplorer(images, filters, max_pool, avg_pool)


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


class ArchitectureBuilder(w.VBox):
    """Edit a stack of conv, pool, flatten and dense layers; the learner's ``layer_shapes`` sizes it live.

    The widget never computes a shape itself: every output shape and parameter count in ``table``
    comes from ``layer_shapes(input_shape, layers)``, so the learner sees their own function at work.
    When it raises (a ValueError for a stack that cannot be built, or anything else, such as the stub's
    NotImplementedError), ``table`` shows the exception's type and message instead.

    Controls: ``rows`` (one ``_LayerRow`` per layer, top to bottom: ``rows[0].filters.value = 32``,
    ``rows[1].remove.click()``) and ``add_buttons`` ("conv", "pool", "flatten", "dense"). A new layer goes
    where a learner reaches for it: conv and pool at the end of the image part (just before the first
    flatten or dense layer), flatten just before the first dense layer, dense just before the last dense
    layer so the output layer stays last; with no such layer, at the end. The arrows move a layer anywhere.
    Results: ``layers`` (the stack as tuples), ``table`` (HTML: input, one row per layer, total),
    ``code`` (HTML: the equivalent Keras model, also as text in ``keras_code``), ``total`` (the
    parameter count, or None while the stack has no sizes).
    """

    def __init__(self, layer_shapes: Callable, input_shape: tuple[int, ...] = (28, 28, 1), layers=None):
        if not callable(layer_shapes):
            raise TypeError(f"architecture_builder needs your layer_shapes function, not {layer_shapes!r}.")
        input_shape = tuple(input_shape)
        if not input_shape or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1
                                  for n in input_shape):
            raise ValueError(f"input_shape must be positive whole numbers such as (28, 28, 1), not {input_shape!r}.")
        self.layer_shapes, self.input_shape = layer_shapes, tuple(int(n) for n in input_shape)
        self.rows: list[_LayerRow] = []
        for layer in data.SEED_CNN if layers is None else layers:
            self._insert(len(self.rows), _LayerRow(layer))
        self.add_buttons = {kind: w.Button(description=f"add {kind}") for kind in _NEW_LAYERS}
        for kind, button in self.add_buttons.items():
            button.on_click(lambda _, kind=kind: self._add(kind))
        self.stack = w.VBox(self.rows)
        self.table, self.code = w.HTML(), w.HTML()
        self.total: int | None = None
        heading = w.HTML(f"<b>input</b>: {html.escape(str(self.input_shape))}")
        results = w.HBox([self.table, self.code], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        super().__init__([heading, self.stack, w.HBox(list(self.add_buttons.values())), results])
        self._draw()

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
            control.observe(lambda _: self._draw(), names="value")
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
        self._draw()

    def _sizes(self, layers: list[tuple]) -> list[tuple[str, tuple[int, ...], int]]:
        """The learner's answer, checked for form only: one (kind, shape, parameters) per layer, in order."""
        result = list(self.layer_shapes(self.input_shape, list(layers)))
        if len(result) != len(layers):
            raise TypeError(f"layer_shapes returned {len(result)} entries for {len(layers)} layers; "
                            "it should return one (kind, output_shape, parameters) per layer.")
        sizes = []
        for number, (layer, entry) in enumerate(zip(layers, result), start=1):
            try:
                kind, shape, parameters = entry
                shape, parameters = tuple(int(n) for n in shape), int(parameters)
            except (TypeError, ValueError):
                raise TypeError(f"entry {number} of layer_shapes' result is {entry!r}; "
                                "it should be (kind, output_shape, parameters).") from None
            if kind != layer[0]:
                raise TypeError(f"entry {number} of layer_shapes' result says {kind!r}, but layer {number} "
                                f"is {layer[0]!r}.")
            sizes.append((kind, shape, parameters))
        return sizes

    def _draw(self) -> None:
        layers = self.layers
        self.code.value = ('<div><b>the same model in Keras</b><pre class="convcourse-keras-code" style="margin: 0">'
                           f"{html.escape(self.keras_code)}</pre></div>")
        try:
            sizes = self._sizes(layers)
        except Exception as error:  # noqa: BLE001 - the learner's function: show its error in the widget
            self.total = None
            lead = "cannot build this stack" if isinstance(error, ValueError) else "layer_shapes failed"
            self.table.value = (f'<div class="convcourse-architecture-error" style="max-width: 36em">'
                                f"<b>{lead}:</b> {type(error).__name__}: {html.escape(str(error))}</div>")
            return
        self.total = sum(parameters for _, _, parameters in sizes)
        cell = '<td style="border: 1px solid #999; padding: 0.2em 0.6em; text-align: {}">{}</td>'
        head = "".join(cell.format("left", f"<b>{title}</b>") for title in ("#", "layer", "output shape", "parameters"))
        rows = [head, "".join(cell.format("left", text) for text in ("", "Input", str(self.input_shape), ""))]
        for number, (kind, shape, parameters) in enumerate(sizes, start=1):
            rows.append(cell.format("right", number) + cell.format("left", _KERAS_NAMES[kind])
                        + cell.format("left", str(shape)) + cell.format("right", f"{parameters:,}"))
        rows.append(f'<td colspan="4" style="border: 1px solid #999; padding: 0.2em 0.6em">'
                    f'<b class="convcourse-total">total parameters: {self.total:,}</b></td>')
        self.table.value = ('<table class="convcourse-architecture" style="border-collapse: collapse; '
                            'margin: 0 1.2em 0 0">' + "".join(f"<tr>{row}</tr>" for row in rows) + "</table>")


def architecture_builder(layer_shapes: Callable, input_shape: tuple[int, ...] = (28, 28, 1),
                         layers=None) -> ArchitectureBuilder:
    """Build a layer stack with buttons and see your ``layer_shapes`` size it live (default: the seed CNN)."""
    return ArchitectureBuilder(layer_shapes, input_shape, layers)


def _declared_shape(layer) -> tuple[int, ...]:
    """A Keras layer's output shape without the batch axis, as the built model declares it (no computing)."""
    try:
        return tuple(int(n) for n in tuple(layer.output.shape)[1:])
    except (AttributeError, TypeError, ValueError):
        raise ValueError(f"layer {getattr(layer, 'name', layer)!r} has no known output shape; build the model "
                         "first (start it with keras.Input(shape=(28, 28, 1))).") from None


def _is_max_pooling(layer) -> bool:
    return any(cls.__name__ in ("MaxPooling2D", "MaxPool2D") for cls in type(layer).__mro__)


def _size(shape: tuple[int, ...]) -> str:
    return "x".join(str(n) for n in shape)


class ActivationBrowser(w.VBox):
    """Look inside a trained CNN: one image's feature maps, layer by layer, filter by filter.

    The widget never runs the model itself: every activation it shows comes from the learner's
    ``feature_maps(model, image, layer)``, which returns the (H, W, F) output of ``model.layers[layer]``
    for one (28, 28, 1) image. When it raises (the stub's NotImplementedError, say) or returns the wrong
    shape, ``caption`` shows the error and the pictures are left empty. Its answers are cached per
    (image, layer), so moving ``filter_choice`` only redraws.

    Controls: ``class_choice`` (the class names that have images), ``example`` (which image of that class;
    back to 0 when the class changes), ``layer_choice`` (the conv and pooling layers, labelled like
    "0: conv2d 26x26x64", values the layer index) and ``filter_choice`` (0 to F - 1 for that layer).
    Results: ``image`` (the input, (28, 28, 1)), ``maps`` (its (H, W, F) activations, or None), ``picture``
    (the input, enlarged), ``grid`` (all F maps, the chosen one outlined), ``selected`` (the chosen map,
    large), ``pooled`` (the same filter after the next layer when that is a MaxPooling2D, its activations in
    ``pooled_maps``; otherwise hidden, with ``pooled_note`` saying why), ``caption`` (class, example,
    layer, filter, its largest value and how many pixels are active).
    """

    def __init__(self, model, images, labels, class_names, feature_maps: Callable):
        if not callable(feature_maps):
            raise TypeError(f"activation_browser needs your feature_maps function, not {feature_maps!r}.")
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
        self.model, self.images, self.labels, self.feature_maps = model, images, labels, feature_maps
        self.shapes = [_declared_shape(layer) for layer in model.layers]
        spatial = [index for index, shape in enumerate(self.shapes) if len(shape) == 3]
        if not spatial:
            raise ValueError("the model has no layer with (height, width, filters) output to browse.")
        self._top = 1.0 if images.max() <= 1.0 else 255.0  # images in [0, 1], or 0-255 ones
        self._cache: dict[tuple[int, int], np.ndarray] = {}
        self._busy = False
        self.image: np.ndarray | None = None
        self.maps: np.ndarray | None = None
        self.pooled_maps: np.ndarray | None = None

        present = sorted(set(labels.tolist()))
        self.class_choice = w.Dropdown(options=[(self.class_names[c], c) for c in present], description="class")
        self.example = w.IntSlider(min=0, max=0, description="example")
        self.layer_choice = w.Dropdown(options=[(f"{i}: {model.layers[i].name} {_size(self.shapes[i])}", i)
                                                for i in spatial], description="layer")
        self.filter_choice = w.IntSlider(min=0, max=self.shapes[spatial[0]][-1] - 1, description="filter")
        self.picture, self.grid = w.Image(format="png"), w.Image(format="png")
        self.selected, self.pooled = w.Image(format="png"), w.Image(format="png")
        self.caption, self.selected_label, self.pooled_label, self.pooled_note = w.HTML(), w.HTML(), w.HTML(), w.HTML()
        self._follow_class()
        self.class_choice.observe(lambda _: self._update(self._follow_class), names="value")
        self.layer_choice.observe(lambda _: self._update(self._follow_layer), names="value")
        for control in (self.example, self.filter_choice):
            control.observe(lambda _: self._update(), names="value")
        controls = w.HBox([w.VBox([self.class_choice, self.example]), w.VBox([self.layer_choice, self.filter_choice])])
        top = dict(align_items="flex-start")
        pictures = w.HBox([w.VBox([w.HTML("<b>input</b>"), self.picture]),
                           w.VBox([self.selected_label, self.selected]),
                           w.VBox([self.pooled_label, self.pooled, self.pooled_note])],
                          layout=w.Layout(flex_flow="row wrap", **top))
        grid = w.VBox([w.HTML("<b>every filter of this layer</b> (the chosen one outlined)"), self.grid])
        super().__init__([controls, self.caption, pictures, grid])
        self._draw()

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
        if self._busy:
            return
        self._busy = True
        try:
            if adjust is not None:
                adjust()
        finally:
            self._busy = False
        self._draw()

    def _follow_class(self) -> None:
        self.example.value = 0
        self.example.max = max(len(self.indices) - 1, 0)

    def _follow_layer(self) -> None:
        count = self.shapes[self.layer][-1]
        self.filter_choice.value = min(self.filter_choice.value, count - 1)
        self.filter_choice.max = count - 1

    def _activations(self, layer: int) -> np.ndarray:
        """The learner's feature_maps for the current image, checked for shape and cached."""
        key = (self.index, layer)
        if key not in self._cache:
            maps = np.asarray(self.feature_maps(self.model, self.image, layer))
            expected = self.shapes[layer]
            if maps.shape != expected:
                hint = (" (drop the batch axis: the maps of one image)" if maps.shape == (1, *expected) else "")
                raise ValueError(f"feature_maps(model, image, {layer}) returned shape {maps.shape}; "
                                 f"layer {layer} ({self.model.layers[layer].name}) gives {expected}{hint}.")
            self._cache[key] = maps.astype(float, copy=False)
        return self._cache[key]

    @staticmethod
    def _failure(error: Exception) -> str:
        message = html.escape(str(error)) or "(no message: is feature_maps still the stub?)"
        return (f'<div class="convcourse-activation-error" style="max-width: 44em"><b>feature_maps failed:</b> '
                f"{type(error).__name__}: {message}</div>")

    def _draw(self) -> None:
        layer, chosen, name = self.layer, self.filter_choice.value, self.class_names[self.class_choice.value]
        self.image = self.images[self.index]
        self.picture.value = plots.enlarged_png(self.image[..., 0] if self.image.shape[-1] == 1 else self.image,
                                                size=224, vmin=0, vmax=self._top)
        where = (f"<b>{html.escape(name)}</b> example {self.example.value} (of 0&ndash;{len(self.indices) - 1}; "
                 f"image {self.index} of the set)")
        layer_text = f"layer {layer}: {html.escape(self.model.layers[layer].name)} {_size(self.shapes[layer])}"
        try:
            self.maps = self._activations(layer)
        except Exception as error:  # noqa: BLE001 - the learner's function: show its error in the widget
            self.maps = self.pooled_maps = None
            for picture in (self.grid, self.selected, self.pooled):
                picture.value = b""
            self.selected_label.value = self.pooled_label.value = self.pooled_note.value = ""
            self.caption.value = f"{where} &middot; {layer_text}{self._failure(error)}"
            return
        chosen_map = self.maps[:, :, chosen]
        self.grid.value = plots.feature_map_grid_png(self.maps, highlight=chosen)
        self.selected.value = plots.enlarged_png(chosen_map)
        self.selected_label.value = f"<b>filter {chosen}</b>: {_size(chosen_map.shape)}"
        pooled_error = self._draw_pooled(layer, chosen)
        active = int(np.sum(chosen_map > 0))
        self.caption.value = (
            f"{where} &middot; {layer_text} &middot; <b>filter {chosen}</b>: max "
            f'<span class="convcourse-max">{chosen_map.max():.3g}</span>, '
            f'<span class="convcourse-active">{active}</span> of {chosen_map.size} pixels active (&gt; 0)'
            + (self._failure(pooled_error) if pooled_error else ""))

    def _draw_pooled(self, layer: int, chosen: int) -> Exception | None:
        """The chosen filter after the next layer, if that layer max-pools; returns the learner's error, if any."""
        after = layer + 1
        self.pooled_maps = None
        self.pooled.value = b""
        self.pooled.layout.display = "none"
        if after >= len(self.model.layers) or not _is_max_pooling(self.model.layers[after]):
            self.pooled_label.value = "<b>after pooling</b>"
            following = "the output" if after >= len(self.model.layers) else self.model.layers[after].name
            self.pooled_note.value = (f'<i class="convcourse-no-pooling">no max pooling right after this layer '
                                      f"(next: {html.escape(following)}).</i>")
            return None
        self.pooled_label.value = (f"<b>after max pooling</b> (layer {after}: "
                                   f"{html.escape(self.model.layers[after].name)}): {_size(self.shapes[after][:2])}")
        try:
            self.pooled_maps = self._activations(after)
        except Exception as error:  # noqa: BLE001 - the learner's function: show its error in the widget
            self.pooled_note.value = "<i>feature_maps failed for this layer; see above.</i>"
            return error
        self.pooled_note.value = ""
        # Each pooled value drawn as large as the block it came from, so the two pictures line up.
        block = max(1, self.shapes[layer][0] // self.shapes[after][0])
        self.pooled.value = plots.enlarged_png(self.pooled_maps[:, :, chosen],
                                               scale=block * plots.enlargement(self.shapes[layer]))
        self.pooled.layout.display = None
        return None


def activation_browser(model, images, labels, class_names, feature_maps: Callable) -> ActivationBrowser:
    """Browse the feature maps your ``feature_maps(model, image, layer)`` gets from ``model``, image by image."""
    return ActivationBrowser(model, images, labels, class_names, feature_maps)
