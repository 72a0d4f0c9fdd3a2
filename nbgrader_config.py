"""nbgrader configuration of the course (used by every nbgrader command run from this folder)."""
from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

course_root = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "one-hidden-layer-nn"
c.CourseDirectory.root = str(course_root)
c.CourseDirectory.source_directory = "source_solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.db_url = f"sqlite:///{course_root / 'gradebook.db'}"
# Only the notebooks and nothing generated beside them belong to the assignment.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# A course-local exchange, so that release and collect need no system-wide folder.
c.Exchange.root = str(course_root / "exchange")
c.Exchange.path_includes_course = True

# The answer stub students see in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# The whole series executes in seconds; the longest cell (the hidden-size sweep) takes about
# ten. A cell that runs a minute is stuck, and output beyond these limits is a flood.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True
c.LimitOutput.max_lines = 500
c.LimitOutput.max_traceback = 100

c.GenerateAssignment.create_assignment = True
