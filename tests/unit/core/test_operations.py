"""core/operations: the table the client, the emulator and validation share, and its wire encoding.

The consistency tests tie the table to its users: every action has an emulator handler and is sent by the
client unless the table declares it emulator-only, every field the table declares is read by the package,
every documented error code and every code the client and the emulator produce is in the table and
classifies as core/errors.py's hierarchy says, and the limits, RAM actions and reply shapes are the
documented ones (ECS-API.md and the API pages under ../shared/seeds, transcribed here and, where those
files are present, read from them).
"""

from __future__ import annotations

import ast
import dataclasses
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
    RAM_DENIALS,
    Operation,
    Param,
    decode_params,
    encode_params,
    http_status_of,
    permission_hint,
)
from ecsreboot.emulator.responses import HANDLERS

PKG = Path(errors.__file__).resolve().parents[1]
#: the design notes and API pages beside the repository (../shared), where CI puts them
SHARED = Path(__file__).resolve().parents[3].parent / "shared"
DESIGN = SHARED / "design" / "ECS-API.md"
SEEDS = SHARED / "seeds"

REBOOTS = OPERATIONS["RebootInstances"]
ONE = OPERATIONS["RebootInstance"]
STATUS = OPERATIONS["DescribeInstanceStatus"]
DESCRIBE = OPERATIONS["DescribeInstances"]

# --- consistency --------------------------------------------------------------------------------------


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


def test_the_client_sends_every_action_the_table_does_not_declare_emulator_only() -> None:
    assert client_actions() == {action for action, op in OPERATIONS.items() if not op.emulator_only}
    # the one the official SDKs wait with (tests/component/test_official_sdks.py)
    assert [op.action for op in OPERATIONS.values() if op.emulator_only] == ["DescribeInstanceStatus"]


def attribute_reads(tree: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load)}


def table_reads() -> set[str]:
    """Attribute names the package reads: everywhere outside the methods of Operation and Param, and inside
    those of their methods that are themselves read outside (a field only an unused method reads is unused)."""
    table_classes = {"Operation", "Param"}
    outside: set[str] = set()
    methods: dict[str, ast.FunctionDef] = {}
    for path in sorted(PKG.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        own = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name in table_classes]
        inside = {id(m) for cls in own for m in ast.walk(cls)}
        methods.update({f.name: f for cls in own for f in cls.body if isinstance(f, ast.FunctionDef)})
        outside |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                    and isinstance(n.ctx, ast.Load) and id(n) not in inside}
    return outside.union(*(attribute_reads(f) for name, f in methods.items() if name in outside))


def test_every_field_the_table_declares_is_read_by_the_package() -> None:
    declared = {f.name for cls in (Operation, Param) for f in dataclasses.fields(cls)}
    declared |= {name for cls in (Operation, Param) for name, v in vars(cls).items()
                 if callable(v) and not name.startswith("_")}
    assert declared - table_reads() == set()


def test_only_describe_calls_are_retry_safe() -> None:
    for op in OPERATIONS.values():
        assert op.retry_safe == op.action.startswith("Describe"), op.action


#: action -> (RAM action, where its success reply lists its items), as ECS-API.md sections 5, 6 and 8 give them
DOCUMENTED_SHAPES = {
    "RebootInstances": ("ecs:RebootInstances", ("InstanceResponses", "InstanceResponse")),
    "RebootInstance": ("ecs:RebootInstance", ()),  # the reply is only its RequestId
    "DescribeInstanceStatus": ("ecs:DescribeInstanceStatus", ("InstanceStatuses", "InstanceStatus")),
    "DescribeInstances": ("ecs:DescribeInstances", ("Instances", "Instance")),
}


def test_ram_actions_and_result_paths_are_the_documented_ones() -> None:
    assert {a: (op.ram_action, op.result_path) for a, op in OPERATIONS.items()} == DOCUMENTED_SHAPES


@pytest.mark.skipif(not DESIGN.exists(), reason="the design notes (ECS-API.md) are not on this machine")
def test_the_transcribed_ram_actions_and_reply_shapes_are_in_the_design_notes() -> None:
    text = DESIGN.read_text(encoding="utf-8")
    assert dict(re.findall(r"^\| (\w+) \| `(ecs:\w+)` \|", text, re.M)) == {
        action: ram for action, (ram, _) in DOCUMENTED_SHAPES.items()}
    for action, (_, path) in DOCUMENTED_SHAPES.items():
        if path:
            container, item = path
            assert f'"{container}":{{"{item}":[' in text or f"`{container}.{item}[]`" in text, action


def test_the_installation_guide_asks_for_the_ram_actions_the_client_needs_and_no_other() -> None:
    guide = (PKG.parents[1] / "docs" / "installation-configuration.md").read_text(encoding="utf-8")
    [sentence] = [s for s in re.split(r"\n\n", guide) if s.startswith("The RAM policy needs")]
    assert set(re.findall(r"`(ecs:\w+)`", sentence)) == {
        op.ram_action for op in OPERATIONS.values() if not op.emulator_only}


