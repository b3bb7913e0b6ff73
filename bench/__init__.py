"""The benchmark suite (issue 7): ``python -m bench`` prints every figure next to its same-run baseline."""
