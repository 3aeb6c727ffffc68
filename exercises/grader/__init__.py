"""The teacher's grader (python -m exercises grade): each part's tests run in a trusted process
(grade), the learner's code in a sandboxed worker (sandbox, remote) that sends back plain data only."""
