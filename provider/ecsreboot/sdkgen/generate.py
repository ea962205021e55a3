"""From a parsed schema to the files of the Python SDK, and onto disk."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import modules, packaging, resources, utilities
from .model import SchemaError, parse
from .names import module_file, pep440


def generate(schema: Mapping[str, Any], *, source: str = "schema.json") -> dict[str, str]:
    """The SDK's files, relative POSIX path -> text, in sorted order.

    Pure and deterministic: the same schema gives byte-identical files. ``source`` only names the
    schema in the generated-file markers.
    """
    pkg = parse(schema)
    python = pkg.python
    input_types = python.get("inputTypes", "classes-and-dicts")
    if input_types not in ("classes", "classes-and-dicts"):
        raise SchemaError(f"language.python.inputTypes {input_types!r} is not supported")
    dicts = input_types == "classes-and-dicts"
    py_package = str(python.get("packageName") or f"pulumi_{pkg.name.replace('-', '_')}")
    version = pep440(pkg.version) if python.get("respectSchemaVersion") else "0.0.0"
    files = {
        "pyproject.toml": packaging.pyproject(pkg, source, py_package),
        "README.md": packaging.readme(pkg, source),
    }
    inner = {
        "README.md": packaging.readme(pkg, source),
        "__init__.py": modules.package_init(pkg, source, py_package),
        "_utilities.py": utilities.generate(
            source,
            distribution=packaging.distribution_name(pkg),
            version=version,
            plugin_download_url=pkg.plugin_download_url,
        ),
        "_enums.py": modules.enums(pkg, source),
        "_inputs.py": modules.inputs(pkg, source, dicts=dicts),
        "outputs.py": modules.outputs(pkg, source),
        "provider.py": resources.generate(pkg, pkg.provider, source, dicts=dicts),
        "py.typed": packaging.py_typed(source),
        "pulumi-plugin.json": packaging.plugin_json(pkg),
    }
    for res in pkg.resources:
        name = module_file(res.token)
        if f"{name}.py" in inner:
            raise SchemaError(f"resource {res.token} would overwrite {name}.py")
        inner[f"{name}.py"] = resources.generate(pkg, res, source, dicts=dicts)
    if pkg.config:
        inner["config/__init__.py"] = modules.config_init(source)
        inner["config/__init__.pyi"] = modules.config_stubs(pkg, source)
        inner["config/vars.py"] = modules.config_vars(pkg, source)
    files.update({f"{py_package}/{path}": text for path, text in inner.items()})
    return dict(sorted(files.items()))


def write(files: Mapping[str, str], out_dir: Path) -> None:
    """Writes the files under ``out_dir`` as UTF-8 with ``\\n`` line ends. It does not delete stale files:
    ``make sdk`` empties the directory first."""
    for path, text in files.items():
        target = out_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
