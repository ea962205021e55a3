"""core/operations: the table the client, the emulator and validation share, and its wire encoding.

The consistency tests tie the table to its users: every action has an emulator handler and is sent by the
client, every documented error code classifies as core/errors.py's hierarchy says, and the limits are the
documented ones (ECS-API.md and the API pages under /work/shared/seeds, transcribed here and, where those
files are present, read from them).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecsreboot.core import errors
from ecsreboot.core.errors import ApiError, InvalidParameter, error_class
from ecsreboot.core.operations import (
    API_VERSION,
    COMMON_ERRORS,
    DESCRIBE_INSTANCES_PAGE_MAX,
    DESCRIBE_STATUS_PAGE_MAX,
    MAX_INSTANCES_PER_CALL,
    OPERATIONS,
    Operation,
    decode_params,
    encode_params,
    http_status_of,
)
from ecsreboot.emulator.responses import HANDLERS

PKG = Path(errors.__file__).resolve().parents[1]
DESIGN = Path("/work/shared/design/ECS-API.md")
SEEDS = Path("/work/shared/seeds")

REBOOTS = OPERATIONS["RebootInstances"]
ONE = OPERATIONS["RebootInstance"]
STATUS = OPERATIONS["DescribeInstanceStatus"]
DESCRIBE = OPERATIONS["DescribeInstances"]

# --- consistency --------------------------------------------------------------------------------------

#: actions the emulator serves although the client never sends them, and why
EMULATED_ONLY = {
    # the official SDKs' way to wait (tests/component/test_official_sdks.py); the client waits with
    # DescribeInstances, whose records carry OperationLocks too
    "DescribeInstanceStatus",
}


def test_the_table_is_keyed_by_action_and_every_action_has_an_emulator_handler() -> None:
    assert all(key == op.action and op.version == API_VERSION for key, op in OPERATIONS.items())
    assert set(HANDLERS) == set(OPERATIONS)


def client_actions() -> set[str]:
    """Action names written as string literals in the client layer (ecs/)."""
    found: set[str] = set()
    for path in sorted((PKG / "ecs").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in OPERATIONS:
                found.add(node.value)
    return found


def test_every_action_is_sent_by_the_client_unless_declared_emulated_only() -> None:
    assert client_actions() == set(OPERATIONS) - EMULATED_ONLY
    assert set(OPERATIONS) >= EMULATED_ONLY


def test_only_describe_calls_are_retry_safe_and_each_names_its_ram_action() -> None:
    for op in OPERATIONS.values():
        assert op.retry_safe == op.action.startswith("Describe"), op.action
        assert op.ram_action == f"ecs:{op.action}"
        assert bool(op.result_path) == (op.action != "RebootInstance"), op.action  # its reply: only a RequestId


def classes_in_the_errors_docstring() -> dict[str, type[ApiError]]:
    """``code -> class`` as the tree in core/errors.py's docstring lists them (exact codes only)."""
    listed: dict[str, type[ApiError]] = {}
    for line in (errors.__doc__ or "").splitlines():
        m = re.search(r"[├└]── (\w+)\s{2,}(.*)", line)
        if not m or not isinstance(getattr(errors, m.group(1)), type):
            continue
        cls = getattr(errors, m.group(1))
        if not issubclass(cls, ApiError):
            continue
        for token in re.split(r",\s*", m.group(2).split("(")[0]):
            if re.fullmatch(r"[A-Za-z][\w.]*", token.strip()):
                listed[token.strip()] = cls
    return listed


#: documented codes that stay plain ApiError, and why
UNCLASSIFIED = {
    "DRYRUN.SUCCESS": "a dry run's passed check, read by ecs/dryrun.py, never raised to a user",
    "DryRunOperation": "a dry run's passed check, read by ecs/dryrun.py, never raised to a user",
    "DiskError": "a disk in an odd state: neither retryable nor the user's input; shown as the API says",
    "InvalidAction.NotFound": "only a client bug would send an unknown action",
}


def test_the_errors_docstring_tree_is_what_error_class_does() -> None:
    listed = classes_in_the_errors_docstring()
    assert len(listed) >= 15, listed  # the parse found the tree
    assert {code: error_class(code, 400) for code in listed} == listed


def documented_codes() -> dict[str, int]:
    codes = dict(COMMON_ERRORS)
    for op in OPERATIONS.values():
        codes.update(op.errors)
    return codes


def test_every_documented_error_code_classifies() -> None:
    """Each code of the table maps to a subclass that says what to do, or is declared to stay plain."""
    plain = {code for code, status in documented_codes().items() if error_class(code, status) is ApiError}
    assert plain == set(UNCLASSIFIED)
    for code, status in documented_codes().items():
        cls = error_class(code, status)
        assert (cls is errors.Throttled) == code.startswith("Throttling"), code
        if status >= 500:
            assert cls is errors.Transient, code
        assert errors.api_error(code, "m", "R", status).__class__ is cls


