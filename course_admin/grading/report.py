"""The class report: scores per student and notebook, the grades CSV, and who needs attention."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from .outcome import StudentOutcome
from .problems import Problem


@dataclass
class ClassReport:
    """Result of :func:`course_admin.grading.grade_class`.

    Attributes
    ----------
    assignment : str
    students : list of StudentOutcome
        Sorted by student id, with the scores the course gradebook held when the report was made.
    unassigned_files : list of str
        Input files in which no student could be recognised.
    workdir : str
        The work directory (gradebook, graded notebooks, feedback, logs).
    grades_csv : str
        Path of the exported grades.
    seconds : float
        Wall-clock time of the whole run.
    workers : int or None
        Worker processes of the local cluster, or the most used of a scheduler's (None: all).
    cluster : str
        ``local``, or the address of the Dask scheduler graded on.
    gradebook : str
        The course gradebook's URL (password hidden).
    isolation : str
        How the kernels were confined (from :func:`.sandbox.check`), or that they were not.
    phase_seconds : dict
        Seconds spent in each step (prepare, intake, autograde, store).
    """

    assignment: str
    students: list[StudentOutcome]
    unassigned_files: list[str] = field(default_factory=list)
    workdir: str = ""
    grades_csv: str = ""
    seconds: float = 0.0
    workers: int | None = 1
    cluster: str = "local"
    gradebook: str = ""
    isolation: str = ""
    phase_seconds: dict[str, float] = field(default_factory=dict)

    def scores(self) -> dict[str, dict[str, float]]:
        """student -> notebook -> score."""
        return {student.student: {nb.notebook: nb.score for nb in student.notebooks} for student in self.students}

    def student(self, student_id: str) -> StudentOutcome:
        for student in self.students:
            if student.student == student_id:
                return student
        raise KeyError(student_id)

    def needs_attention(self) -> dict[str, list[Problem]]:
        """student -> the problems to look at, for students with any."""
        return {student.student: student.attention for student in self.students if student.attention}

    def table(self) -> str:
        """Scores per student and notebook, then the "needs attention" list with the reasons.

        Notebooks named ``<number>_<title>`` head their columns with the number alone, and a
        legend under the table gives the titles, so that a class fits a terminal's width.
        """
        notebooks = [nb.notebook for nb in self.students[0].notebooks] if self.students else []
        labels, legend = _column_labels(notebooks)
        rows = []
        for student in self.students:
            cells = [_number(nb.score) + "/" + _number(nb.max_score)
                     + ("*" if nb.needs_manual_grade else ("!" if nb.status != "graded" else " "))
                     for nb in student.notebooks]
            rows.append((student.student, cells, f"{_number(student.score)}/{_number(student.max_score)}"))
        width = max([len("student"), *(len(name) for name, _, _ in rows)])
        widths = [max([len(label), *(len(cells[index]) for _, cells, _ in rows)]) for index, label in enumerate(labels)]
        total_width = max([len("total"), *(len(total) for _, _, total in rows)])

        def line(name: str, cells: list[str], total: str) -> str:
            columns = "".join(f"  {cell:>{cell_width}}" for cell, cell_width in zip(cells, widths))
            return f"{name:<{width}}{columns}  {total:>{total_width}}"

        header = line("student", labels, "total")
        lines = [f"Assignment {self.assignment}: {len(self.students)} students"]
        if self.isolation:
            lines.append(self.isolation)
        lines += [header, "-" * len(header)]
        lines.extend(line(*row) for row in rows)
        lines.append("* waits for manual grading   ! not submitted, invalid or not gradable")
        lines.extend(legend)
        attention = self.needs_attention()
        lines.append("")
        count = f"{len(attention)} student{'s' if len(attention) > 1 else ''}"
        lines.append(f"Needs attention ({count}):" if attention else "Needs attention: nobody.")
        for student_id, problems in attention.items():
            for problem in problems:
                where = f" [{problem.notebook}]" if problem.notebook else ""
                lines.append(f"  {student_id}{where} {problem.label}: {problem.detail}")
        if self.unassigned_files:
            lines.append("Files with no recognisable student id (not graded): " + ", ".join(self.unassigned_files))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "assignment": self.assignment,
            "workdir": self.workdir,
            "grades_csv": self.grades_csv,
            "seconds": self.seconds,
            "workers": self.workers,
            "cluster": self.cluster,
            "gradebook": self.gradebook,
            "isolation": self.isolation,
            "phase_seconds": self.phase_seconds,
            "unassigned_files": self.unassigned_files,
            "students": [
                {"student": student.student, "score": student.score, "max_score": student.max_score,
                 "seconds": student.seconds, "feedback": student.feedback,
                 "notebooks": [{key: getattr(nb, key) for key in NOTEBOOK_KEYS} for nb in student.notebooks],
                 "problems": [problem.to_dict() | {"needs_attention": problem.needs_attention}
                              for problem in student.problems]}
                for student in self.students
            ],
        }


#: what ``report.json`` says of each notebook (the cell grades stay in the gradebook)
NOTEBOOK_KEYS = ("notebook", "score", "max_score", "needs_manual_grade", "status")


def _number(value: float) -> str:
    return f"{value:g}"


def _column_labels(notebooks: list[str]) -> tuple[list[str], list[str]]:
    """Column labels and legend lines: ``01`` for ``01_data`` when every notebook has its own
    number, else the full names and no legend."""
    numbers = [name.split("_", 1)[0] for name in notebooks]
    if not notebooks or not all("_" in name for name in notebooks) or len(set(numbers)) < len(numbers):
        return notebooks, []
    legend = ["notebooks:"]
    for number, name in zip(numbers, notebooks):
        entry = f"{number} {name.split('_', 1)[1]}" + ("," if name != notebooks[-1] else "")
        if len(legend[-1]) + 1 + len(entry) > 100:
            legend.append(" ")
        legend[-1] += " " + entry
    return numbers, legend


CSV_COLUMNS = ("student", "assignment", "notebook", "score", "max_score", "needs_manual_grade", "status")


def write_grades_csv(report: ClassReport, path: Path) -> Path:
    """One row per student and notebook: ``student, assignment, notebook, score, max_score, ...``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for student in report.students:
            for nb in student.notebooks:
                writer.writerow([student.student, report.assignment, nb.notebook, _number(nb.score),
                                 _number(nb.max_score), int(nb.needs_manual_grade), nb.status])
    return path


def write_report_json(report: ClassReport, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report.to_dict(), indent=1) + "\n")
    return path
