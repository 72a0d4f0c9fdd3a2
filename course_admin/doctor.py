"""``python3 course.py doctor``: whether this machine can grade a class safely, and why not.

Starts one grading sandbox (see :mod:`course_admin.grading.sandbox`) and says what it saw:
the user inside, the network, the folders visible at the root. Exit code 0 when grading
kernels can be confined here, 1 when they cannot (``grade`` then refuses to run without
``--no-sandbox``).
"""
from __future__ import annotations

import sys

from course_admin.grading.sandbox import check


def main(argv=None) -> int:
    availability = check()
    print(("ok: " if availability.works else "NOT ISOLATED: ") + availability.reason)
    return 0 if availability.works else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
