"""``python -m ecsreboot.emulator`` (and ``ecsreboot emulator``): serve the ECS emulator until stopped.

Prints ``ECS emulator listening on http://HOST:PORT`` once ready (flushed), then the ids of the
instances it created on one line, and serves until SIGINT or SIGTERM; exits 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType
from typing import Any

from ecsreboot.core.operations import OPERATIONS

from .app import ThreadedEmulator


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
    keys, sts = {args.access_key_id: args.access_key_secret}, []
    if args.security_token:
        keys, sts = {}, [(args.access_key_id, args.access_key_secret, args.security_token)]
    stop = threading.Event()
    restore = _on_signals(stop)  # before binding, so an early SIGTERM still ends cleanly
    try:
        return _serve(args, keys, sts, stop)
    finally:
        restore()


def _serve(args: argparse.Namespace, keys: dict[str, str], sts: list[tuple[str, str, str]],
           stop: threading.Event) -> int:
    try:
        emulator = ThreadedEmulator(
            args.host, args.port, args.instances, args.region, keys, sts,
            durations={"Stopping": args.stopping_seconds, "Starting": args.starting_seconds},
            latency=args.latency, seed=args.seed, allow_remote=args.allow_remote,
            on_request=_print_request if args.verbose else None, stale_window=args.stale_window,
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
