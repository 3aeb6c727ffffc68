"""The grading harness's machinery, used by conftest.py: what a test grades (targets), the stubs
generated from the solutions (stubs), the reference's recorded outputs for the learners' edition
(recordings), a call's in-place changes (effects) and the CPU kernel settings (kernels)."""
