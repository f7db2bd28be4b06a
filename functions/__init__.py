"""Lambda entry points: ``functions/api`` (one Chalice app per route group), ``functions/tasks``
(state-machine tasks) and ``functions/jobs`` (scheduled batch jobs)."""
