"""Fuzzing the plugin's value decoding and its handlers: no crash, no hang, no UNKNOWN/INTERNAL.

* ``adapter.properties.decode`` / ``from_struct`` take any JSON-like tree, including signature
  envelopes with missing or odd fields and the unknown sentinels at every depth, without raising;
  ``decode(encode(x)) == x`` and ``from_struct(to_struct(x))`` keep every secret and unknown where it was.
* ``Provider.Check`` (in process, with a context whose ``abort`` raises) answers every ``news`` with a
  CheckResponse -- failures maybe, never an abort -- and Check is idempotent on what it accepted;
  ``Diff`` and preview ``Create``/``Update`` on arbitrary values answer without an abort too.
* A few dozen of the same ``news`` over gRPC to the real plugin process.

Hypothesis runs derandomized, so CI sees the same examples every time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.runtime.proto import provider_pb2

from ecsreboot.adapter.properties import decode, encode, from_struct, to_struct
from ecsreboot.adapter.server import Provider
from ecsreboot.assembly.config import ProviderConfig
from ecsreboot.core.model import RoundOptions, RoundResult
from ecsreboot.core.resource import RESOURCE_TOKEN, input_names
from ecsreboot.core.sentinels import (
    ARCHIVE_SIG,
    ASSET_SIG,
    OUTPUT_SIG,
    RESOURCE_REF_SIG,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN_SENTINELS,
    UNKNOWN_STRING,
)
from ecsreboot.core.values import UNKNOWN, Secret
from ecsreboot.emulator import ThreadedEmulator
from ecsreboot.testing import EngineServer, Plugin, hermetic_env

from .conftest import emulator, provider_config

FUZZ = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
URN = f"urn:pulumi:test::proj::{RESOURCE_TOKEN}::fuzz"

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
keys = st.one_of(st.sampled_from([*input_names(), "__provider", "rebootCount", "failedInstanceIds", "value"]), text)
instance_ids = st.from_regex(r"i-[a-z0-9]{1,8}", fullmatch=True)
scalars = st.one_of(
    st.none(), st.booleans(), st.floats(), st.integers(-(2 ** 63), 2 ** 63), text, instance_ids,
    st.sampled_from(sorted(UNKNOWN_SENTINELS)),
    st.sampled_from(["cn-hangzhou", "AllTogether", "SuccessFirst", "RebootInstance", "RebootInstances"]),
)


def envelopes(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Signature envelopes, well-formed and not: missing fields, odd field types, unknown signatures."""
    odd = st.one_of(children, st.sampled_from([None, 1, [], {}, "", UNKNOWN_STRING]))
    return st.one_of(
        st.fixed_dictionaries({SIG_KEY: st.just(SECRET_SIG)}, optional={"value": children}),
        st.fixed_dictionaries({SIG_KEY: st.just(OUTPUT_SIG)},
                              optional={"value": children, "secret": odd, "dependencies": odd}),
        st.fixed_dictionaries({SIG_KEY: st.just(RESOURCE_REF_SIG)},
                              optional={"urn": odd, "id": odd, "packageVersion": odd}),
        st.fixed_dictionaries({SIG_KEY: st.sampled_from([ASSET_SIG, ARCHIVE_SIG, "", "junk"])},
                              optional={"hash": odd, "text": odd, "assets": odd, "path": odd}),
        st.fixed_dictionaries({SIG_KEY: st.sampled_from([None, 1, True, [SECRET_SIG], {"x": SECRET_SIG}])},
                              optional={"value": children}),
    )


wire = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4),
                               envelopes(children)),
    max_leaves=25,
)
news_maps = st.dictionaries(keys, wire, max_size=8)
#: inputs shaped like a RebootTrigger's, so the fuzz gets past "unknown property" into each checker
shaped_news = st.fixed_dictionaries({}, optional={
    "instanceIds": st.one_of(st.lists(st.one_of(instance_ids, wire), max_size=5), wire),
    "regionId": st.one_of(st.just("cn-hangzhou"), wire),
    "triggers": st.one_of(st.dictionaries(text, wire, max_size=3), wire),
    "forceReboot": st.one_of(st.booleans(), wire), "dryRun": st.one_of(st.booleans(), wire),
    "rebootOnCreate": st.one_of(st.booleans(), wire), "waitForRunning": st.one_of(st.booleans(), wire),
    "batchOptimization": st.one_of(st.sampled_from(["AllTogether", "SuccessFirst"]), wire),
    "rebootApi": st.one_of(st.sampled_from(["RebootInstances", "RebootInstance"]), wire),
    "maxUnavailable": st.one_of(st.integers(-3, 10), wire),
}).map(lambda m: {k: ({SIG_KEY: SECRET_SIG, "value": v} if isinstance(v, bool) and v else v) for k, v in m.items()})
any_news = st.one_of(news_maps, shaped_news)


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(values)
    return s


# --- decoding ---------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=500)
@given(value=wire)
def test_decode_takes_any_wire_value(value: Any) -> None:
    decode(value)
    encode(decode(value))


@settings(FUZZ, max_examples=300)
@given(values=news_maps)
def test_from_struct_takes_any_struct_nan_and_infinities_included(values: dict[str, Any]) -> None:
    decoded = from_struct(struct(values))
    assert isinstance(decoded, dict) and set(decoded) == set(values)
    to_struct(decoded)


def domain(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(text.filter(lambda k: k != SIG_KEY), children, max_size=4),
        children.map(Secret),
    )


