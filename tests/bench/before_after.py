"""``python -m tests.bench.before_after CHECKOUT [cli] [huge]``: this bench's harness and emulator, another
checkout's client code.

Runs the `ecsreboot reboot` benchmark of 10,000 instances (``cli``) and the one-resource benchmark over 100,000
(``huge``) with the plugin and the CLI taken from ``CHECKOUT/provider`` -- e.g. an older commit added with
``git worktree add /tmp/before COMMIT`` -- while the emulator, its latency and reboot lengths, and the engine
stand-in stay this tree's. Run it once with the other checkout and once with ``.``, back to back, for a
before/after that differs only in the client. Prints one JSON line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import ecsreboot.testing.engine as engine

from . import cli_fleet, fleet
from .common import Settings


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    provider = Path(argv[0]).resolve() / "provider"
    if not (provider / "ecsreboot").is_dir():
        print(f"before_after: {provider} holds no ecsreboot package", file=sys.stderr)
        return 2
    what = argv[1:] or ["cli", "huge"]
    engine.PROVIDER_DIR = provider  # the plugin process: `python CHECKOUT/provider ENGINE`
    os.environ["PYTHONPATH"] = str(provider)  # the CLI process: `python -m ecsreboot.cli`
    settings = Settings()
    out: dict[str, Any] = {"provider": str(provider)}
    if "cli" in what:
        c = cli_fleet.run(settings, settings.cli_fleet)
        out["cli"] = {"n": c.n, "wall": round(c.wall, 2), "cpu": round(c.cpu, 2), "limit": round(c.limit, 2),
                      "calls": c.calls}
    if "huge" in what:
        h = fleet.run(settings, settings.huge_fleet)
        out["huge"] = {"n": h.n, "wall": round(h.wall, 2), "limit": round(h.limit, 2), "calls": h.calls,
                       "plugin_cpu": None if h.plugin_cpu is None else round(h.plugin_cpu, 2),
                       "peak_rss_mb": None if h.peak_rss_kb is None else round(h.peak_rss_kb / 1024),
                       "state_mb": round(h.state_bytes / 1e6, 1)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
