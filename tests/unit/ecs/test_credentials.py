"""Credentials resolution order, profiles, the default chain, and that secrets never leak."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ecsreboot.core.clock import FakeClock
from ecsreboot.core.credentials import Credentials
from ecsreboot.core.errors import ConfigError, EcsError
from ecsreboot.ecs import ChainCredentialsProvider, StaticCredentialsProvider, resolve_credentials
from ecsreboot.emulator import Fault
from tests.inprocess import REGION, InProcessCloud, ids, status_of
from tests.recovery import rebooter

ALIBABA = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "AK-alibaba", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "SK-alibaba"}
ALICLOUD = {"ALICLOUD_ACCESS_KEY": "AK-alicloud", "ALICLOUD_SECRET_KEY": "SK-alicloud"}


class FakeChain:
    """Stands in for alibabacloud_credentials' Client: counts calls, can rotate or fail."""

    def __init__(self, *creds: tuple[str, str, str | None], error: Exception | None = None) -> None:
        self.creds = list(creds)
        self.error = error
        self.calls = 0

    def get_credential(self) -> Any:
        self.calls += 1
        if self.error is not None:
            raise self.error
        key, secret, token = self.creds[min(self.calls, len(self.creds)) - 1]
        return SimpleNamespace(access_key_id=key, access_key_secret=secret, security_token=token)


def write_profiles(home: Path, current: str, *profiles: dict[str, Any]) -> Path:
    path = home / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"current": current, "profiles": list(profiles), "meta_path": ""}))
    return path


AK_PROFILE = {"name": "default", "mode": "AK", "access_key_id": "AK-profile", "access_key_secret": "SK-profile"}
STS_PROFILE = {"name": "tmp", "mode": "StsToken", "access_key_id": "STS.AK-tmp", "access_key_secret": "SK-tmp",
               "sts_token": "TOKEN-tmp"}


def resolve(environ: dict[str, str], home: Path, chain: FakeChain | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    return resolve_credentials(environ=environ, home=home, chain_factory=lambda: chain or FakeChain(
        error=RuntimeError("no chain")), **kw)


def test_explicit_values_beat_everything(tmp_path: Path) -> None:
    write_profiles(tmp_path, "default", AK_PROFILE)
    got = resolve({**ALIBABA, **ALICLOUD}, tmp_path, access_key="AK-x", secret_key="SK-x", security_token="T").get()
    assert (got.access_key_id, got.access_key_secret, got.security_token, got.source) == ("AK-x", "SK-x", "T", "config")


def test_explicit_values_must_come_in_pairs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="secretKey is missing"):
        resolve(ALIBABA, tmp_path, access_key="AK-x")


def test_alibaba_cloud_variables_beat_alicloud(tmp_path: Path) -> None:
    got = resolve({**ALIBABA, **ALICLOUD, "ALIBABA_CLOUD_SECURITY_TOKEN": "TOK"}, tmp_path).get()
    assert (got.access_key_id, got.access_key_secret, got.security_token) == ("AK-alibaba", "SK-alibaba", "TOK")


def test_alicloud_variables_are_used_when_alibaba_cloud_ones_are_absent(tmp_path: Path) -> None:
    got = resolve({**ALICLOUD, "ALICLOUD_SECURITY_TOKEN": "T2"}, tmp_path).get()
    assert (got.access_key_id, got.access_key_secret, got.security_token) == ("AK-alicloud", "SK-alicloud", "T2")


def test_a_half_set_family_is_not_mixed_with_another(tmp_path: Path) -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "AK-alibaba", **ALICLOUD}
    got = resolve(env, tmp_path).get()
    assert (got.access_key_id, got.access_key_secret) == ("AK-alicloud", "SK-alicloud")


def test_environment_beats_the_profile_file(tmp_path: Path) -> None:
    write_profiles(tmp_path, "default", AK_PROFILE)
    assert resolve(ALICLOUD, tmp_path).get().access_key_id == "AK-alicloud"


def test_current_profile_of_the_file(tmp_path: Path) -> None:
    write_profiles(tmp_path, "default", AK_PROFILE, STS_PROFILE)
    got = resolve({}, tmp_path).get()
    assert (got.access_key_id, got.access_key_secret, got.security_token) == ("AK-profile", "SK-profile", None)
    assert got.source == "profile:default"


@pytest.mark.parametrize("var", ["ALIBABA_CLOUD_PROFILE", "ALICLOUD_PROFILE"])
def test_profile_variable_selects_a_sts_profile(tmp_path: Path, var: str) -> None:
    write_profiles(tmp_path, "default", AK_PROFILE, STS_PROFILE)
    got = resolve({var: "tmp"}, tmp_path).get()
    assert (got.access_key_id, got.access_key_secret, got.security_token) == ("STS.AK-tmp", "SK-tmp", "TOKEN-tmp")


