"""nngrader: autograding for neural-network coursework.

Public surface: grade() one submission, load_spec() an assignment, and the result types.
"""

from importlib import metadata

try:
    __version__ = metadata.version("nngrader")
except metadata.PackageNotFoundError:  # run from a checkout without installing
    __version__ = "0+unknown"

from graders.grading import grade  # noqa: E402
from graders.results import CheckResult, GradeReport, PartResult  # noqa: E402
from graders.spec import load_assignment, load_spec  # noqa: E402

__all__ = ["grade", "load_spec", "load_assignment", "GradeReport", "PartResult", "CheckResult"]
