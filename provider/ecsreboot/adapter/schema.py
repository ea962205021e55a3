"""The package schema, generated from the declaration in core/resource.py.

``ecsreboot schema`` prints it; ``make schema`` writes it to schema.json; GetSchema serves it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .. import __version__
from ..core import resource as r

_DESCRIPTION = (
    "Reboot Alibaba Cloud ECS instances during `pulumi up` when trigger keys change: with a dry run in "
    "preview, rolling waves, waiting until the instances are Running again, and partial-failure "
    "handling that retries only the instances that failed."
)

_RESOURCE_DESCRIPTION = """Reboots ECS instances during `pulumi up` whenever its trigger keys change.

- **Create** reboots every instance when `rebootOnCreate` is true (the default).
- **Update** reboots every instance when any trigger key is added, removed or changed; otherwise it reboots only the
  instances recorded in `failedInstanceIds` by a previous partial failure. Changing other inputs reboots nothing.
- **Preview** never reboots: the would-be reboot is checked with the API's DryRun when credentials are at hand.
  Permanent problems (unknown instance, permission denied) fail the preview; passing conditions (an instance not
  Running right now) are warnings.
- A round that leaves instances failed (SuccessFirst partial failure, wait timeout) fails the step but records the
  new state, so the next `pulumi up` retries only `failedInstanceIds`.
- The wait for `Running` is bounded by the resource's `customTimeouts` (default 10 minutes).
- With `healthCheck`, each rebooted instance is probed until healthy before the next wave starts; `maxFailures`
  stops a failing rollout (the rest get `NotAttempted`), and `pauseBetweenWaves` soaks between waves.
- With `instanceSelector`, the instances are chosen by tags and filters with DescribeInstances at every round
  (preview included); `maxInstances` fails a larger selection before any reboot, and a selection that matches
  nothing is an error. The output `selectedInstanceIds` lists what the last round was chosen from.
- **Delete** calls no API.

## Example

```python
import pulumi
import pulumi_ecsreboot as ecsreboot

ecsreboot.RebootTrigger("web",
    instance_ids=["i-bp67acfmxazb4p****"],
    triggers={"configHash": config_hash},
    max_unavailable=2)

# every instance tagged app=web in one VPC, at most 200, two at a time
ecsreboot.RebootTrigger("fleet",
    instance_selector={"tags": {"app": "web"}, "vpc_id": "vpc-bp1example", "max_instances": 200},
    triggers={"configHash": config_hash},
    max_unavailable=2)
```
"""


#: The generators' options (Pulumi's codegen/<language> importers). `respectSchemaVersion` writes the schema's
#: `version` into each SDK (pyproject.toml, package.json, pulumi-plugin.json), which otherwise says 0.0.0.
#: The Python floor is codegen's own (pulumi>=3.269.0, the first release with every API the generated code
#: calls, e.g. `pulumi.runtime.exists_resource`), and that release needs Python 3.10.
_LANGUAGE: dict[str, Any] = {
    "python": {
        "packageName": "pulumi_ecsreboot",
        "pythonRequires": ">=3.10",
        "respectSchemaVersion": True,
        "pyproject": {"enabled": True},
        "inputTypes": "classes-and-dicts",
        "readme": "Reboot Alibaba Cloud ECS instances from Pulumi when trigger keys change.",
    },
    "nodejs": {
        "packageName": "@ecsreboot/pulumi",
        "packageDescription": "Reboot Alibaba Cloud ECS instances from Pulumi when trigger keys change.",
        "readme": "Reboot Alibaba Cloud ECS instances from Pulumi when trigger keys change.",
        "respectSchemaVersion": True,
        "dependencies": {"@pulumi/pulumi": "^3.269.0"},
    },
    "go": {
        "importBasePath": "github.com/ecsreboot/ecsreboot/sdk/go/ecsreboot",
        "respectSchemaVersion": True,
        "generateResourceContainerTypes": True,
    },
}


def _type_spec(prop: r.Prop) -> dict[str, Any]:
    if prop.type == "string[]":
        return {"type": "array", "items": {"type": "string"}}
    if prop.type == "any{}":
        return {"type": "object", "additionalProperties": {"$ref": "pulumi.json#/Any"}}
    if prop.type == "string{}":
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if prop.type == "enum":
        return {"$ref": f"#/types/{prop.enum_token}"}
    if prop.type == "integer[]":
        return {"type": "array", "items": {"type": "integer"}}
    if prop.type in r.OBJECT_TYPES:
        return {"$ref": f"#/types/{r.OBJECT_TYPES[prop.type].token}"}
    if prop.type == "results":
        return {"type": "array", "items": {"$ref": f"#/types/{r.RESULT_TOKEN}"}}
    return {"type": prop.type}


def property_spec(prop: r.Prop) -> dict[str, Any]:
    """One propertySpec of the metaschema."""
    spec: dict[str, Any] = {**_type_spec(prop), "description": prop.description}
    if prop.default is not None and prop.type in ("string", "boolean", "integer", "number", "enum"):
        spec["default"] = prop.default
    if prop.env:
        spec["defaultInfo"] = {"environment": list(prop.env)}
    if prop.secret:
        spec["secret"] = True
    return spec


def config_variable_spec(prop: r.Prop) -> dict[str, Any]:
    """One stack config variable: an enum is declared as a string there (its values are in the description),
    since Pulumi's Go generator writes an enum default of a config variable as code that does not compile."""
    spec = property_spec(prop)
    if prop.type == "enum":
        del spec["$ref"]
        spec["type"] = "string"
    return spec


