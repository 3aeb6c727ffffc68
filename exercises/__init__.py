"""The course toolkit: data and model loaders, plotting, the grading harness and the learner's CLI.

Learners use it but do not edit it. Run ``python -m exercises`` to see your progress.
"""
