"""Pulumi property paths, as the engine writes and parses them (``PropertyPath.String`` in Pulumi's Go SDK).

A detailed diff names what changed by path: ``triggers.configHash``, but ``triggers["nginx.conf"]`` for a key
that is not made of ASCII letters, digits and ``_`` only — written as ``triggers.nginx.conf`` the engine would
read two nested keys. Inside ``["…"]`` a ``"`` is escaped as ``\\"``; nothing else is escaped.
"""

from __future__ import annotations

import re

_PLAIN = re.compile(r"[A-Za-z0-9_]+")


def property_path(*elements: str | int) -> str | None:
    """The path to ``elements`` (keys, or list indexes), or None when a key cannot be written in the syntax.

    The one key the syntax cannot hold is one ending in a backslash (``["a\\"]`` reads as an escaped quote);
    callers then report the enclosing property instead.
    """
    parts: list[str] = []
    for n, element in enumerate(elements):
        if isinstance(element, int):
            parts.append(f"[{element}]")
        elif _PLAIN.fullmatch(element):
            parts.append(element if n == 0 else f".{element}")
        elif element.endswith("\\"):
            return None
        else:
            parts.append('["' + element.replace('"', '\\"') + '"]')
    return "".join(parts)


def top_level(path: str) -> str:
    """The top-level property a path starts with (``triggers`` for ``triggers["a.b"]``)."""
    if path.startswith('["'):
        return str(parse(path)[0])
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def parse(path: str) -> list[str | int]:
    """The elements of a path written by ``property_path`` (the engine's grammar, without ``*`` wildcards)."""
    elements: list[str | int] = []
    i = 0
    while i < len(path):
        if path[i] == ".":
            i += 1
        elif path.startswith('["', i):
            key: list[str] = []
            i += 2
            while path[i] != '"':
                if path.startswith('\\"', i):
                    key.append('"')
                    i += 2
                else:
                    key.append(path[i])
                    i += 1
            if path[i + 1] != "]":
                raise ValueError(f"missing ']' in property path {path!r}")
            elements.append("".join(key))
            i += 2
        elif path[i] == "[":
            end = path.index("]", i)
            elements.append(int(path[i + 1:end]))
            i = end + 1
        else:
            match = re.match(r"[^.\[]+", path[i:])
            assert match is not None
            elements.append(match.group(0))
            i += match.end()
    return elements