def _enum_types() -> dict[str, Any]:
    types: dict[str, Any] = {}
    for token, (description, values) in r.ENUM_DESCRIPTIONS.items():
        types[token] = {
            "type": "string",
            "description": description,
            "enum": [{"name": v, "value": v, "description": d} for v, d in values.items()],
        }
    return types


def _object_types() -> dict[str, Any]:
    return {kind.token: {**r.object_type_spec(name), "properties": {p.name: property_spec(p) for p in kind.fields}}
            for name, kind in r.OBJECT_TYPES.items()}


def schema() -> dict[str, Any]:
    """The whole package schema as a dict."""
    inputs = {p.name: property_spec(p) for p in r.INPUTS}
    outputs = {p.name: property_spec(p) for p in r.OUTPUTS}
    config = {p.name: property_spec(p) for p in r.CONFIG}
    variables = {p.name: config_variable_spec(p) for p in r.CONFIG}
    always_set = [p.name for p in r.INPUTS if p.required or p.default is not None or p.from_provider]
    return {
        "name": r.PACKAGE,
        "displayName": "ECS Reboot",
        "version": __version__,
        "description": _DESCRIPTION,
        "keywords": ["pulumi", "alicloud", "alibaba-cloud", "ecs", "reboot", "category/cloud", "kind/native"],
        "license": "Apache-2.0",
        "publisher": "ecsreboot",
        "repository": "https://github.com/ecsreboot/ecsreboot",
        # a package `pulumi package pack-sdk` can pack: every SDK carries `version`, and the Go SDK its go.mod
        "meta": {"supportPack": True},
        "config": {"variables": variables},
        "provider": {
            "description": "The provider type for the ecsreboot package. Settings mirror pulumi-alicloud's.",
            "inputProperties": config,
            "properties": {k: v for k, v in config.items() if k in ("region", "endpoint", "profile")},
        },
        "resources": {
            r.RESOURCE_TOKEN: {
                "description": _RESOURCE_DESCRIPTION,
                "inputProperties": inputs,
                "requiredInputs": [p.name for p in r.INPUTS if p.required],
                "properties": {**inputs, **outputs},
                "stateInputs": {
                    "description": "Input properties used for looking up and filtering RebootTrigger resources.",
                    "type": "object",
                    "properties": {**inputs, **outputs},
                },
                "required": sorted(set(always_set + [p.name for p in r.OUTPUTS if p.required])),
            }
        },
        "types": {**_enum_types(), r.RESULT_TOKEN: r.result_type_spec(), **_object_types()},
        # What Pulumi's code generators need per language (make sdk): the published package names of each SDK.
        "language": copy.deepcopy(_LANGUAGE),
    }


def schema_json() -> str:
    """The schema as committed in schema.json: sorted keys, two-space indent, trailing newline."""
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
