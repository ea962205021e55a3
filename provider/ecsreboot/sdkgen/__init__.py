"""The project's own Python SDK generator: schema.json in, ``sdk/python`` (``pulumi_ecsreboot``) out.

The Pulumi CLI (``pulumi package gen-sdk``) is not available where this project builds, so this small
generator writes an SDK in the shape of Pulumi's Python codegen (PULUMI-PROTOCOL.md §7): Args classes
and TypedDicts, resource classes with ``get``, enums, output types, the Provider with JSON-encoded
non-string config, config getters, ``_utilities``, ``pyproject.toml`` and ``pulumi-plugin.json``.

It is driven by the schema alone (standard library only, no other ecsreboot module) and supports the
features the ecsreboot schema uses; anything else raises :class:`SchemaError`. Output is deterministic.

Usage: ``python -m ecsreboot.sdkgen schema.json sdk/python`` (what ``make sdk`` runs), or
``generate(json.loads(text))`` for the files as a dict.
"""

from .generate import generate, write
from .model import SchemaError

__all__ = ["SchemaError", "generate", "write"]
