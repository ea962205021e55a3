"""The SDK generator itself: names, versions, unsupported schema features, the command line, and a second,
made-up schema that exercises what ecsreboot's schema does not (secret outputs, object inputs, int enums)."""

from __future__ import annotations

import copy
import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi_ecsreboot import _utilities

from ecsreboot.sdkgen import SchemaError, generate
from ecsreboot.sdkgen.__main__ import main
from ecsreboot.sdkgen.names import enum_member_name, init_param_name, pep440, py_name

from .conftest import Harness
from .mocking import SCHEMA, secret_of

DEMO: dict[str, Any] = {
    "name": "demo",
    "version": "1.2.3-beta.4",
    "description": "A made-up package.",
    "language": {"python": {"respectSchemaVersion": True}},
    "config": {"variables": {
        "token": {"type": "string", "secret": True},
        "verbose": {"type": "boolean", "default": False, "defaultInfo": {"environment": ["DEMO_VERBOSE"]}},
    }},
    "provider": {"inputProperties": {
        "token": {"type": "string", "secret": True},
        "verbose": {"type": "boolean", "defaultInfo": {"environment": ["DEMO_VERBOSE"]}},
        "tags": {"type": "array", "items": {"type": "string"}},
    }},
    "types": {
        "demo:index:Size": {"type": "integer", "enum": [{"name": "Small", "value": 1}, {"name": "Large", "value": 2}]},
        "demo:index:Spec": {
            "type": "object",
            "properties": {
                "sizeHint": {"$ref": "#/types/demo:index:Size"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "required": ["sizeHint"],
        },
    },
    "resources": {"demo:index:Widget": {
        "inputProperties": {
            "password": {"type": "string", "secret": True},
            "spec": {"$ref": "#/types/demo:index:Spec"},
            "count": {"type": "integer", "default": 3},
        },
        "requiredInputs": ["password"],
        "properties": {
            "password": {"type": "string", "secret": True},
            "spec": {"$ref": "#/types/demo:index:Spec"},
            "count": {"type": "integer"},
            "apiKey": {"type": "string", "secret": True},
        },
        "required": ["password", "count", "apiKey"],
    }},
}


@pytest.mark.parametrize(("wire", "python"), [
    ("instanceIds", "instance_ids"), ("regionId", "region_id"), ("maxRequestsPerSecond", "max_requests_per_second"),
    ("rebootApi", "reboot_api"), ("HTTPServer", "http_server"), ("uuid4", "uuid4"), ("class", "class_"),
    ("triggers", "triggers"),
])
def test_wire_names_become_snake_case(wire: str, python: str) -> None:
    assert py_name(wire) == python


def test_init_parameters_and_enum_members_avoid_collisions() -> None:
    assert init_param_name("opts") == "opts_" and init_param_name("resourceName") == "resource_name_"
    assert [enum_member_name(n) for n in ("AllTogether", "RebootInstances", "v3")] == [
        "ALL_TOGETHER", "REBOOT_INSTANCES", "V3"]


@pytest.mark.parametrize(("semver", "pypi"), [
    ("0.1.0", "0.1.0"), ("1.2.3-alpha.4", "1.2.3a4"), ("1.2.3-beta.1", "1.2.3b1"), ("2.0.0-rc.2", "2.0.0rc2"),
    ("1.0.0-dev.7", "1.0.0.dev7"), ("1.0.0-nightly.20240101", "1.0.0+nightly.20240101"),
])
def test_versions_round_trip_through_pep440(semver: str, pypi: str) -> None:
    assert pep440(semver) == pypi
    # the generated _utilities maps the installed distribution's version back for the engine
    assert str(_utilities._semver(pypi)) == semver


@pytest.mark.parametrize("change", [
    {"functions": {"ecsreboot:index:getThing": {}}},
    {"resources": {"ecsreboot:other:Thing": {}}},
    {"resources": {"ecsreboot:index:Thing": {"inputProperties": {"x": {"oneOf": [{"type": "string"}]}}}}},
    {"resources": {"ecsreboot:index:Thing": {"properties": {"x": {"$ref": "#/types/ecsreboot:index:Nope"}}}}},
    {"version": ""},
])
def test_unsupported_schema_features_are_refused(change: dict[str, Any]) -> None:
    schema = {**copy.deepcopy(SCHEMA), **change}
    with pytest.raises(SchemaError):
        generate(schema)


def test_the_command_line_writes_what_generate_returns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(SCHEMA))
    assert main([str(schema_file), str(tmp_path / "out")]) == 0
    written = {p.relative_to(tmp_path / "out").as_posix(): p.read_text() for p in (tmp_path / "out").rglob("*")
               if p.is_file()}
    assert written == generate(SCHEMA)
    schema_file.write_text(json.dumps({**SCHEMA, "functions": {"x:index:f": {}}}))
    assert main([str(schema_file), str(tmp_path / "bad")]) == 2
    assert "unsupported schema" in capsys.readouterr().err and not (tmp_path / "bad").exists()


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The made-up package, generated into a temporary directory and imported."""
    from ecsreboot.sdkgen import write

    write(generate(DEMO), tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == "pulumi_demo" or m.startswith("pulumi_demo.")]:
        monkeypatch.delitem(sys.modules, name)
    assert 'version = "1.2.3b4"' in (tmp_path / "pyproject.toml").read_text()
    return importlib.import_module("pulumi_demo")


@pulumi.runtime.test
def test_another_schema_gets_secret_outputs_object_inputs_and_int_enums(mocks: Harness, demo: Any,
                                                                        monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("DEMO_VERBOSE", "true")
    provider = demo.Provider("p", token="t0k", tags=["a", "b"])
    widget = demo.Widget("w", password="pw", spec={"size_hint": demo.Size.LARGE, "labels": {"team": "x"}})
    with pytest.raises(TypeError, match="password"):
        demo.Widget("no-password")

    def check(_: Any) -> None:
        assert demo._utilities.get_version() == "1.2.3-beta.4"
        inputs = dict(mocks.mocks.one("demo:index:Widget", "w").inputs)
        assert secret_of(inputs.pop("password")) == "pw"
        assert inputs == {"spec": {"sizeHint": 2, "labels": {"team": "x"}}, "count": 3}
        registration = next(r for r in mocks.monitor.registrations if r.name == "w")
        assert sorted(registration.additionalSecretOutputs) == ["apiKey", "password"]
        assert registration.version == "1.2.3-beta.4"
        config = dict(mocks.mocks.one("pulumi:providers:demo", "p").inputs)
        assert secret_of(config.pop("token")) == "t0k"
        assert config == {"verbose": "true", "tags": '["a", "b"]'}

    return pulumi.Output.all(provider.id, widget.id).apply(check)


def test_the_generator_uses_the_standard_library_only() -> None:
    import ast

    import ecsreboot.sdkgen

    package = Path(ecsreboot.sdkgen.__file__).parent
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                continue  # a sibling module
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                assert top == "__future__" or top in sys.stdlib_module_names, f"{path.name} imports {name}"