def test_a_ram_denial_names_the_ram_action_of_the_call_and_nothing_else_does() -> None:
    assert set(COMMON_ERRORS) >= RAM_DENIALS
    assert all(error_class(code, COMMON_ERRORS[code]) is errors.Forbidden for code in RAM_DENIALS)
    assert permission_hint("RebootInstance", "Forbidden.RAM") == (
        "the RAM policy of these credentials must allow ecs:RebootInstance")
    assert permission_hint("DescribeInstances", "NoPermission").endswith("must allow ecs:DescribeInstances")
    assert permission_hint("RebootInstances", "InstanceLockedForSecurity") == ""  # Forbidden, but not for RAM
    assert permission_hint("RebootInstances", "Forbidden.AccessKeyDisabled") == ""
    assert permission_hint("StopInstances", "Forbidden.RAM") == ""


def test_results_read_a_reply_along_the_result_path_that_listing_builds() -> None:
    rows = [{"InstanceId": "i-a", "Code": "200"}, {"InstanceId": "i-b", "Code": "IncorrectInstanceStatus"}]
    assert REBOOTS.listing(rows) == {"InstanceResponses": {"InstanceResponse": rows}}
    for op in OPERATIONS.values():
        if op.result_path:
            assert op.results({"RequestId": "R", "TotalCount": 2, **op.listing(rows)}) == rows, op.action


@pytest.mark.parametrize("reply", [
    {}, {"RequestId": "R"}, {"Instances": None}, {"Instances": ""}, {"Instances": []},
    {"Instances": {"Instance": None}}, {"Instances": {"Instance": {"InstanceId": "i-a"}}},
])
def test_a_reply_without_a_list_at_the_result_path_lists_nothing(reply: dict[str, Any]) -> None:
    assert DESCRIBE.results(reply) == []


def test_results_keep_only_the_objects_of_the_list() -> None:
    assert DESCRIBE.results({"Instances": {"Instance": [{"InstanceId": "i-a"}, "i-b", None, 7]}}) == [
        {"InstanceId": "i-a"}]


def test_an_operation_whose_reply_lists_nothing() -> None:
    assert ONE.results({"RequestId": "R", "InstanceResponses": {"InstanceResponse": [{"InstanceId": "i"}]}}) == []
    with pytest.raises(ValueError, match="lists no items"):
        ONE.listing([])


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


def codes_in_the_design_notes(text: str) -> set[str]:
    """The codes of ECS-API.md section 5's tables: in each row, the backticked names of its first cell that
    has any (the DryRun table names the operation first); wildcards such as ``InvalidParameter.KMSKeyId.*``
    name no one code and are left out."""
    section = text.split("## 5.", 1)[1].split("\n## 6.", 1)[0]
    codes: set[str] = set()
    for row in re.findall(r"^\|(.*)\|$", section, re.M):
        cells = [cell for cell in row.split("|") if "`" in cell]
        if cells:
            codes.update(re.findall(r"`([A-Za-z][\w.]*)`", cells[0]))
    return codes


@pytest.mark.skipif(not DESIGN.exists(), reason="the design notes (ECS-API.md) are not on this machine")
def test_every_error_code_of_the_design_notes_is_in_the_table() -> None:
    """So every one of them classifies (the test above) and answers with its documented HTTP status."""
    documented = codes_in_the_design_notes(DESIGN.read_text(encoding="utf-8"))
    assert {"InvalidParameter.TooManyInstanceIds", "DryRunOperation", "NoPermission", "Throttling.Api"} <= documented
    assert documented - set(documented_codes()) == set()


#: the functions that build an error answer, and the position of the code among their arguments
ERROR_BUILDERS = {"api_error": 0, "_error": 0, "InvalidParameter": 0, "error": 1, "_bad": 1}


def produced_codes() -> dict[str, str]:
    """Error codes written as literals where the client (ecs/), the emulator and the table's own validation
    build an error answer, with the file each is first seen in."""
    found: dict[str, str] = {}
    paths = [PKG / "core" / "operations.py", *sorted((PKG / "ecs").glob("*.py")),
             *sorted((PKG / "emulator").glob("*.py"))]
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            literals: list[ast.expr] = []
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                at = ERROR_BUILDERS.get(name)
                literals = node.args[at:at + 1] if at is not None else []
            elif isinstance(node, ast.FunctionDef) and node.name == "_problem":  # the backend's refusals
                literals = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
            for lit in literals:
                if isinstance(lit, ast.Constant) and isinstance(lit.value, str):
                    found.setdefault(lit.value, path.name)
    return found


def test_every_error_code_the_client_and_the_emulator_produce_is_in_the_table() -> None:
    produced = produced_codes()
    assert {"MissingParameter", "InvalidInstanceId.NotFound", "IncorrectInstanceStatus", "SignatureDoesNotMatch",
            "InvalidAction.NotFound"} <= set(produced)  # the scan finds what it looks for
    assert {code: where for code, where in produced.items() if code not in documented_codes()} == {}