def test_http_status_of_prefers_the_action_then_the_common_table_then_400() -> None:
    assert http_status_of("RebootInstances", "InvalidParameter.TooManyInstanceIds") == 403
    assert http_status_of("RebootInstances", "InternalError") == 500
    assert http_status_of("DescribeInstances", "IncorrectInstanceStatus") == 400  # not documented there
    assert http_status_of("NoSuchAction", "ServiceUnavailable") == 503
    assert http_status_of("RebootInstance", "NeverHeardOf") == 400
    for op in OPERATIONS.values():
        for code, status in op.errors.items():
            assert http_status_of(op.action, code) == status


# --- limits -------------------------------------------------------------------------------------------

#: (action, parameter) -> (lo, hi) as ECS-API.md §5-6 and the API pages state them
DOCUMENTED_LIMITS = {
    ("RebootInstances", "InstanceId"): (1, 100),  # "InstanceId.N (N = 1..100)"; seed: "Valid values of N: 1 to 100"
    ("DescribeInstanceStatus", "InstanceId"): (1, 100),  # "InstanceId.N repeat list, N = 1..100"
    ("DescribeInstanceStatus", "PageSize"): (1, 50),  # "PageSize 1..50, default 10"
    ("DescribeInstances", "InstanceIds"): (1, 100),  # "at most 100 IDs"
    ("DescribeInstances", "PageSize"): (1, 100),  # "max 100, default 10"
    ("DescribeInstances", "MaxResults"): (1, 100),  # "MaxResults (max 100, default 10)"
}


def test_limits_are_the_documented_ones() -> None:
    for (action, name), bounds in DOCUMENTED_LIMITS.items():
        p = OPERATIONS[action].param(name)
        assert (p.lo, p.hi) == bounds, (action, name)
    assert MAX_INSTANCES_PER_CALL == 100 and DESCRIBE_STATUS_PAGE_MAX == 50 and DESCRIBE_INSTANCES_PAGE_MAX == 100
    assert STATUS.param("PageSize").default == DESCRIBE.param("PageSize").default == 10
    assert REBOOTS.param("BatchOptimization").choices == ("AllTogether", "SuccessFirst")
    assert REBOOTS.param("BatchOptimization").default == "AllTogether"
    assert "RegionId" not in {p.name for p in ONE.params}  # the single reboot sends none


@pytest.mark.skipif(not DESIGN.exists(), reason="the design notes (ECS-API.md) are not on this machine")
def test_the_transcribed_limits_and_codes_are_in_the_design_notes() -> None:
    text = DESIGN.read_text(encoding="utf-8")
    assert "`InstanceId.N` (N = 1..100)" in text
    assert "`InstanceId.N` **repeat list**, N = 1..100" in text
    assert "`PageSize` **1..50, default 10**" in text
    assert "at most 100 IDs" in text and "(max 100, default 10; being deprecated) or `MaxResults` (max 100" in text
    # every row of the "error codes that matter" table with one code and one status agrees with the table
    rows = re.findall(r"^\| `([\w.]+)` \| (\d{3}) \|", text, re.M)
    assert len(rows) >= 8
    ours = documented_codes()
    for code, status in rows:
        if code in ours:
            assert ours[code] == int(status), code


def seed_pages() -> list[tuple[str, str]]:
    pages = []
    for path in sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []:
        text = path.read_text(encoding="utf-8")
        m = re.search(r"Set the value to (\w+)\.", text)
        if m and m.group(1) in OPERATIONS:
            pages.append((m.group(1), text))
    return pages


@pytest.mark.skipif(not seed_pages(), reason="the API pages (seeds) are not on this machine")
def test_the_api_pages_agree_with_the_table() -> None:
    for action, text in seed_pages():
        op = OPERATIONS[action]
        for status, code in re.findall(r"^(\d{3}) ([A-Z][\w.]+) ", text, re.M):
            assert http_status_of(action, code) == int(status), (action, code)
            assert code in op.errors or code in COMMON_ERRORS, (action, code)
        m = re.search(r"Valid values of N: 1 to (\d+)", text)
        if m:
            p = op.param("InstanceId")
            assert (p.lo, p.hi) == (1, int(m.group(1)))


# --- encoding -----------------------------------------------------------------------------------------


def test_lists_travel_as_the_table_says() -> None:
    assert encode_params(REBOOTS, {"RegionId": "cn-hangzhou", "InstanceId": ["i-a", "i-b"]}) == {
        "RegionId": "cn-hangzhou", "InstanceId.1": "i-a", "InstanceId.2": "i-b"}
    assert encode_params(DESCRIBE, {"RegionId": "r", "InstanceIds": ["i-a", "i-b"], "PageSize": 100}) == {
        "RegionId": "r", "InstanceIds": '["i-a","i-b"]', "PageSize": "100"}
    assert encode_params(ONE, {"InstanceId": "i-a", "ForceStop": True, "DryRun": None}) == {
        "InstanceId": "i-a", "ForceStop": "true"}


