"""The plugin prints its port before it loads the ECS client: the engine waits for that line, so start-up
pays only for what serving needs (the HTTP client and credentials load on the first Configure)."""

from __future__ import annotations

import subprocess
import sys

LATE = ("requests", "urllib3", "ecsreboot.ecs.client", "ecsreboot.ecs.transport", "ecsreboot.ecs.credentials",
        "alibabacloud_credentials", "ecsreboot.emulator")


def test_the_plugin_module_does_not_load_the_ecs_client() -> None:
    code = ("import sys, ecsreboot.adapter.server\n"
            f"print(sorted(m for m in {LATE!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_lazy_ecs_package_still_serves_every_public_name() -> None:
    import ecsreboot.ecs as ecs

    for name in ecs.__all__:
        assert getattr(ecs, name) is not None