def test_profile_argument_beats_the_profile_variable(tmp_path: Path) -> None:
    write_profiles(tmp_path, "tmp", AK_PROFILE, STS_PROFILE)
    got = resolve({"ALIBABA_CLOUD_PROFILE": "tmp"}, tmp_path, profile="default").get()
    assert got.access_key_id == "AK-profile"


def test_unknown_explicit_profile_names_the_known_ones(tmp_path: Path) -> None:
    write_profiles(tmp_path, "default", AK_PROFILE, STS_PROFILE)
    with pytest.raises(ConfigError, match=r"'prod' is not in .*config.json \(profiles: default, tmp\)"):
        resolve({}, tmp_path, profile="prod")


def test_explicit_profile_without_a_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        resolve({}, tmp_path, profile="prod")


def test_incomplete_profile_says_what_is_missing(tmp_path: Path) -> None:
    write_profiles(tmp_path, "tmp", {**STS_PROFILE, "sts_token": ""})
    with pytest.raises(ConfigError, match="lacks sts_token"):
        resolve({}, tmp_path)


def test_malformed_profile_file_is_a_config_error_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / ".aliyun" / "config.json"
    path.parent.mkdir()
    path.write_text('{"profiles": [{"access_key_secret": "SK-leaky"')
    with pytest.raises(ConfigError) as caught:
        resolve({}, tmp_path)
    assert "not valid JSON" in str(caught.value)
    assert "SK-leaky" not in str(caught.value)


def test_other_profile_modes_are_delegated_to_the_library(tmp_path: Path) -> None:
    write_profiles(tmp_path, "role", {"name": "role", "mode": "RamRoleArn", "access_key_id": "AK-r",
                                      "access_key_secret": "SK-r", "ram_role_arn": "acs:ram::1:role/x"})
    provider = resolve({}, tmp_path)
    assert isinstance(provider, ChainCredentialsProvider)
    assert "profile:role" in provider.source and "RamRoleArn" in provider.source


def test_the_default_chain_comes_last(tmp_path: Path) -> None:
    chain = FakeChain(("AK-chain", "SK-chain", "TOK-chain"))
    provider = resolve({}, tmp_path, chain=chain)
    got = provider.get()
    assert (got.access_key_id, got.security_token, got.source) == ("AK-chain", "TOK-chain", "default chain")


def test_the_chain_is_asked_on_every_get_so_temporary_credentials_refresh(tmp_path: Path) -> None:
    chain = FakeChain(("AK-1", "SK-1", "T-1"), ("AK-2", "SK-2", "T-2"))
    provider = resolve({}, tmp_path, chain=chain, probe_chain=False)
    assert provider.get().security_token == "T-1"
    assert provider.get().security_token == "T-2"
    assert chain.calls == 2


def test_nothing_found_says_what_to_set(tmp_path: Path) -> None:
    chain = FakeChain(error=RuntimeError("unable to load credentials from any of the providers in the chain"))
    with pytest.raises(ConfigError) as caught:
        resolve({}, tmp_path, chain=chain)
    text = str(caught.value)
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY",
                 "ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_PROFILE", "aliyun configure"):
        assert name in text
    assert "unable to load credentials" in text


def test_a_client_uses_fresh_credentials_for_each_request() -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    for key in (("AK-1", "SK-1", "T-1"), ("AK-2", "SK-2", "T-2")):
        ecs.verifier.add_key(*key)
    chain = FakeChain(("AK-1", "SK-1", "T-1"), ("AK-2", "SK-2", "T-2"))
    client = ecs.client()
    client._credentials = ChainCredentialsProvider(lambda: chain)  # type: ignore[assignment]
    status_of(client, REGION, ids(1))
    status_of(client, REGION, ids(1))
    tokens = [r.headers["x-acs-security-token"] for r in ecs.sent]
    assert tokens == ["T-1", "T-2"]
    assert [r["status"] for r in ecs.requests()] == [200, 200]  # each signed with the key its token belongs to


# --- secrets never leak ------------------------------------------------------------------------

SECRETS = ("AK-SECRET-ID-0001", "SK-SECRET-0002", "TOKEN-SECRET-0003")


