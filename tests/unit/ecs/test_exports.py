"""The public surface of ecsreboot.ecs is pinned (httpx's test_exported_members)."""

import ecsreboot.ecs as ecs


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in dir(ecs) if not name.startswith("_")}
    modules = {"client", "config", "credentials", "dryrun", "evidence", "probes", "reboot", "retry", "rounds",
               "transport", "waiter", "wire"}
    assert set(ecs.__all__) == public - modules
    assert sorted(ecs.__all__) == sorted(set(ecs.__all__))

