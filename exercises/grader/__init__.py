"""The teacher's grader (python -m exercises grade): each part's tests run in a trusted process
(grade: scoring; trusted: the proxies that call the worker), the learner's code in a sandboxed
worker process (sandbox, worker) that sends back plain data only (wire: the protocol)."""
