"""Reading the kernel's integrity reports: which test cells ran through an untouched interpreter.

The kernel launcher's audit hook (:mod:`.kernel_launcher`) writes one signed report to a
socket each time a cell's code starts: what of the interpreter's machinery differs from
how the kernel started. This module is the grader's end of that socket. The key that
signs the reports is sent before any submitted code runs and read by the launcher, so
submitted code can cut the reports (closing or flooding the socket) but not forge them;
a cut, a gap or a bad signature counts as tampering like a changed machinery does.

:class:`IntegrityTracker` follows one notebook cell by cell (:class:`.fair_execute.FairExecute`
feeds it) and names the culprit: the cell after which the change was first seen. A test
cell that ran while the machinery was changed, or whose code never reached the interpreter
(no report at all), is not trusted.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import socket
from dataclasses import dataclass, field

_RECORD_BYTES = 65536


@dataclass(frozen=True)
class Report:
    """One report of the kernel: its number, how many were lost before it, and what had changed."""

    seq: int
    lost: int
    filename: str
    changed: tuple[str, ...]
    events: tuple[str, ...]


class MonitorChannel:
    """A socket pair for one kernel: the kernel's end is passed to it, this end reads its reports."""

    def __init__(self):
        self._ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.kernel_fd = theirs.detach()
        os.set_inheritable(self.kernel_fd, True)
        self._key = secrets.token_bytes(32)
        self._ours.sendall(self._key)  # waits in the socket until the launcher reads it
        self._ours.setblocking(False)
        self._next_seq = 1
        self.broken: str | None = None

    def kernel_started(self) -> None:
        """Close this process's copy of the kernel's end (the kernel has its own now)."""
        if self.kernel_fd >= 0:
            os.close(self.kernel_fd)
            self.kernel_fd = -1

    def drain(self) -> list[Report]:
        """Every report waiting in the socket, checked; a bad one sets :attr:`broken` for good."""
        reports = []
        while True:
            try:
                record = self._ours.recv(_RECORD_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            except OSError as error:
                self.broken = self.broken or f"the kernel's reports could not be read ({error})"
                break
            if not record:
                break
            mac, _, payload = record.partition(b" ")
            expected = hashlib.blake2b(payload, key=self._key, digest_size=16).hexdigest().encode()
            if not secrets.compare_digest(mac, expected):
                self.broken = self.broken or "a report to the grader was forged or garbled"
                continue
            fields = payload.decode("utf-8", "replace").split("\x1f")
            if len(fields) != 5 or not fields[0].isdigit() or not fields[1].isdigit():
                self.broken = self.broken or "a report to the grader was malformed"
                continue
            report = Report(int(fields[0]), int(fields[1]), fields[2], tuple(filter(None, fields[3].split("\x1e"))),
                            tuple(filter(None, fields[4].split("\x1e"))))
            if report.seq != self._next_seq or report.lost:
                self.broken = self.broken or "reports to the grader were lost (the kernel flooded or cut them)"
            self._next_seq = report.seq + 1
            reports.append(report)
        return reports

    def close(self) -> None:
        self.kernel_started()
        self._ours.close()


@dataclass
class Finding:
    """Tampering seen in one notebook: the culprit cell and what it changed."""

    culprit: int
    what: str
    untrusted: list[int] = field(default_factory=list)


class IntegrityTracker:
    """Follows one notebook's run: which cells changed the machinery, which test cells cannot be trusted."""

    def __init__(self, channel: MonitorChannel):
        self.channel = channel
        self.finding: Finding | None = None
        self._last_reported: int | None = None  # the last cell whose code was seen starting

    def observe(self, index: int, is_test: bool) -> bool:
        """Read the reports of the cell just run (number ``index``); whether its result can be trusted.

        A change seen as the cell started was made by an earlier cell: the last one seen
        running code; a change seen later in the cell, by the cell itself (a test cell:
        by the function it called).
        """
        reports = self.channel.drain()
        before = index if self._last_reported is None else self._last_reported
        if self.finding is None:
            changed = next((position for position, report in enumerate(reports)
                            if report.changed or report.events), None)
            if changed is not None:
                self.finding = Finding(index if changed > 0 else before, describe(reports[changed]))
            elif self.channel.broken:
                self.finding = Finding(before, self.channel.broken)
            elif is_test and not reports:
                self.finding = Finding(before, "a test cell's code never reached the interpreter (the shell's "
                                               "run path was replaced)")
        if reports:
            self._last_reported = index
        if self.finding is not None and is_test:
            self.finding.untrusted.append(index)
            return False
        return True


def describe(report: Report) -> str:
    """The words for what a report says had changed."""
    parts = []
    if report.changed:
        shown = ", ".join(report.changed[:4]) + (f" and {len(report.changed) - 4} more" if len(report.changed) > 4 else "")
        parts.append(f"changed the interpreter's machinery ({shown})")
    if report.events:
        parts.append(", ".join(dict.fromkeys(report.events)))
    return "; ".join(parts)
