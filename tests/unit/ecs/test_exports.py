"""The public surface of ecsreboot.ecs is pinned (httpx's test_exported_members)."""

import ecsreboot.ecs as ecs


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in dir(ecs) if not name.startswith("_")}
    modules = {"client", "config", "credentials", "dryrun", "evidence", "probes", "reboot", "retry", "rounds",
               "transport", "waiter", "wire"}
    assert set(ecs.__all__) == public - modules
    assert sorted(ecs.__all__) == sorted(set(ecs.__all__))


def test_the_client_layer_imports_no_other_project_layer() -> None:
    import ast
    from pathlib import Path

    for path in Path(ecs.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 2:
                assert (node.module or "").startswith("core"), f"{path.name} imports ..{node.module}"
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith(("ecsreboot.adapter", "ecsreboot.emulator", "grpc", "pulumi"))
