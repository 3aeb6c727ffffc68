"""The course toolkit: data and model loaders, plotting, the grading harness and the learner's CLI.

Learners use it but do not edit it. Run ``python -m exercises`` to see your progress.

    cli.py parts.py                     the learner's command line; the one registry of parts
    data.py models.py plotting.py device.py threads.py   what the parts build on
    testing.py                          what the part tests call (call_graded, check_tensor, ...)
    harness/                            conftest.py's machinery: targets, stubs, recordings
    grader/                             the teacher's grader: sandboxed worker, scoring
    notebook.py                         each part's exercises.py as a notebook: check cells, JupyterLab
    editions.py                         the learners' edition and the platforms' bundles
    maintain/                           maintainers' commands (python -m exercises.maintain)
"""

from typing import Callable


def exercise(fn: Callable) -> Callable:
    """Marks a function as an exercise: the learner writes its body. Changes nothing at run time."""
    fn.__exercise__ = True
    return fn
