"""The layers import one way: core <- ecs <- assembly <- adapter, core <- lifecycle <- adapter; the emulator
depends on core only. The OpenTofu/Terraform edge (``terraform``) sits beside the adapter with the same arrows:
core, assembly and lifecycle below it, and neither edge imports the other.

``assembly`` is the one composition root: it builds the ECS side (credentials, rate limiter, clients) from
settings, for the plugin, the dynamic variant and the CLI alike. ``cli.py`` and ``dynamic.py`` sit at the
top beside the adapter: they call the layers below and nothing in the package imports them. The CLI also
starts the emulator (``ecsreboot emulator``) and prints the schema, and speaks neither gRPC nor Pulumi;
``dynamic.py`` is the Pulumi-program variant of the plugin. This is the one place the layer rules are checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "provider" / "ecsreboot"


def imports_of(path: Path, root: Path = PKG.parent) -> set[str]:
    """Absolute module names imported by a file (relative imports resolved against ``root``)."""
    tree = ast.parse(path.read_text())
    parts = list(path.relative_to(root).with_suffix("").parts)
    package = parts[:-1]  # for pkg/__init__.py and pkg/mod.py alike, level 1 is pkg
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def files(sub: str) -> list[Path]:
    target = PKG / sub
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


def project_imports(path: Path, root: Path = PKG.parent) -> set[str]:
    return {m for m in imports_of(path, root) if m == "ecsreboot" or m.startswith("ecsreboot.")}


RULES = {
    # layer: allowed project prefixes
    "core": ("ecsreboot.core",),
    "ecs": ("ecsreboot.core", "ecsreboot.ecs"),
    "emulator": ("ecsreboot.core", "ecsreboot.emulator"),
    # the engine harness talks to the plugin over gRPC only, like the real engine (Pulumi's wire constants aside)
    "testing": ("ecsreboot.testing", "ecsreboot.core.sentinels"),
    "lifecycle.py": ("ecsreboot.core",),
    "assembly": ("ecsreboot.core", "ecsreboot.ecs", "ecsreboot.assembly"),
    "adapter": ("ecsreboot.core", "ecsreboot.assembly", "ecsreboot.adapter", "ecsreboot.lifecycle",
                "ecsreboot.__version__"),
    # the OpenTofu/Terraform edge: beside the adapter, over the same lifecycle and assembly (never the adapter)
    "terraform": ("ecsreboot.core", "ecsreboot.assembly", "ecsreboot.terraform", "ecsreboot.lifecycle",
                  "ecsreboot.__version__"),
    # the tops, beside the adapter
    "cli.py": ("ecsreboot.core", "ecsreboot.ecs", "ecsreboot.assembly", "ecsreboot.emulator", "ecsreboot.adapter",
               "ecsreboot.__version__"),
    "dynamic.py": ("ecsreboot.core", "ecsreboot.assembly", "ecsreboot.adapter", "ecsreboot.lifecycle",
                   "ecsreboot.__version__"),
}
#: the package's own files no rule needs to cover (they import nothing of the project)
UNRULED = ("__init__.py",)
THIRD_PARTY_FORBIDDEN = {
    "core": ("grpc", "pulumi", "requests", "google", "http.server", "socketserver", "urllib.request"),
    "ecs": ("grpc", "pulumi", "http.server", "socketserver"),
    "emulator": ("grpc", "pulumi", "requests", "urllib.request", "http.client"),
    "lifecycle.py": ("grpc", "pulumi", "requests"),
    "assembly": ("grpc", "pulumi", "http.server", "socketserver"),
    "cli.py": ("grpc", "pulumi"),
    "dynamic.py": ("grpc",),
    "terraform": ("pulumi",),
}


@pytest.mark.parametrize("layer", sorted(RULES))
def test_project_imports_follow_the_layers(layer: str) -> None:
    allowed = RULES[layer]
    bad = {
        f"{path.relative_to(PKG)}: {module}"
        for path in files(layer)
        for module in project_imports(path)
        if module != "ecsreboot" and not module.startswith(allowed)
    }
    assert not bad, sorted(bad)


@pytest.mark.parametrize("layer", sorted(THIRD_PARTY_FORBIDDEN))
def test_third_party_imports_stay_in_their_layer(layer: str) -> None:
    forbidden = THIRD_PARTY_FORBIDDEN[layer]
    bad = {
        f"{path.relative_to(PKG)}: {module}"
        for path in files(layer)
        for module in imports_of(path)
        if module.split(".")[0] in {f.split(".")[0] for f in forbidden if "." not in f} or module in forbidden
        or any(module.startswith(f + ".") for f in forbidden)
    }
    assert not bad, sorted(bad)


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    """The rule can fail: a core module importing the adapter is caught."""
    fake = tmp_path / "ecsreboot" / "core" / "probe.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("from ..adapter import server\n")
    assert "ecsreboot.adapter" in project_imports(fake, tmp_path)


def test_every_module_of_the_package_is_under_a_rule() -> None:
    """A new top-level module cannot slip past the layer rules."""
    top = {p.name for p in PKG.iterdir() if (p.suffix == ".py" or (p / "__init__.py").exists())}
    assert top - set(RULES) - set(UNRULED) == set()
    assert all(not project_imports(PKG / name) - {"ecsreboot"} for name in UNRULED)


def test_nothing_imports_the_composition_level() -> None:
    """cli.py and dynamic.py are tops: no module of the package imports either."""
    bad = {
        f"{path.relative_to(PKG)}: {module}"
        for path in PKG.rglob("*.py")
        for module in project_imports(path)
        if module.startswith(("ecsreboot.cli", "ecsreboot.dynamic"))
    }
    assert not bad, sorted(bad)
