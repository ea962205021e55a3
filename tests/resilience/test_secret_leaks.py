"""Secret-leak scans beyond tests/plugin/test_secrets.py (explicit STS config, secret trigger values).

Recognisable canary values go in where the plugin tier's scan does not put them -- credentials read
from a ``~/.aliyun/config.json`` profile (which the provider configuration never sees), signed with V1
(the AccessKeyId travels in the query string and comes back in a SignatureDoesNotMatch answer's
string-to-sign), a RamRoleArn profile whose STS call fails, secret instance ids, a secret trigger map
and secret rolling width -- and the whole lifecycle runs, failures included (wrong secret, a Stopped
instance, preview warnings). No canary may appear in the engine's log, the plugin's stdout/stderr,
any step error, the outputs with secrets removed, or the emulator's request log (instance ids excepted
there: the API needs them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ecsreboot.core.sentinels import SIG_KEY
from ecsreboot.testing import Deployment, EngineServer, Plugin, ResourceDecl, hermetic_env, secret
from tests.plugin.test_secrets import plaintext

from .conftest import emulator, provider_config

PROFILE_KEY = "LTAIProfileLeakCanary01"
PROFILE_SECRET = "ProfileLeakCanarySecret02"
WRONG_SECRET = "WrongLeakCanarySecret03"
ROLE_KEY = "LTAIRoleLeakCanary04"
ROLE_SECRET = "RoleLeakCanarySecret05"
TRIGGER = "TriggerLeakCanary06"
CREDENTIAL_CANARIES = (PROFILE_KEY, PROFILE_SECRET, WRONG_SECRET, ROLE_KEY, ROLE_SECRET)


def write_profiles(home: Path, current: str, *profiles: dict[str, Any]) -> None:
    (home / ".aliyun").mkdir(exist_ok=True)
    (home / ".aliyun" / "config.json").write_text(json.dumps({"current": current, "profiles": list(profiles)}))


def ak_profile(secret_value: str) -> dict[str, Any]:
    return {"name": "default", "mode": "AK", "access_key_id": PROFILE_KEY, "access_key_secret": secret_value,
            "region_id": "cn-hangzhou"}


def scan(places: dict[str, str], canaries: tuple[str, ...]) -> None:
    for place, text in places.items():
        for canary in canaries:
            assert canary not in text, f"{canary} leaked into the {place}"


def test_profile_credentials_signed_with_v1_never_leak_even_when_refused(tmp_path: Path) -> None:
    engine = EngineServer()
    errors: list[str] = []
    outputs: list[Any] = []
    plugins: list[Plugin] = []
    with emulator(access_keys={PROFILE_KEY: PROFILE_SECRET}) as emu:
        ids = emu.add_instances(2)
        decl = ResourceDecl("web", {"instanceIds": ids, "triggers": {"v": "1"}})
        config = {"region": "cn-hangzhou", "endpoint": emu.url, "signatureVersion": "v1"}
        # 1. the profile's secret is wrong: the answer quotes the string-to-sign, AccessKeyId included;
        # 2. a RamRoleArn profile whose STS call cannot be made; 3. the right profile.
        homes = [tmp_path / name for name in ("wrong", "role", "right")]
        for home in homes:
            home.mkdir()
        write_profiles(homes[0], "default", ak_profile(WRONG_SECRET))
        write_profiles(homes[1], "role", {"name": "role", "mode": "RamRoleArn", "access_key_id": ROLE_KEY,
                                          "access_key_secret": ROLE_SECRET, "ram_role_arn": "acs:ram::1:role/r",
                                          "ram_session_name": "s", "region_id": "cn-hangzhou"})
        write_profiles(homes[2], "default", ak_profile(PROFILE_SECRET))
        for home in homes:
            plugin = Plugin(engine, env=hermetic_env(home))
            plugins.append(plugin)
            try:
                plugin.start(config)
                deployment = Deployment(plugin)
                for result in (deployment.preview([decl]), deployment.apply([decl])):
                    errors += [r for e in result.errors.values() for r in e.reasons]
                    outputs += list(result.outputs.values())
                    outputs += [s.outputs for s in deployment.state.values()]
            finally:
                plugin.stop()
        emulator_log = json.dumps(emu.requests())
        assert emu.reboot_counts() == dict.fromkeys(ids, 1)  # only the right profile rebooted
    engine.stop()

    assert any("SignatureDoesNotMatch" in e for e in errors) and any("profile:role" in e for e in errors)
    scan({
        "engine log": "\n".join(m.message for m in engine.logs),
        "plugin stdout": "\n".join(p.stdout.decode(errors="replace") for p in plugins),
        "plugin stderr": "\n".join(p.stderr.decode(errors="replace") for p in plugins),
        "step errors": "\n".join(errors),
        "outputs": json.dumps(outputs),
        "emulator request log": emulator_log,
    }, CREDENTIAL_CANARIES)


def test_secret_instance_ids_and_inputs_never_leak_through_a_failing_lifecycle(tmp_path: Path) -> None:
    engine = EngineServer()
    errors: list[str] = []
    outputs: list[Any] = []
    with emulator() as emu:
        ids = emu.add_instances(4)
        emu.backend.set_status(ids[3], "Stopped")  # a preview warning, then a per-instance failure
        plugin = Plugin(engine, env=hermetic_env(tmp_path))
        try:
            plugin.start(provider_config(emu))
            deployment = Deployment(plugin)
            for generation in ("one", "two"):
                decl = ResourceDecl("web", {
                    "instanceIds": secret(ids), "batchOptimization": "SuccessFirst", "maxUnavailable": secret(2),
                    "triggers": secret({"token": f"{TRIGGER}-{generation}", "plain": generation})})
                for result in (deployment.preview([decl]), deployment.apply([decl])):
                    errors += [r for e in result.errors.values() for r in e.reasons]
                    outputs += list(result.outputs.values())
            deployment.apply([])
        finally:
            plugin.stop()
    engine.stop()

    assert errors and outputs and engine.logs
    assert all(o["instanceIds"][SIG_KEY] for o in outputs)
    scan({
        "engine log": "\n".join(m.message for m in engine.logs),
        "plugin stdout": plugin.stdout.decode(errors="replace"),
        "plugin stderr": plugin.stderr.decode(errors="replace"),
        "step errors": "\n".join(errors),
        "plaintext outputs": json.dumps(plaintext(outputs)),
    }, (*ids, TRIGGER))
