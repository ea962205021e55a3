"""A harness that plays the Pulumi engine against the real plugin process (tests, `make demo`, benchmarks).

It drives the plugin as the engine does: launch (port alone on the first stdout line), Handshake,
GetPluginInfo, CheckConfig, Configure, then per resource Check -> Diff -> Create/Update with
``preview=true`` and again without, keeping a state document between passes (initErrors force an
Update; after ErrorResourceInitFailed on Update the state keeps the new outputs with the old
inputs), and Cancel -> SIGINT -> SIGKILL at shutdown.
"""

from .engine import (
    Deployment,
    EngineServer,
    PassResult,
    Plugin,
    ResourceDecl,
    StepError,
    hermetic_env,
    secret,
    unknown,
)

__all__ = [
    "Deployment",
    "EngineServer",
    "PassResult",
    "Plugin",
    "ResourceDecl",
    "StepError",
    "hermetic_env",
    "secret",
    "unknown",
]
