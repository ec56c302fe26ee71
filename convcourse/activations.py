"""Which activation a Keras layer applies, whatever way it was written.

Learners write the same activation as ``"relu"``, ``keras.activations.relu``, ``tf.nn.relu`` or
``tf.keras.activations.relu``; Keras records the first two by name but a TensorFlow function as an opaque
callable ('softmax_v2'). The course's checks and the capstone's trainer ask this module instead, which
recognises the activation by what it computes on a few probe values.
"""

from __future__ import annotations

import numpy as np

# Activations the lessons use or learners reach for, by their Keras names.
KNOWN = ("linear", "relu", "softmax", "sigmoid", "tanh", "elu", "selu", "gelu", "silu", "softplus")
_PROBE = np.array([[-2.0, -0.5, 0.0, 0.7, 3.0]], dtype=np.float32)


def activation_name(layer) -> str | None:
    """The Keras name of the activation ``layer`` applies ('relu', 'softmax', ...); None for a layer without
    one; the recorded description when it computes none of the known ones."""
    recorded = layer.get_config().get("activation")
    if recorded is None or recorded in KNOWN:
        return recorded
    import keras

    function = getattr(layer, "activation", None)
    if callable(function):
        try:
            applied = keras.ops.convert_to_numpy(function(_PROBE))
        except Exception:  # noqa: BLE001 - a function that cannot take a batch is none of the known ones
            return str(recorded)
        for name in KNOWN:
            if np.allclose(applied, keras.ops.convert_to_numpy(keras.activations.get(name)(_PROBE)), atol=1e-6):
                return name
    return str(recorded)