@pytest.mark.parametrize(("op", "values", "code"), [
    (REBOOTS, {"RegionId": "r", "InstanceId": ["i"], "Nope": 1}, "InvalidParameter"),
    (REBOOTS, {"RegionId": "r", "InstanceId": "i-a"}, "InvalidParameter"),  # a string is not a list
    (REBOOTS, {"RegionId": "r", "InstanceId": 5}, "InvalidParameter"),
    (REBOOTS, {"RegionId": "r", "InstanceId": []}, "InvalidParameter"),
    (REBOOTS, {"RegionId": "r", "InstanceId": [f"i-{n}" for n in range(101)]},
     "InvalidParameter.TooManyInstanceIds"),
    (DESCRIBE, {"RegionId": "r", "InstanceIds": [f"i-{n}" for n in range(101)]}, "InvalidParameter"),
    (REBOOTS, {"RegionId": "r", "InstanceId": ["i"], "ForceReboot": "yes"}, "InvalidParameter"),
    (REBOOTS, {"RegionId": "r", "InstanceId": ["i"], "BatchOptimization": "Whatever"}, "InvalidParameter"),
    (STATUS, {"RegionId": "r", "PageSize": 51}, "InvalidParameter"),
    (STATUS, {"RegionId": "r", "PageSize": True}, "InvalidParameter"),
    (STATUS, {"RegionId": "r", "PageNumber": 0}, "InvalidParameter"),
    (STATUS, {"PageSize": 10}, "MissingParameter"),
    (REBOOTS, {"RegionId": "r"}, "MissingParameter"),
])
def test_bad_values_raise_invalid_parameter_naming_the_code(op: Operation, values: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        encode_params(op, values)
    assert info.value.code == code and info.value.action == op.action
    assert info.value.http_status == http_status_of(op.action, code)


def test_decoding_ignores_unknown_parameters_fills_defaults_and_reads_booleans_in_any_case() -> None:
    raw = {"RegionId": "r", "InstanceId.2": "i-b", "InstanceId.1": "i-a", "ForceReboot": "True", "Format": "JSON",
           "Version": API_VERSION}
    assert decode_params(REBOOTS, raw) == {"RegionId": "r", "InstanceId": ["i-a", "i-b"], "ForceReboot": True,
                                           "DryRun": False, "BatchOptimization": "AllTogether"}


@pytest.mark.parametrize(("op", "raw", "code"), [
    (REBOOTS, {"InstanceId.1": "i"}, "MissingParameter"),
    (ONE, {"InstanceId": ""}, "MissingParameter"),
    (REBOOTS, {"RegionId": "r", "InstanceId.x": "i"}, "InvalidParameter"),
    (REBOOTS, {"RegionId": "r", "InstanceId.0": "i"}, "InvalidParameter"),
    (REBOOTS, {"RegionId": "r", **{f"InstanceId.{n}": "i" for n in range(1, 102)}},
     "InvalidParameter.TooManyInstanceIds"),
    (REBOOTS, {"RegionId": "r", "InstanceId.1": "i", "DryRun": "yes"}, "InvalidParameter"),
    (STATUS, {"RegionId": "r", "PageSize": "ten"}, "InvalidParameter"),
    (STATUS, {"RegionId": "r", "PageSize": "51"}, "InvalidParameter"),
    (DESCRIBE, {"RegionId": "r", "InstanceIds": "i-a"}, "InvalidParameter"),
    (DESCRIBE, {"RegionId": "r", "InstanceIds": "[1]"}, "InvalidParameter"),
    (DESCRIBE, {"RegionId": "r", "InstanceIds": "[]"}, "InvalidParameter"),
    (DESCRIBE, {"RegionId": "r", "Status": "Rebooting"}, "InvalidParameter"),
])
def test_decoding_rejects_as_the_service_would(op: Operation, raw: dict[str, str], code: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        decode_params(op, raw)
    assert info.value.code == code


ids = st.lists(st.from_regex(r"i-[a-z0-9]{1,12}", fullmatch=True), min_size=1, max_size=MAX_INSTANCES_PER_CALL)


def values_for(op: Operation) -> st.SearchStrategy[dict[str, Any]]:
    """Valid typed values for ``op`` (required ones always, optional ones sometimes)."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for p in op.params:
        if p.kind in ("repeat_list", "json_list"):
            strategy: st.SearchStrategy[Any] = ids
        elif p.kind == "boolean":
            strategy = st.booleans()
        elif p.kind == "integer":
            strategy = st.integers(p.lo if p.lo is not None else -(2**31), p.hi if p.hi is not None else 2**31)
        elif p.kind == "enum":
            strategy = st.sampled_from(p.choices)
        else:
            strategy = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
        (required if p.required else optional)[p.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(OPERATIONS)).flatmap(lambda a: st.tuples(st.just(a), values_for(OPERATIONS[a]))))
def test_decode_inverts_encode_adding_only_defaults(case: tuple[str, dict[str, Any]]) -> None:
    action, values = case
    op = OPERATIONS[action]
    defaults = {p.name: p.default for p in op.params if p.default is not None}
    assert decode_params(op, encode_params(op, values)) == {**defaults, **values}


def test_param_lookup_raises_key_error_for_an_unknown_name() -> None:
    with pytest.raises(KeyError):
        REBOOTS.param("Nope")
