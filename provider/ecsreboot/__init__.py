"""ecsreboot: reboot Alibaba Cloud ECS instances from Pulumi when trigger keys change.

Layers, one way only (checked by tests/test_layers.py):
core (domain, stdlib only) <- ecs (the ECS API client and reboot rounds) <- adapter (Pulumi gRPC).
The emulator depends on core only.
"""

__version__ = "0.1.0"
