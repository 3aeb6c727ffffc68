"""Maintainers' commands.

    python -m exercises.maintain check PART [--static]       every rule a part meets, for one part
    python -m exercises.maintain new-part N TOPIC "TITLE"   a new part's skeleton, registered (a draft)
    python -m exercises.maintain stubs [--check]            each part's exercises.py, generated from its solutions
    python -m exercises.maintain record [PART ...] [--check] the reference's recorded outputs (tests/golden.pt)
    python -m exercises.maintain kernels [--matrix]         the verdict under other CPUs' kernel settings
"""

import sys

from exercises.harness import kernels, recordings, stubs
from exercises.maintain import checks, scaffold

COMMANDS = {"check": checks.main, "new-part": scaffold.main, "stubs": stubs.main, "record": recordings.main,
            "kernels": kernels.main}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
