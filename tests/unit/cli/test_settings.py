"""cli.settings: the CLI reads its provider settings through assembly/config, as the plugin does."""

from __future__ import annotations

from ecsreboot.assembly.config import ProviderConfig
from ecsreboot.cli import build_parser, settings


def _settings(argv: list[str], environ: dict[str, str]) -> ProviderConfig:
    return settings(build_parser().parse_args(["reboot", *argv, "i-1"]), environ)


def test_a_flag_wins_over_the_environment() -> None:
    config = _settings(["--region", "cn-beijing", "--endpoint", "http://127.0.0.1:1"],
                       {"ALIBABA_CLOUD_REGION_ID": "cn-hangzhou", "ECSREBOOT_ENDPOINT": "http://127.0.0.1:2"})
    assert (config.region, config.endpoint) == ("cn-beijing", "http://127.0.0.1:1")


def test_unset_flags_fall_back_to_the_provider_configurations_variables_trimmed() -> None:
    config = _settings([], {"ALICLOUD_REGION": " cn-shanghai\n", "ECSREBOOT_ENDPOINT": "http://127.0.0.1:3 ",
                            "ALIBABA_CLOUD_PROFILE": "ops"})
    assert (config.region, config.endpoint, config.profile) == ("cn-shanghai", "http://127.0.0.1:3", "ops")


def test_the_flags_numbers_and_signature_reach_the_settings() -> None:
    config = _settings(["--signature-version", "v1", "--max-retries", "0", "--max-requests-per-second", "2.5"], {})
    assert (config.signature_version, config.max_retries, config.max_requests_per_second) == ("v1", 0, 2.5)
    assert config.region is None


def test_credentials_from_the_environment_stay_out_of_the_settings_repr() -> None:
    config = _settings(["--region", "cn-hangzhou"], {"ALIBABA_CLOUD_ACCESS_KEY_ID": "AKID-visible?",
                                                     "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s3cr3t-value"})
    assert config.access_key == "AKID-visible?" and config.secret_key == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(config) and "AKID-visible?" not in repr(config)
