"""``ecsreboot``: the command line. Parses arguments and calls the layers below; no logic of its own.

``ecsreboot reboot ... INSTANCE_ID...`` runs one reboot round with the same engine as the resource.
The instances are the ids given (``-`` alone: read from standard input, any number, separated by
whitespace), the instances the selector flags select (``--tag``, ``--vpc-id``, ... as ``instanceSelector``
does, ``--max-instances`` its guard), or both together. Credentials come from the environment,
``~/.aliyun/config.json`` (``--profile``) or Alibaba's default chain, never from flags. Exit status: 0 when
every instance was rebooted (and is Running again unless ``--no-wait``; for ``--dry-run``, when no check
failed), 1 otherwise (a selection that cannot be used included: nothing is rebooted then), 2 for usage and
configuration errors, 130 when interrupted (Ctrl-C) and 143 when terminated (SIGTERM, what CI runners and
``timeout`` send): either signal cancels the round, which still prints its report. Errors are one line on
stderr, never a traceback.
``ecsreboot emulator ...`` and ``ecsreboot schema`` delegate to the emulator and the adapter.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from .assembly.backend import EcsBackend
from .assembly.config import ProviderConfig, resolve
from .core.errors import Cancelled, ConfigError, EcsError
from .core.health import MAX_SECONDS, HealthCheck, redact_url, url_problems
from .core.model import BATCH_OPTIMIZATIONS, REBOOT_APIS, ProgressEvent, RoundOptions, RoundResult
from .core.resource import CONFIG
from .core.runtime import tune_garbage_collector
from .core.selection import Selection, Selector, selector_problems, union
from .ecs import REBOOT_UNCONFIRMED

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: the signals that cancel a round (the report is still printed), and the exit status each gives: 128 + signal
STOP_SIGNALS = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: 128 + signal.SIGTERM}
# The same environment variables as the provider configuration (core/resource.py declares them).
_ENV = {p.name: p.env for p in CONFIG}
REGION_VARIABLES = _ENV["region"]
ENDPOINT_VARIABLE = _ENV["endpoint"][0]


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
        return value

    return parse


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value >= 0 or value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{text!r} must be a number of seconds from 0 to {MAX_SECONDS:g}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecsreboot", description="Reboot Alibaba Cloud ECS instances.")
    subs = parser.add_subparsers(dest="command", required=True, metavar="{reboot,emulator,schema}")
    r = subs.add_parser("reboot", help="reboot instances (one round, as the RebootTrigger resource does)")
    r.add_argument("instance_ids", nargs="*", metavar="INSTANCE_ID",
                   help="the instances to reboot; - alone reads them from standard input (any number, separated "
                        "by spaces or newlines); optional with a selector flag")
    r.add_argument("--region", help=f"region id (default: ${REGION_VARIABLES[0]}, then ${REGION_VARIABLES[1]})")
    r.add_argument("--force", action="store_true", help="ForceReboot / ForceStop")
    r.add_argument("--batch-optimization", choices=BATCH_OPTIMIZATIONS, default="AllTogether")
    r.add_argument("--api", choices=REBOOT_APIS, default="RebootInstances")
    r.add_argument("--dry-run", action="store_true", help="only check with the API's DryRun; reboot nothing")
    r.add_argument("--max-unavailable", type=_int_at_least(1), metavar="K", help="rolling: at most K at once")
    r.add_argument("--no-wait", action="store_true", help="do not wait for Running after the last wave")
    r.add_argument("--timeout", type=_positive_float, default=600.0, metavar="S", help="whole round (s)")
    r.add_argument("--endpoint", metavar="URL", help=f"ECS endpoint URL (default: ${ENDPOINT_VARIABLE}, "
                   "then https://ecs.<region>.aliyuncs.com)")
    r.add_argument("--signature-version", choices=("v1", "v3"), default="v3")
    r.add_argument("--output", choices=("table", "json"), default="table")
    r.add_argument("--max-retries", type=_int_at_least(0), default=5, metavar="N")
    r.add_argument("--max-requests-per-second", type=_positive_float, metavar="R")
    r.add_argument("--profile", help="profile of ~/.aliyun/config.json")
    r.add_argument("--health-check", metavar="URL",
                   help="after each instance is Running again, probe this http://, https:// or tcp:// URL template "
                        "({instanceId}, {privateIp}, {publicIp}) every 5s until it answers 200-399; the next wave "
                        "waits for it")
    r.add_argument("--max-failures", type=_int_at_least(0), metavar="N",
                   help="start no further wave once more than N instances have failed")
    r.add_argument("--pause-between-waves", type=_non_negative_float, default=0.0, metavar="S",
                   help="soak S seconds after each wave before the next")
    s = r.add_argument_group("selecting instances (as the resource's instanceSelector; every filter given must "
                             "match, and the ids given are added)")
    s.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE",
                   help="instances with this tag (KEY= for any value of the key); repeatable, up to 20")
    s.add_argument("--vpc-id", metavar="ID", help="instances in this VPC")
    s.add_argument("--vswitch-id", metavar="ID", help="instances in this vSwitch")
    s.add_argument("--zone-id", metavar="ID", help="instances in this zone (e.g. cn-hangzhou-h)")
    s.add_argument("--resource-group-id", metavar="ID", help="instances of this resource group")
    s.add_argument("--instance-name", metavar="NAME", help="instances of this name, * as a wildcard (web-*)")
    s.add_argument("--max-instances", type=_int_at_least(1), metavar="N",
                   help="fail before any reboot when the selection has more than N instances")
    subs.add_parser("emulator", help="serve a local ECS API emulator (see `ecsreboot emulator --help`)",
                    add_help=False)
    subs.add_parser("schema", help="print the Pulumi package schema")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ecsreboot`` console script; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    tune_garbage_collector()
    try:
        if args[:1] == ["emulator"]:
            return _emulator(args[1:])
        if args[:1] == ["schema"]:
            return _schema()
        ns = build_parser().parse_args(args)  # exits 2 with a usage line on bad input
        return _reboot(ns, os.environ, Path.home(), sys.stdout, sys.stderr, sys.stdin)
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except _Stopped as stop:
        _error(f"interrupted ({stop.signum.name}) while the selection was listed: nothing was rebooted")
        return STOP_SIGNALS[stop.signum]
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except EcsError as exc:
        _error(str(exc))
        return EXIT_FAILED
    except Exception as exc:  # the promise is one clear line, never a traceback
        _error(f"unexpected {type(exc).__name__}: {exc}")
        return EXIT_FAILED


def _error(message: str) -> None:
    print(f"ecsreboot: error: {message}", file=sys.stderr)


def _emulator(argv: list[str]) -> int:
    from .emulator.__main__ import main as emulator_main

    return int(emulator_main(argv) or 0)


def _schema() -> int:
    try:
        from .adapter.schema import schema_json
    except ImportError as exc:
        raise ConfigError(f"the schema is not available in this build ({exc})") from None
    sys.stdout.write(schema_json())
    return EXIT_OK


def settings(ns: argparse.Namespace, environ: Mapping[str, str]) -> ProviderConfig:
    """The provider settings of the flags: a flag given wins, then the same environment variables as the
    provider configuration (assembly/config.py reads both for the plugin too)."""
    flags = {"region": ns.region, "endpoint": ns.endpoint, "profile": ns.profile,
             "signatureVersion": ns.signature_version, "maxRetries": ns.max_retries,
             "maxRequestsPerSecond": ns.max_requests_per_second}
    # a stray space or newline around an exported value is not part of it
    return resolve({k: v for k, v in flags.items() if v is not None}, {k: v.strip() for k, v in environ.items()})


#: the flags of the selector's fields, for messages
_SELECTOR_FLAGS = {"tags": "--tag", "vpcId": "--vpc-id", "vSwitchId": "--vswitch-id", "zoneId": "--zone-id",
                   "resourceGroupId": "--resource-group-id", "instanceName": "--instance-name",
                   "maxInstances": "--max-instances"}


def instance_ids(ns: argparse.Namespace, stdin: TextIO) -> list[str]:
    """The ids given: the arguments, or with ``-`` alone, every whitespace-separated word of standard input
    (a fleet of any size: no argument list is long enough for 100,000 ids)."""
    given: list[str] = ns.instance_ids
    if "-" in given:
        if given != ["-"]:
            raise ConfigError("- reads the instance ids from standard input: give it alone, without other ids")
        given = stdin.read().split()
        if not given:
            raise ConfigError("- was given, but standard input holds no instance id")
    bad = [i for i in given if not i.strip() or any(c.isspace() or c == "," for c in i)]
    if bad:
        raise ConfigError(f"not an instance id: {bad[0]!r} (give ids separated by spaces)")
    return given


def selector(ns: argparse.Namespace) -> Selector | None:
    """The selector of the flags (None when no filter flag is given), checked as Check checks
    ``instanceSelector``; a problem is a ConfigError naming the flag."""
    tags: dict[str, str] = {}
    for item in ns.tag:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--tag {item!r}: give KEY=VALUE (KEY= for any value of the key)")
        tags[key] = value
    fields = {"tags": tags or None, "vpcId": ns.vpc_id, "vSwitchId": ns.vswitch_id, "zoneId": ns.zone_id,
              "resourceGroupId": ns.resource_group_id, "instanceName": ns.instance_name,
              "maxInstances": ns.max_instances}
    given = {k: v for k, v in fields.items() if v is not None}
    if not given:
        return None
    problems = selector_problems(given)
    if problems:
        field, reason = problems[0]
        if not field:
            raise ConfigError("--max-instances only limits a selection, it selects nothing: give --tag, --vpc-id, "
                              "--vswitch-id, --zone-id, --resource-group-id or --instance-name too "
                              "(--instance-name '*' selects every instance of the region)")
        raise ConfigError(f"{_SELECTOR_FLAGS[field]}: {reason}")
    return Selector.from_input(given)


def _reboot(ns: argparse.Namespace, environ: Mapping[str, str], home: Path, out: TextIO, err: TextIO,
            stdin: TextIO) -> int:
    config = settings(ns, environ)
    region = config.region
    if not region:
        raise ConfigError(f"no region: pass --region or set {REGION_VARIABLES[0]}")
    ids, chosen = instance_ids(ns, stdin), selector(ns)
    if not ids and chosen is None:
        raise ConfigError("no instances: give instance ids (- reads them from standard input), or select them "
                          "with --tag, --vpc-id, --vswitch-id, --zone-id, --resource-group-id or --instance-name")
    health = _health_check(ns)
    options = RoundOptions(
        region_id=region, force=ns.force, batch_optimization=ns.batch_optimization, api=ns.api,
        dry_run=ns.dry_run, max_unavailable=ns.max_unavailable, wait_for_running=not ns.no_wait,
        timeout=ns.timeout, health_check=health, max_failures=ns.max_failures,
        pause_between_waves=ns.pause_between_waves)
    with EcsBackend(config, environ=environ, home=home) as backend:
        problem = backend.credentials_problem()  # before the round starts: a usage error, exit status 2
        if problem is not None:
            raise ConfigError(problem)
        result, selected, stopped_by = _run(backend, ids, chosen, options, _Progress(err))
    if selected is not None and stopped_by is None:
        print(f"selected {len(selected.instance_ids)} instance(s) ({chosen.describe() if chosen else ''}) in "
              f"{region}" + (", plus the ids given" if ids else ""), file=err)
        for warning in selected.warnings:
            print(f"ecsreboot: warning: {warning}", file=err)
    if ns.output == "json":
        print(json.dumps(result_json(result, union(ids, selected) if chosen else None), indent=2), file=out)
    else:
        print(result_table(result, waited=options.wait_for_running), file=out)
    print(summary(result), file=err)
    if stopped_by is not None:  # in a CI log (no terminal, no progress lines) this says why it stopped
        print(f"ecsreboot: {stopped_by.name} received: round cancelled, the report above is what was done",
              file=err)
        return STOP_SIGNALS[stopped_by]
    if result.cancelled:
        return EXIT_INTERRUPTED
    return EXIT_OK if result.ok else EXIT_FAILED


def _health_check(ns: argparse.Namespace) -> HealthCheck | None:
    if ns.health_check is None:
        return None
    if ns.no_wait:
        raise ConfigError("--health-check needs the wait for Running: drop --no-wait")
    problems = url_problems(ns.health_check)
    if problems:
        raise ConfigError(f"--health-check {redact_url(ns.health_check)}: {problems[0]}")
    return HealthCheck(ns.health_check)


class _Stopped(Exception):
    """A stop signal arrived while the selection was listed: nothing was rebooted, there is no report."""

    def __init__(self, signum: signal.Signals) -> None:
        super().__init__(signum.name)
        self.signum = signum


def _run(backend: EcsBackend, ids: list[str], chosen: Selector | None, options: RoundOptions,
         progress: _Progress) -> tuple[RoundResult, Selection | None, signal.Signals | None]:
    """The selection and the round in a worker thread, so a signal in the main thread can cancel it cleanly;
    (result, the selection, the first stop signal received or None). A selection that cannot be used raises
    before any reboot (SelectionError); a stop signal during the listing raises ``_Stopped``.

    The main thread waits on an Event, not ``Thread.join``: on CPython 3.11/3.12 a join interrupted by
    KeyboardInterrupt may return at once the next time, before the worker has finished (and so before
    there is a result to report). While the round runs, SIGINT (Ctrl-C) and SIGTERM (a CI runner cancelling
    the job) only set the cancel event (no exception can land between two statements); further signals
    repeat that the round is being cancelled: the report of what was rebooted comes within about a second.
    """
    cancel, finished = threading.Event(), threading.Event()
    received: list[signal.Signals] = []

    def on_signal(signum: signal.Signals) -> None:
        received.append(signum)
        cancel.set()
        progress.line(f"cancelling ({signum.name}): reporting what was rebooted ...")
    box: dict[str, RoundResult | Selection | BaseException] = {}

    def work() -> None:
        try:
            selection, round_options, started = None, options, time.monotonic()
            if chosen is not None:
                selection = box["selection"] = backend.select(
                    chosen, options.region_id, cancel, options.timeout,
                    lambda n: progress(ProgressEvent("plan", f"selecting: {n} instance(s) listed", ephemeral=True)))
                # --timeout bounds the whole command: the round has what the listing left of it
                round_options = replace(options, timeout=max(1.0, options.timeout - (time.monotonic() - started)))
            box["result"] = backend.run_round(union(ids, selection), round_options, progress, cancel, selection)
        except BaseException as exc:
            box["error"] = exc
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="ecsreboot-round", daemon=True)
    with _stop_signals_call(on_signal):
        worker.start()
        while not finished.is_set():
            try:
                finished.wait(0.2)
            except KeyboardInterrupt:  # outside the main thread there is no handler: the old way
                on_signal(signal.SIGINT)
    progress.finish()
    outcome, selection = box.get("error") or box["result"], box.get("selection")
    if isinstance(outcome, Cancelled) and received:  # stopped while the selection was listed
        raise _Stopped(received[0]) from outcome
    if isinstance(outcome, BaseException):
        raise outcome
    assert isinstance(outcome, RoundResult) and (selection is None or isinstance(selection, Selection))
    return outcome, selection, (received[0] if received else None)


@contextlib.contextmanager
def _stop_signals_call(action: Callable[[signal.Signals], None]) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM call ``action`` with the signal instead of stopping the command (main
    thread only: Python delivers signals there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, lambda n, frame: action(signal.Signals(n))) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class _Progress:
    """Progress on a terminal only; ephemeral lines overwrite each other with ``\\r``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._dangling = False
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        if event.ephemeral:
            self._write(f"\r{event.message}\x1b[K", dangling=True)
        else:
            self.line(event.message)

    def line(self, message: str) -> None:
        self._write(("\r\x1b[K" if self._dangling else "") + message + "\n", dangling=False)

    def finish(self) -> None:
        if self._dangling:
            self._write("\r\x1b[K", dangling=False)

    def _write(self, text: str, *, dangling: bool) -> None:
        if not self._tty:
            return
        with self._lock:
            self._stream.write(text)
            self._stream.flush()
            self._dangling = dangling