def test_reprs_and_strs_show_no_secret() -> None:
    creds = Credentials(*SECRETS, source="config")
    shown = [repr(creds), str(creds), repr(StaticCredentialsProvider(creds)),
             repr(ChainCredentialsProvider(lambda: None)), f"{creds}"]
    for text in shown:
        for secret in SECRETS:
            assert secret not in text


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_errors_and_logs_of_a_failing_client_show_no_secret(caplog: pytest.LogCaptureFixture, version: str) -> None:
    clock = FakeClock()
    ecs = InProcessCloud(ids(1), clock=clock)
    ecs.verifier.add_key(*SECRETS)
    ecs.faults.throttle(count=2)
    ecs.faults.error("SignatureDoesNotMatch", 400)
    ecs.faults.add(Fault("refused", count=18))  # 6 for the describe, 6 for the look before the reboot, 6 for it
    client = ecs.client(signature_version=version)
    client._credentials = StaticCredentialsProvider(Credentials(*SECRETS))  # type: ignore[assignment]
    texts = []
    with caplog.at_level(logging.DEBUG, logger="ecsreboot"):
        for _ in range(2):
            with pytest.raises(EcsError) as caught:
                status_of(client, REGION, ids(1))
            texts += [str(caught.value), repr(caught.value)]
        reply = rebooter(client).reboot_instances(REGION, ids(1))
    texts += [repr(reply), caplog.text]
    assert "SignatureDoesNotMatch" in texts[0] and "cannot connect" in texts[2]
    assert reply.outcomes[0].code == "TransportError"
    assert all(secret in ecs.sent[0].url + str(ecs.sent[0].headers) for secret in SECRETS[::2])
    assert len(ecs.requests()) == 21 and not ecs.faults.active()  # every scripted answer was given
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_importing_the_client_layer_does_not_import_the_credentials_library() -> None:
    code = "import sys, ecsreboot.ecs, ecsreboot.cli; print('alibabacloud_credentials' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_real_default_chain_reads_the_process_environment(tmp_path: Path) -> None:
    # The library reads os.environ once at import, so this runs in a fresh interpreter.
    code = (
        "from pathlib import Path; from ecsreboot.ecs import resolve_credentials;"
        "p = resolve_credentials(environ={}, home=Path('.'));"
        "c = p.get(); print(c.access_key_id, c.security_token, c.source)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALIBABA_CLOUD_", "ALICLOUD_"))}
    env.update({"HOME": str(tmp_path), "ALIBABA_CLOUD_ACCESS_KEY_ID": "AK-lib", "ALIBABA_CLOUD_ACCESS_KEY_SECRET":
                "SK-lib", "ALIBABA_CLOUD_SECURITY_TOKEN": "T-lib", "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["AK-lib", "T-lib", "default", "chain"]


#: what the RAM-role / OIDC (RRSA) chain's STS exchange may quote in its errors: the credentials it minted
#: or was given, in JSON, query and log shapes
STS_LEAKS = {
    "minted key id": "STS.NUgYrLnoC37mZZCNnAbez2EGz",
    "source key id": "LTAI5tQ3mZ8x9RpVw2Ktq7Lm",
    "secret": "9xB2vQe7WmR4kT1zHy6NcJ0pLs3fGdAu",
    "token": "CAISwQJ1q6Ft5B2yfSjIr5bnLdX4jZd9gaS+Q0fB",
    "oidc jwt": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXZhbHVl",
}


@pytest.mark.parametrize("shape", ["json", "query", "log", "bare"])
def test_credentials_quoted_by_the_sts_exchange_never_reach_an_error_or_a_log(
        shape: str, caplog: pytest.LogCaptureFixture) -> None:
    v = STS_LEAKS
    body = {
        "json": (f'error refreshing credentials from ram_role_arn, http_code: 200, result: {{"RequestId": "R-1", '
                 f'"Credentials": {{"AccessKeyId": "{v["minted key id"]}", "AccessKeySecret": "{v["secret"]}", '
                 f'"SecurityToken": "{v["token"]}", "Expiration": "2026-01-01T00:00:00Z"}}}}'),
        "query": (f"GET https://sts.aliyuncs.com/?Action=AssumeRoleWithOIDC&OIDCToken={v['oidc jwt']}"
                  f"&AccessKeyId={v['source key id']} failed: 400 InvalidParameter.OIDCToken"),
        "log": (f"AssumeRole failed for access_key_id={v['source key id']}, access_key_secret: {v['secret']}, "
                f"security_token='{v['token']}' oidc_token {v['oidc jwt']}"),
        "bare": f"role session of {v['minted key id']} / {v['source key id']} denied, token {v['oidc jwt']}",
    }[shape]
    provider = ChainCredentialsProvider(lambda: FakeChain(error=RuntimeError(body)), source="profile:rrsa (mode OIDC)")
    with caplog.at_level(logging.DEBUG), pytest.raises(ConfigError) as caught:
        provider.get()
    shown = " ".join([str(caught.value), repr(caught.value), caplog.text])
    assert "profile:rrsa" in shown and "RuntimeError" in shown  # still says where and what failed
    for what, value in v.items():
        assert value not in shown, f"{what} leaked in the {shape} shape: {shown}"
