"""The benchmark suite (issue 7): ``python -m bench`` prints every figure next to its same-run baseline."""

from notifications.bootstrap import bootstrap  # noqa: E402

bootstrap()  # every benchmark's commands notify as the engine's entry points do (states/events.py)
