"""`python registration.py ours|dynamic N`: the program side of registering N resources, alone.

The same resources as the `triggers` and `dynamic` programs, registered under Pulumi's mocks (no engine, no
provider): what is left is the Python SDK's own work per resource, which grows with the properties a
resource declares. Prints the process's CPU seconds for the registrations."""

import asyncio
import sys
import time
from pathlib import Path

import pulumi


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):  # type: ignore[no-untyped-def]
        return [f"{args.name}-id", args.inputs]

    def call(self, args):  # type: ignore[no-untyped-def]
        return {}


def main() -> None:
    which, n = sys.argv[1], int(sys.argv[2])
    pulumi.runtime.set_mocks(_Mocks(), preview=True)
    start = time.process_time()
    if which == "ours":
        import pulumi_ecsreboot as ecsreboot

        last = None
        for k in range(n):
            last = ecsreboot.RebootTrigger(f"t{k}", instance_ids=["i-abc"], reboot_on_create=False,
                                           triggers={"configHash": f"h{k}"})
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent / "dynamic"))
        from pulumi.dynamic import Resource
        from trivial import Trivial

        class Thing(Resource):  # as the `dynamic` program declares it
            def __init__(self, name: str, config_hash: str) -> None:
                super().__init__(Trivial(), name, {"configHash": config_hash})

        for k in range(n):
            last = Thing(f"t{k}", f"h{k}")
    assert last is not None
    asyncio.get_event_loop().run_until_complete(pulumi.runtime.stack.wait_for_rpcs())
    print(f"{time.process_time() - start:.3f}")


if __name__ == "__main__":
    main()