#: domain values: plain JSON (no None, which encodes as absent), Secret and UNKNOWN anywhere
domain_values = st.recursive(
    st.one_of(st.booleans(), st.floats(allow_nan=False), st.integers(-(2 ** 53), 2 ** 53),
              text.filter(lambda s: s not in UNKNOWN_SENTINELS), st.just(UNKNOWN)),
    domain, max_leaves=20)


def shape(value: Any) -> Any:
    """A comparable form: markers tagged, numbers as floats (the wire has only doubles)."""
    if isinstance(value, Secret):
        return ("secret", shape(value.value))
    if value is UNKNOWN:
        return ("unknown",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, Mapping):
        return ("map", sorted((k, shape(v)) for k, v in value.items()))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ("list", [shape(v) for v in value])
    return ("string", value)


@settings(FUZZ, max_examples=400)
@given(value=domain_values)
def test_decode_of_encode_keeps_every_secret_and_unknown_where_it_was(value: Any) -> None:
    assert shape(decode(encode(value))) == shape(value)
    assert shape(from_struct(to_struct({"v": value}))["v"]) == shape(value)


# --- the handlers, in process --------------------------------------------------------------------------


class Aborted(Exception):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code


class FakeContext:
    """A ServicerContext whose abort raises, as grpc's does."""

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise Aborted(code, details)

    def abort_with_status(self, status: Any) -> None:
        raise Aborted(status.code, status.details)


class NoCloud:
    """A backend with no credentials: a preview then skips its dry run, and nothing may reboot."""

    def credentials_problem(self) -> str | None:
        return "no credentials found"

    def select(self, selector: Any, region_id: str, cancel: Any, timeout: float, on_listed: Any = None) -> Any:
        raise AssertionError("no credentials: no selection")

    def run_round(self, instance_ids: Any, options: RoundOptions, progress: Any, cancel: Any,
                  selection: Any = None) -> RoundResult:
        raise AssertionError("a preview must never run a round")

    def dry_run(self, instance_ids: Any, options: RoundOptions, cancel: threading.Event | None = None) -> Any:
        raise AssertionError("no credentials: no dry run")


@pytest.fixture(scope="module")
def provider() -> Provider:
    def factory(config: ProviderConfig) -> NoCloud:
        return NoCloud()

    p = Provider(factory, environ={"ALIBABA_CLOUD_REGION_ID": "cn-hangzhou"})
    return p


def check(provider: Provider, olds: Mapping[str, Any], news: Mapping[str, Any] | struct_pb2.Struct) -> Any:
    wire_news = news if isinstance(news, struct_pb2.Struct) else struct(news)
    return provider.Check(provider_pb2.CheckRequest(urn=URN, type=RESOURCE_TOKEN, olds=struct(olds),
                                                    news=wire_news), FakeContext())


@settings(FUZZ, max_examples=400)
@given(news=any_news)
def test_check_answers_any_news_with_a_check_response(provider: Provider, news: dict[str, Any]) -> None:
    response = check(provider, {}, news)
    assert isinstance(response, provider_pb2.CheckResponse)
    for failure in response.failures:
        assert failure.reason
    if not response.failures:  # accepted inputs are accepted again, unchanged
        again = check(provider, {}, response.inputs)
        assert not again.failures and again.inputs == response.inputs


@settings(FUZZ, max_examples=250)
@given(olds=any_news, news=any_news, preview_update=st.booleans())
def test_diff_and_preview_steps_answer_any_values_without_an_abort(
        provider: Provider, olds: dict[str, Any], news: dict[str, Any], preview_update: bool) -> None:
    diff = provider.Diff(provider_pb2.DiffRequest(id="rt-1", urn=URN, type=RESOURCE_TOKEN, olds=struct(olds),
                                                  old_inputs=struct(olds), news=struct(news)), FakeContext())
    assert diff.changes in (provider_pb2.DiffResponse.DIFF_SOME, provider_pb2.DiffResponse.DIFF_NONE)
    assert not diff.replaces
    checked = check(provider, {}, news)
    if checked.failures:
        return
    if preview_update:
        provider.Update(provider_pb2.UpdateRequest(id="rt-1", urn=URN, type=RESOURCE_TOKEN, olds=struct(olds),
                                                   old_inputs=struct(olds), news=checked.inputs, preview=True),
                        FakeContext())
    else:
        provider.Create(provider_pb2.CreateRequest(urn=URN, type=RESOURCE_TOKEN, properties=checked.inputs,
                                                   preview=True), FakeContext())


# --- Check over gRPC, against the real plugin process ---------------------------------------------------


@pytest.fixture(scope="module")
def plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Plugin, ThreadedEmulator]]:
    engine = EngineServer()
    with emulator() as emu:
        p = Plugin(engine, env=hermetic_env(tmp_path_factory.mktemp("home")))
        p.start(provider_config(emu))
        yield p, emu
        p.stop()
    engine.stop()


@settings(FUZZ, max_examples=60)
@given(news=any_news)
def test_check_over_grpc_never_fails_with_unknown_or_internal(plugin: tuple[Plugin, ThreadedEmulator],
                                                              news: dict[str, Any]) -> None:
    p, emu = plugin
    response = p.stub.Check(provider_pb2.CheckRequest(urn=URN, type=RESOURCE_TOKEN, olds=struct({}),
                                                      news=struct(news)), timeout=10)
    assert isinstance(response, provider_pb2.CheckResponse)
    assert emu.requests() == []
