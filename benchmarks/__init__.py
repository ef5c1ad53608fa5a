"""orgsim's benchmark suite (issue 7): ``python -m benchmarks`` or ``make bench``.

Measures the firm side by side with Mesa's own example models, the customer base per
customer-week, scaling, batch and calibration throughput, and memory; see ``benchmarks/README.md``.
Benchmarks are not tests: nothing here is collected by pytest, and nothing asserts a time.
"""
