"""assembly/backend: one credentials provider, one rate limiter and one client per region, released by close."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecsreboot.assembly.backend import EcsBackend
from ecsreboot.assembly.config import ProviderConfig
from ecsreboot.core.errors import ConfigError

KEYS = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "backend-test-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "backend-test-secret"}


def _backend(tmp_path: Path, environ: dict[str, str], **settings: Any) -> EcsBackend:
    return EcsBackend(ProviderConfig(endpoint="http://127.0.0.1:9", **settings), environ=environ, home=tmp_path)


def test_one_client_per_region_sharing_one_rate_limiter(tmp_path: Path) -> None:
    with _backend(tmp_path, KEYS, max_requests_per_second=5.0) as backend:
        hangzhou, beijing = backend.client("cn-hangzhou"), backend.client("cn-beijing")
        assert backend.client("cn-hangzhou") is hangzhou and beijing is not hangzhou
        assert hangzhou.limiter is beijing.limiter is not None
        assert (hangzhou.config.region_id, beijing.config.max_requests_per_second) == ("cn-hangzhou", 5.0)


def test_close_releases_the_clients_and_a_later_call_builds_anew(tmp_path: Path) -> None:
    backend = _backend(tmp_path, KEYS)
    first = backend.client("cn-hangzhou")
    backend.close()
    assert backend.client("cn-hangzhou") is not first
    backend.close()


def test_missing_credentials_are_a_problem_to_report_not_a_crash(tmp_path: Path) -> None:
    backend = _backend(tmp_path, {})
    problem = backend.credentials_problem()
    assert problem is not None and "credential" in problem.lower()
    with pytest.raises(ConfigError):
        backend.client("cn-hangzhou")


def test_settings_become_the_clients_config(tmp_path: Path) -> None:
    backend = _backend(tmp_path, KEYS, signature_version="v1", max_retries=2, request_timeout=3.5)
    config = backend.client("cn-shanghai").config
    assert (config.signature_version, config.max_retries, config.request_timeout) == ("v1", 2, 3.5)
    assert backend.rebooter("cn-shanghai").settings.sends == 3
