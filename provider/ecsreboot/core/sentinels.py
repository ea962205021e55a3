"""Pulumi's wire constants: the signatures of special values in a property map, and the unknown sentinels.

The one copy in the project (stdlib only, so every layer may read it): the adapter decodes and encodes
with them, the engine harness (``testing/engine.py``) and the tests build wire values with them.
They are Pulumi's own values (``pulumi.runtime.rpc``; tests/unit/core/test_sentinels.py pins them).
"""

from __future__ import annotations

#: the key whose value says what a special map is
SIG_KEY = "4dabf18193072939515e22adb298388d"
#: ``{SIG_KEY: SECRET_SIG, "value": ...}`` is a secret
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"

#: the unknown value (preview) as the engine sends and expects it
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
#: every typed unknown sentinel; all decode to the one unknown
UNKNOWN_SENTINELS = frozenset(
    {
        UNKNOWN_STRING,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # bool
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)
