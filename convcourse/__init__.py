"""convcourse: helpers for the course notebooks (data, checks, plots, widgets) and its grading tools.

The course's reference solutions live in ``solutions/`` as nbgrader notebooks and are
never importable from here; see README.md.
"""

from pathlib import Path

__version__ = "0.1.0"

# The repository the course runs from: solutions/, notebooks/, data/, grader/ sit here.
COURSE_ROOT = Path(__file__).resolve().parent.parent
