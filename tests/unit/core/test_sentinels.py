"""Our one copy of Pulumi's wire constants is Pulumi's own (pulumi.runtime.rpc), and there is only one copy."""

from __future__ import annotations

from pathlib import Path

from pulumi.runtime import rpc

from ecsreboot.core import sentinels

ROOT = Path(__file__).resolve().parents[3]


def test_the_constants_are_pulumis() -> None:
    ours = (sentinels.SIG_KEY, sentinels.SECRET_SIG, sentinels.RESOURCE_REF_SIG, sentinels.OUTPUT_SIG,
            sentinels.ASSET_SIG, sentinels.ARCHIVE_SIG, sentinels.UNKNOWN_STRING)
    assert ours == (rpc._special_sig_key, rpc._special_secret_sig, rpc._special_resource_sig,
                    rpc._special_output_value_sig, rpc._special_asset_sig, rpc._special_archive_sig, rpc.UNKNOWN)
    assert len(sentinels.UNKNOWN_SENTINELS) == 7 and sentinels.UNKNOWN_STRING in sentinels.UNKNOWN_SENTINELS


def test_no_second_copy_in_the_code_or_the_tests() -> None:
    """Each value is written once, in core/sentinels.py."""
    values = [sentinels.SIG_KEY, sentinels.SECRET_SIG, sentinels.RESOURCE_REF_SIG, sentinels.OUTPUT_SIG,
              sentinels.ASSET_SIG, sentinels.ARCHIVE_SIG, *sentinels.UNKNOWN_SENTINELS]
    me = Path(__file__).resolve()
    found = {
        f"{path.relative_to(ROOT)}: {value}"
        for top in ("provider", "tests")
        for path in (ROOT / top).rglob("*.py")
        if path.resolve() != me and path.name != "sentinels.py"
        for value in values
        if value in path.read_text(encoding="utf-8")
    }
    assert not found, sorted(found)
