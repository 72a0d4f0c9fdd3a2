"""Shared tools of the one-hidden-layer network course.

Submodules, imported on demand (importing the package does nothing else):

- ``course_utils.layout``: the assignment, its notebooks and which notebook defines each graded function
- ``course_utils.datasets``: the planar flower set and seeded generators for the other lessons
- ``course_utils.plotting``: scatter plots, decision boundaries, cost curves, sweep grids
- ``course_utils.checks``: the comparison helpers every test cell uses, with tamper detection;
  its private modules word the failures (``_messages``), keep and check the snapshots
  (``_integrity``) and hold the builtins and numpy references it calls (``_originals``)
- ``course_utils.gradcheck``: centered-difference gradient checking
- ``course_utils.loader``: loads the student's own functions from the earlier notebooks
- ``course_utils.cases`` and ``course_utils.references``: fixed-seed test inputs and their reference outputs
"""

__version__ = "1.0.0"
