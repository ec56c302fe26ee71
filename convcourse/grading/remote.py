"""Plain data between the grader and a student's kernel: the only way values cross (see recheck.py).

``encode``/``decode`` turn values into JSON and back, and accept only what a graded function may
honestly return: numbers, strings, None, NumPy arrays of numbers or booleans, tuples, lists and dicts of
those, and Keras models (architecture, weights and compile settings; rebuilt without running any of the
student's code). Anything else (an object whose ``__eq__`` always says True, a subclass of ``float``
with a friendly ``__repr__``, a function) is refused with a sentence a learner understands.

``answer(request)`` runs inside the student's kernel: it looks a name up in the kernel's namespace or
calls a function there, and returns the result encoded. The grader trusts nothing it returns beyond
being data; all judging happens in the grader's own process.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import io
import json
import numbers

import numpy as np


class NotData(TypeError):
    """A value that cannot cross to the grader: the message names what it was."""


def encode(value) -> object:
    """A JSON-compatible description of ``value`` (raises NotData for anything else)."""
    if value is None or type(value) in (bool, int, float, str):
        return value if not (type(value) is float and not np.isfinite(value)) else {"float": repr(value)}
    if type(value) in (np.bool_,) or (isinstance(value, np.generic) and np.issubdtype(type(value), np.number)):
        return {"ndarray": _npy(np.asarray(value)), "scalar": True}
    if type(value) is np.ndarray:
        if value.dtype.kind not in "biuf":
            raise NotData(f"a NumPy array of {value.dtype} values; only numbers can be checked")
        return {"ndarray": _npy(value)}
    if type(value) in (tuple, list):
        return {type(value).__name__: [encode(item) for item in value]}
    if type(value) is dict:
        if not all(type(key) is str for key in value):
            raise NotData("a dict whose keys are not all strings")
        return {"dict": {key: encode(item) for key, item in value.items()}}
    if _is_keras_model(value):
        return {"keras": _keras_description(value)}
    raise NotData(f"a {type(value).__name__}; graded functions return numbers, arrays, tuples, lists, dicts, "
                  f"strings or Keras models")


def decode(data):
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is dict and len(data) >= 1:
        if "float" in data:
            return float(data["float"])
        if "ndarray" in data:
            try:
                array = np.load(io.BytesIO(base64.b64decode(data["ndarray"])), allow_pickle=False)
            except (ValueError, OSError, EOFError) as error:  # objects inside, or not an .npy at all
                raise NotData(f"an unreadable array ({error})") from None
            if array.dtype.kind not in "biuf":
                raise NotData(f"an array of {array.dtype}")
            return array[()] if data.get("scalar") else array
        if "tuple" in data:
            return tuple(decode(item) for item in data["tuple"])
        if "list" in data:
            return [decode(item) for item in data["list"]]
        if "dict" in data:
            return {str(key): decode(item) for key, item in data["dict"].items()}
        if "keras" in data:
            return _keras_model(data["keras"])
    raise NotData(f"unreadable data {str(data)[:80]!r}")


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, np.array(array, order="C", copy=True), allow_pickle=False)  # keeps 0-d arrays 0-d
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _is_keras_model(value) -> bool:
    import sys

    keras = sys.modules.get("keras")  # never import Keras for a value that cannot be a model
    return keras is not None and isinstance(value, keras.Model)


def _keras_description(model) -> dict:
    compiled = model.get_compile_config() if getattr(model, "compiled", False) else None
    return {"json": _architecture_json(model), "weights": [_npy(np.asarray(w)) for w in model.get_weights()],
            "compile": json.dumps(compiled, default=_plain) if compiled is not None else None}


def _architecture_json(model) -> str:
    """The model's JSON, with each activation Keras stored as an opaque function (tf.nn.softmax) named by what
    it computes instead, so that it rebuilds in safe mode as the same activation."""
    from convcourse.activations import KNOWN, activation_name

    config = json.loads(model.to_json())
    names = {layer.name: activation_name(layer) for layer in model.layers if "activation" in layer.get_config()}
    for entry in config.get("config", {}).get("layers", []):
        settings = entry.get("config", {})
        if isinstance(settings.get("activation"), dict) and names.get(settings.get("name")) in KNOWN:
            settings["activation"] = names[settings["name"]]
    return json.dumps(config)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise NotData(f"a compile setting of type {type(value).__name__}")


def _keras_model(description: dict):
    import keras

    # safe_mode refuses Lambda layers and anything else that would run stored code.
    model = keras.models.model_from_json(description["json"])
    model.set_weights([decode({"ndarray": w}) for w in description["weights"]])
    if description.get("compile"):
        model.compile_from_config(json.loads(description["compile"]))
    return model


# --- inside the student's kernel -----------------------------------------------------------------------

def answer(request_json: str, namespace: dict | None = None) -> str:
    """Serve one request from the grader: {"describe": name}, {"call": name, "args": [...], "kwargs": {...}}
    or {"call": name, "each": [[...args], ...]} (the function called on each in turn, one reply for each: a
    round trip costs milliseconds, and a check may call a function a thousand times); a call comes with
    "hidden": the names the test deleted, which the function must not see."""
    if namespace is None:
        from IPython import get_ipython

        namespace = get_ipython().user_ns
    request = json.loads(request_json)
    if "describe" in request:
        return json.dumps(_describe(namespace, request["describe"]))
    with _without(namespace, request.get("hidden", [])):
        if "each" in request:
            return json.dumps({"each": [_call(namespace, request["call"], args, {}) for args in request["each"]]})
        return json.dumps(_call(namespace, request["call"], request.get("args", []), request.get("kwargs", {})))


def _call(namespace: dict, name: str, args: list, kwargs: dict) -> dict:
    try:
        result = namespace[name](*(decode(item) for item in args), **{k: decode(v) for k, v in kwargs.items()})
    except Exception as error:  # the student's function raised: the grader decides what that means
        return {"raised": type(error).__name__, "message": str(error)[:2000]}
    try:
        return {"value": encode(result)}
    except NotData as error:
        return {"not_data": str(error)}


@contextlib.contextmanager
def _without(namespace: dict, names: list[str]):
    """While the student's function runs, the names the test deleted are gone, as in the test's own run."""
    removed = {name: namespace.pop(name) for name in names if name in namespace}
    try:
        yield
    finally:
        namespace.update(removed)


def _describe(namespace: dict, name: str) -> dict:
    if name not in namespace:
        return {"kind": "missing"}
    value = namespace[name]
    if isinstance(value, type):
        return {"kind": "class"}
    if callable(value) and not _is_keras_model(value):
        return {"kind": "function"}
    try:
        return {"kind": "value", "value": encode(value)}
    except NotData as error:
        return {"kind": "other", "what": str(error)}


def builtin_exception(name: str) -> type[Exception]:
    """The built-in exception class of that name, or RuntimeError for anything else."""
    candidate = getattr(builtins, name, None)
    if isinstance(candidate, type) and issubclass(candidate, Exception) and candidate.__module__ == "builtins":
        return candidate
    return RuntimeError


def is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