def result_json(result: RoundResult, selected: Sequence[str] | None = None) -> dict[str, object]:
    """The machine-readable result (camelCase, like the resource's outputs); ``selectedInstanceIds`` when the
    instances were selected (with the ids given)."""
    return {
        "ok": result.ok,
        **({"selectedInstanceIds": list(selected)} if selected is not None else {}),
        "dryRun": result.dry_run,
        "results": [{**o.to_output(), "health": result.health.get(o.instance_id)} for o in result.outcomes],
        "requestIds": result.request_ids,
        "failedInstanceIds": result.failed_ids,
        "notRunningAgain": result.not_back,
        "stoppedByFailures": result.stopped_by_failures,
        "timedOut": result.timed_out,
        "cancelled": result.cancelled,
        "error": result.error,
    }


def result_table(result: RoundResult, *, waited: bool) -> str:
    """One row per instance: id, code, previous -> current status, Running again, [healthy,] message."""
    not_back = set(result.not_back)
    probed = bool(result.health)
    rows = [("INSTANCE", "CODE", "STATUS", "RUNNING AGAIN", *(("HEALTHY",) if probed else ()), "MESSAGE")]
    for o in result.outcomes:
        status = f"{o.previous_status or '-'} -> {o.current_status or '-'}" if o.previous_status or o.current_status \
            else "-"
        rebooted = o.ok or o.instance_id in result.health  # an unhealthy instance was rebooted and is Running
        again = "-" if result.dry_run or not rebooted or not waited else ("no" if o.instance_id in not_back else "yes")
        health = result.health.get(o.instance_id)
        healthy = ("-" if health is None else "yes" if health == "healthy" else "no",) if probed else ()
        rows.append((o.instance_id, o.code, status, again, *healthy, o.message))
    columns = len(rows[0]) - 1
    widths = [max(len(r[c]) for r in rows) for c in range(columns)]
    return "\n".join("  ".join(r[c].ljust(widths[c]) for c in range(columns)) + "  " + r[-1] for r in rows)


def summary(result: RoundResult) -> str:
    """One line: what happened, and why not everything succeeded."""
    total = len(result.outcomes)
    if result.dry_run:
        text = f"dry run: {total - len(result.failed_ids)}/{total} would pass"
    else:
        rebooted = sum(1 for o in result.outcomes if o.ok)
        text = f"rebooted {rebooted}/{total} in {result.waves} wave(s)"
        unconfirmed = sum(1 for o in result.outcomes if o.code == REBOOT_UNCONFIRMED)
        if unconfirmed:
            text += f"; {unconfirmed} unconfirmed (a reply was lost; not sent again)"
        if result.not_back:
            text += f"; {len(result.not_back)} not Running again"
        if result.health:
            healthy = sum(1 for h in result.health.values() if h == "healthy")
            text += f"; {healthy}/{len(result.health)} probed healthy"
        if result.stopped_by_failures:
            text += "; rollout stopped: too many failures"
    flags = [f for f, on in (("timed out", result.timed_out), ("cancelled", result.cancelled)) if on]
    if flags:
        text += f" ({', '.join(flags)})"
    if result.error:
        text += f"; {result.error}"
    return text


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
