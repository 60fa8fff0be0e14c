"""nngrader: autograding for neural-network coursework.

Public surface: grade() one submission, load_spec() an assignment, and the result types.
"""

from graders.grading import grade
from graders.results import CheckResult, GradeReport, PartResult
from graders.spec import load_assignment, load_spec

__all__ = ["grade", "load_spec", "load_assignment", "GradeReport", "PartResult", "CheckResult"]
