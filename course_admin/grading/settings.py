"""Grading limits, and the nbgrader configuration the engine runs nbgrader with.

The instructor's ``nbgrader_config.py`` is read (its ``Execute``, ``LimitOutput``,
``ClearSolutions``... sections apply), then the engine points every nbgrader directory
into its own work directory, so grading never writes into the course checkout.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from traitlets.config import Config, PyFileConfigLoader

from .kernel_spec import KERNEL_NAME

#: nbgrader's own default per-cell timeout, used when neither the course nor the settings set one
NBGRADER_DEFAULT_TIMEOUT = 30


@dataclass(frozen=True)
class GradingSettings:
    """Fairness limits of one grading run.

    Attributes
    ----------
    timeout : int or None
        Seconds a cell may run before it is interrupted; None keeps the course's
        ``Execute.timeout`` (nbgrader's default is 30).
    memory_limit : int
        Bytes of address space a kernel may use (``RLIMIT_AS``); 0 for no cap.
    max_output_chars : int
        Characters of printed output kept per cell while it runs; the rest is dropped.
    max_output_lines : int or None
        Lines of printed output kept per cell in the graded notebook (``LimitOutput``);
        None keeps the course's value (nbgrader's default is 1000).
    iopub_timeout : int
        Seconds to wait, after an interrupt, for a kernel to report that it stopped; past
        that the kernel is killed and the rest of the notebook is not run.
    student_pattern : str
        Regular expression with a ``student`` group, matched against the start of the
        file names of LMS downloads (``alice_12345_attempt.zip``).
    preload : tuple of str
        Packages every grading kernel imports before the first cell, so that files a
        submission writes into its folder cannot stand in for them.
    fork_kernels : bool
        Start kernels by forking a process that has imported ``warm_imports`` (see
        :mod:`.forkserver`) rather than as fresh interpreters: the same kernels, about a
        second sooner each (Linux only; elsewhere kernels start as fresh interpreters).
    warm_imports : tuple of str
        Modules the fork server imports besides ipykernel, numpy and matplotlib: what the
        course's notebooks import.
    sandbox : bool
        Confine every grading kernel with bubblewrap (see :mod:`.sandbox`). Off only when
        the instructor grades without isolation on purpose (``--no-sandbox``).
    cpu_seconds, processes, file_bytes, open_files : int
        Hard limits of each kernel besides memory (see :class:`.sandbox.KernelLimits`).
    run_course_demos : bool
        Run the course's own demonstration cells that the student left unchanged
        (see :mod:`.demo_cells`). Off by default: they grade nothing and take most of the
        time; on, grading is slower but the graded notebooks and the feedback pages
        show every figure (for reviewing written answers in formgrader, say).
    """

    timeout: int | None = None
    memory_limit: int = 4 * 2**30
    max_output_chars: int = 100_000
    max_output_lines: int | None = None
    iopub_timeout: int = 5
    student_pattern: str = r"^(?P<student>[^_]+)_"
    preload: tuple[str, ...] = ("course_utils", "course_utils.checks", "course_utils.gradcheck")
    fork_kernels: bool = True
    warm_imports: tuple[str, ...] = (
        "course_utils.cases", "course_utils.checks", "course_utils.datasets", "course_utils.gradcheck",
        "course_utils.loader", "course_utils.plotting", "course_utils.references", "sklearn.linear_model",
    )
    run_course_demos: bool = False
    sandbox: bool = True
    cpu_seconds: int = 1200
    processes: int = 128
    file_bytes: int = 64 * 2**20
    open_files: int = 512

    def kernel_limits(self):
        """The hard limits every grading kernel runs under."""
        from .sandbox import KernelLimits

        return KernelLimits(memory=self.memory_limit, cpu_seconds=self.cpu_seconds, processes=self.processes,
                            file_bytes=self.file_bytes, open_files=self.open_files)


def load_course_config(course_root: Path) -> Config:
    """The configuration in ``course_root/nbgrader_config.py`` (empty when there is none)."""
    path = Path(course_root) / "nbgrader_config.py"
    if not path.exists():
        return Config()
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def course_source_directory(course_config: Config) -> str:
    """The instructor's source directory name (nbgrader's default is ``source``)."""
    value = course_config.CourseDirectory.get("source_directory")
    return value if isinstance(value, str) else "source"


def effective_timeout(course_config: Config, settings: GradingSettings) -> int:
    """The per-cell timeout in seconds the run uses."""
    if settings.timeout is not None:
        return settings.timeout
    value = course_config.Execute.get("timeout")
    return value if isinstance(value, int) else NBGRADER_DEFAULT_TIMEOUT


def nbgrader_config(course_config: Config, course_dir: Path, db_url: str,
                    settings: GradingSettings) -> Config:
    """The course configuration with every directory redirected to ``course_dir``.

    Parameters
    ----------
    course_config : Config
        What :func:`load_course_config` returned.
    course_dir : Path
        The engine's nbgrader course directory (``<workdir>/course``).
    db_url : str
        The gradebook this process writes to.
    settings : GradingSettings
        Limits applied over the course's own values.
    """
    from .fair_execute import FairExecute  # nbgrader imports are slow: only when configuring

    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, IgnorePattern,
                                        LimitOutput, SaveAutoGrades)

    config = Config()
    config.merge(course_config)
    directories = Config()
    directories.CourseDirectory.root = str(course_dir)
    directories.CourseDirectory.source_directory = "source"
    directories.CourseDirectory.release_directory = "release"
    directories.CourseDirectory.submitted_directory = "submitted"
    directories.CourseDirectory.autograded_directory = "autograded"
    directories.CourseDirectory.feedback_directory = "feedback"
    directories.CourseDirectory.solution_directory = "solution"
    directories.CourseDirectory.source_with_tests_directory = "source_with_tests"
    directories.CourseDirectory.directory_structure = "{nbgrader_step}/{student_id}/{assignment_id}"
    directories.CourseDirectory.db_url = db_url
    directories.Execute.timeout = effective_timeout(course_config, settings)
    directories.Execute.interrupt_on_timeout = True
    directories.Execute.raise_on_iopub_timeout = True
    directories.Execute.iopub_timeout = settings.iopub_timeout
    directories.Execute.kernel_name = KERNEL_NAME
    directories.Execute.shutdown_kernel = "immediate"
    directories.AsyncKernelManager.client_class = "course_admin.grading.kernel_client.PromptKernelClient"
    directories.FairExecute.max_output_chars = settings.max_output_chars
    directories.FairExecute.run_course_demos = settings.run_course_demos
    if settings.max_output_lines is not None:
        directories.LimitOutput.max_lines = settings.max_output_lines
    directories.Autograde.autograde_preprocessors = [
        FairExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
        SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
    ]
    config.merge(directories)
    return config