def test_a_list_s_own_too_many_code_is_documented_for_its_operation() -> None:
    declared = {(op.action, p.name): p.too_many for op in OPERATIONS.values() for p in op.params if p.too_many}
    assert declared == {("RebootInstances", "InstanceId"): "InvalidParameter.TooManyInstanceIds"}
    assert http_status_of("RebootInstances", "InvalidParameter.TooManyInstanceIds") == 403


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
    (DESCRIBE, {"RegionId": "r", "Tag.1.Value": "web"}, "InvalidParameter"),  # a value without its key
    (DESCRIBE, {"RegionId": "r", "Tag.1.Key": ""}, "InvalidParameter"),
    (DESCRIBE, {"RegionId": "r", "Tag.21.Key": "app"}, "InvalidParameter"),  # N = 1..20
    (DESCRIBE, {"RegionId": "r", "Tag.0.Key": "app"}, "InvalidParameter"),
    (DESCRIBE, {"RegionId": "r", "Tag.1.Name": "app"}, "InvalidParameter"),
])
def test_decoding_rejects_as_the_service_would(op: Operation, raw: dict[str, str], code: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        decode_params(op, raw)
    assert info.value.code == code


ids = st.lists(st.from_regex(r"i-[a-z0-9]{1,12}", fullmatch=True), min_size=1, max_size=MAX_INSTANCES_PER_CALL)
text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)
#: tag filters: a key, and a value or none (any value of the key)
tags = st.lists(st.builds(lambda k, v: {"Key": k, **({"Value": v} if v is not None else {})},
                          text, st.none() | st.text(max_size=10)), min_size=1, max_size=20)


def values_for(op: Operation) -> st.SearchStrategy[dict[str, Any]]:
    """Valid typed values for ``op`` (required ones always, optional ones sometimes)."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for p in op.params:
        if p.kind in ("repeat_list", "json_list"):
            strategy: st.SearchStrategy[Any] = ids
        elif p.kind == "tag_list":
            strategy = tags
        elif p.kind == "boolean":
            strategy = st.booleans()
        elif p.kind == "integer":
            strategy = st.integers(p.lo if p.lo is not None else -(2**31), p.hi if p.hi is not None else 2**31)
        elif p.kind == "enum":
            strategy = st.sampled_from(p.choices)
        else:
            strategy = text
        (required if p.required else optional)[p.name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(OPERATIONS)).flatmap(lambda a: st.tuples(st.just(a), values_for(OPERATIONS[a]))))
def test_decode_inverts_encode_adding_only_defaults(case: tuple[str, dict[str, Any]]) -> None:
    action, values = case
    op = OPERATIONS[action]
    defaults = {p.name: p.default for p in op.params if p.default is not None}
    assert decode_params(op, encode_params(op, values)) == {**defaults, **values}


def test_tag_filters_travel_as_tag_n_key_and_value_and_a_tag_of_any_value_has_no_value() -> None:
    wire = encode_params(DESCRIBE, {"RegionId": "r", "Tag": [{"Key": "app", "Value": "web"}, {"Key": "env"}],
                                    "VpcId": "vpc-x", "InstanceName": "web-*"})
    assert wire == {"RegionId": "r", "Tag.1.Key": "app", "Tag.1.Value": "web", "Tag.2.Key": "env",
                    "VpcId": "vpc-x", "InstanceName": "web-*"}
    back = decode_params(DESCRIBE, {**wire, "Tag.10.Key": "late"})
    assert back["Tag"] == [{"Key": "app", "Value": "web"}, {"Key": "env"}, {"Key": "late"}]  # in order of N


@pytest.mark.parametrize("tags", [[{"Value": "web"}], [{"Key": ""}], "app=web", {"Key": "app"},
                                  [{"Key": f"k{n}"} for n in range(21)]])
def test_encoding_refuses_bad_tag_filters_before_sending(tags: Any) -> None:
    with pytest.raises(InvalidParameter):
        encode_params(DESCRIBE, {"RegionId": "r", "Tag": tags})


def test_param_lookup_raises_key_error_for_an_unknown_name() -> None:
    with pytest.raises(KeyError):
        REBOOTS.param("Nope")


def test_an_operation_with_dry_run_declares_how_a_passing_dry_run_answers() -> None:
    """The API answers a dry run that found nothing wrong with an error code of its own per action (the
    client counts it as passed, the emulator answers it): the table says which, and documents it."""
    for op in OPERATIONS.values():
        has_dry_run = any(p.name == "DryRun" for p in op.params)
        assert (op.dry_run_passed is not None) == has_dry_run, op.action
        if op.dry_run_passed is not None:
            assert op.errors[op.dry_run_passed] == 400
    assert {a: op.dry_run_passed for a, op in OPERATIONS.items() if op.dry_run_passed} == {
        "RebootInstances": "DRYRUN.SUCCESS", "RebootInstance": "DryRunOperation",
        "DescribeInstances": "DryRunOperation"}
