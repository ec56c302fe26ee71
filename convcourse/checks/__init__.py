"""Learner checks: call a learner's function on known inputs and name the mistake when it is wrong.

Each ``check_*`` takes the learner's function itself, runs it on worked examples
(and, for the ``*_random`` / ``*_all`` checks that nbgrader keeps hidden, on seeded
random inputs), compares with an independent answer (hand-worked values, SciPy,
NumPy, TensorFlow) and raises ``AssertionError`` with a message that says *which*
misconception the wrong answer matches: a flipped kernel gives 732 instead of 577,
a uint8 output wraps around, an ignored stride gives the stride-1 size, and so on.

Only expected answers live here, computed by other libraries; the course's own
reference solutions live in ``solutions/`` and are never importable.
"""

from .core import MISTAKES
from ..failures import prepare_kernel  # noqa: F401  each lesson's set-up cell calls it
from .filters import *  # noqa: F401,F403  lessons 01-02
from .pooling import *  # noqa: F401,F403  lesson 03
from .layers import *  # noqa: F401,F403  lesson 04
from .keras_models import *  # noqa: F401,F403  lesson 05
from .capstone import *  # noqa: F401,F403  lesson 06
