"""Benchmarks of ecsreboot against the local emulator: ``make bench`` (``python -m tests.bench``).

Every request goes to 127.0.0.1; the emulator adds a fixed latency to each API answer (default
50 ms, a stand-in for a real round trip) and reboots take fixed durations (Stopping 2 s + Starting
3 s), so the figures compare strategies, not networks. One module per benchmark:

* ``fleet``                -- N instances rebooted through the real plugin process (one RebootTrigger)
* ``baseline``             -- the same fleet rebooted by a plain script over the official SDK
* ``plugin_overhead``      -- plugin start-up, and Check+Diff throughput of an unchanged stack over gRPC
* ``many_resources``       -- 200 RebootTriggers updated at once under a shared ``maxRequestsPerSecond``
* ``memory``               -- the plugin's peak RSS (VmHWM), read after the largest fleet round
* ``emulator_throughput``  -- the emulator's own request rate, to show it is not the bottleneck
* ``report``               -- the console table and the Markdown file

``--quick`` is the CI size (CI checks that it runs, not its timings). Nothing here is collected by
pytest; ``tests/test_bench_smoke.py`` runs the quick suite as a subprocess.
"""
