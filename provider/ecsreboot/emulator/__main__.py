"""``python -m ecsreboot.emulator`` (and ``ecsreboot emulator``): serve the ECS emulator until stopped.

Prints ``ECS emulator listening on http://HOST:PORT`` once ready (flushed), then the ids of the
instances it created on one line, and serves until SIGINT or SIGTERM; exits 0.

The fleet it starts with: ``--instances`` instances with the attributes of ``--tag``, ``--vpc-id``,
``--vswitch-id``, ``--zone-id``, ``--resource-group-id`` and ``--instance-name`` (defaults where not
given), then each group of ``--fleet`` (a JSON file, or JSON text): a list of objects shaped as the admin
API's ``POST /_emulator/instances`` body, e.g.
``[{"count": 250, "tags": {"app": "web"}, "vpcId": "vpc-x", "instanceName": "web-{n}"}]``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from ecsreboot.core.operations import OPERATIONS
from ecsreboot.core.runtime import tune_garbage_collector

from .admin import attributes_of, group_of
from .app import ThreadedEmulator
from .records import Group


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ecsreboot emulator",
                                description=f"Serve an Alibaba Cloud ECS API look-alike. {served_actions()}")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    p.add_argument("--instances", type=int, default=3, help="Running instances to create (default 3)")
    p.add_argument("--region", default="cn-hangzhou", help="region of those instances (default cn-hangzhou)")
    p.add_argument("--access-key-id", default="emulator-key", help="accepted access key id")
    p.add_argument("--access-key-secret", default="emulator-secret", help="its secret")
    p.add_argument("--security-token", default=None, help="make the key an STS key that must carry this token")
    p.add_argument("--stopping-seconds", type=float, default=2.0, help="how long Stopping lasts (default 2)")
    p.add_argument("--starting-seconds", type=float, default=3.0, help="how long Starting lasts (default 3)")
    p.add_argument("--latency", type=float, default=0.0, help="extra seconds before every API answer")
    p.add_argument("--stale-window", type=float, default=0.0, metavar="S",
                   help="after a reboot call, describes show the old Running and StartTime for S seconds "
                        "(as the real API does for a moment; default 0)")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="a tag of each of the --instances (repeatable)")
    p.add_argument("--vpc-id", help="the VPC of the --instances (default vpc-<region>-emulated)")
    p.add_argument("--vswitch-id", help="their vSwitch (default vsw-<region>-h-emulated)")
    p.add_argument("--zone-id", help="their zone (default <region>-h)")
    p.add_argument("--resource-group-id", help="their resource group (default rg-emulated-default)")
    p.add_argument("--instance-name", help="their name; {n} is each one's position, from 1 (web-{n})")
    p.add_argument("--fleet", action="append", default=[], metavar="JSON",
                   help="more instances: a JSON file or JSON text, a list of {count | instanceIds, region?, "
                        "status?, tags?, vpcId?, vSwitchId?, zoneId?, resourceGroupId?, instanceName?} "
                        "(repeatable)")
    p.add_argument("--seed", type=int, default=0, help="seed of instance ids and random faults")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    p.add_argument("-v", "--verbose", action="store_true", help="one line per API request on stderr")
    return p


def served_actions() -> str:
    """The actions the emulator answers, as the operations table lists them: first those ecsreboot sends,
    then those it serves only for other clients."""
    sent = [op.action for op in OPERATIONS.values() if not op.emulator_only]
    others = [op.action for op in OPERATIONS.values() if op.emulator_only]
    text = f"Answers {', '.join(sent)} (what ecsreboot sends)"
    return text + (f" and {', '.join(others)} (for the official SDKs and your own scripts)." if others else ".")


def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM. Returns 0, or 2 for unusable flags, 1 if the port cannot be bound."""
    args = build_parser().parse_args(argv)
    tune_garbage_collector()
    keys, sts = {args.access_key_id: args.access_key_secret}, []
    if args.security_token:
        keys, sts = {}, [(args.access_key_id, args.access_key_secret, args.security_token)]
    stop = threading.Event()
    restore = _on_signals(stop)  # before binding, so an early SIGTERM still ends cleanly
    try:
        return _serve(args, keys, sts, stop)
    finally:
        restore()


def fleet_of(args: argparse.Namespace) -> tuple[int, list[Group]]:
    """(plain instances, groups) the flags describe: the ``--instances`` are a group of their own when an
    attribute flag is given (else plain, with default attributes), then each ``--fleet``. ValueError says
    what is wrong with a flag."""
    groups: list[Group] = []
    tags: dict[str, str] = {}
    for item in args.tag:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--tag {item!r}: give KEY=VALUE")
        tags[key] = value
    flags = {"tags": tags or None, "vpcId": args.vpc_id, "vSwitchId": args.vswitch_id, "zoneId": args.zone_id,
             "resourceGroupId": args.resource_group_id, "instanceName": args.instance_name}
    plain = args.instances
    if any(v is not None for v in flags.values()) and args.instances:
        groups.append(Group(args.instances, args.region, "Running", attributes_of(flags)))
        plain = 0
    for text in args.fleet:
        groups.extend(_fleet_groups(text))
    return plain, groups


def _fleet_groups(text: str) -> list[Group]:
    source = text if text.lstrip()[:1] in ("[", "{") else None
    if source is None:
        try:
            source = Path(text).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"--fleet {text}: cannot read it ({exc.strerror})") from None
    try:
        data = json.loads(source)
    except ValueError as exc:
        raise ValueError(f"--fleet: not JSON ({exc})") from None
    entries = data if isinstance(data, list) else [data]
    if not all(isinstance(e, dict) for e in entries):
        raise ValueError("--fleet: give a JSON object or a list of them")
    try:
        return [group_of(e) for e in entries]
    except (ValueError, TypeError) as exc:
        raise ValueError(f"--fleet: {exc}") from None


def _serve(args: argparse.Namespace, keys: dict[str, str], sts: list[tuple[str, str, str]],
           stop: threading.Event) -> int:
    try:
        plain, fleet = fleet_of(args)
        emulator = ThreadedEmulator(
            args.host, args.port, plain, args.region, keys, sts,
            durations={"Stopping": args.stopping_seconds, "Starting": args.starting_seconds},
            latency=args.latency, seed=args.seed, allow_remote=args.allow_remote,
            on_request=_print_request if args.verbose else None, stale_window=args.stale_window, fleet=fleet,
        )
        emulator.start()
    except ValueError as exc:
        print(f"ecsreboot emulator: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"ecsreboot emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"ECS emulator listening on {emulator.url}", flush=True)
        print(" ".join(emulator.instance_ids()), flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


def _print_request(entry: dict[str, Any]) -> None:
    outcome = "dropped" if entry["status"] is None else f"{entry['status']} {entry['code'] or 'OK'}"
    print(f"{entry['time']} {entry['action'] or '-'} -> {outcome}", file=sys.stderr, flush=True)


def _on_signals(stop: threading.Event) -> Any:
    """Set ``stop`` on SIGINT/SIGTERM (main thread only); returns a function restoring the old handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for s, h in old.items():
            signal.signal(s, h)

    return restore


if __name__ == "__main__":
    sys.exit(main())
