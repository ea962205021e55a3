"""Installing the generated Python SDK prints nothing a user would take for a problem (issue 16).

pip 25 and newer show what the build backend warns even with ``-q``: the generator's pyproject.toml made every
install print "File 'sdk/python/README.md' cannot be found", "`project.license` as a TOML table is
deprecated" and, installed editable (``make install``, the examples' requirements.txt), "Editable
installation ... folders with the same name as your package" (tools/sdk.sh mends all three). Both ways of
installing run here with this virtualenv's pip (the one ``make install`` upgrades) into a throw-away
virtualenv, from a copy of the SDK so nothing is built inside the repository. Needs PyPI or pip's cache for
the build backend (setuptools), as every install of the SDK does.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .mocking import ROOT

SDK = ROOT / "sdk" / "python"


@pytest.mark.slow
@pytest.mark.parametrize("editable", [False, True], ids=["wheel", "editable"])
def test_the_sdk_installs_without_a_warning(tmp_path: Path, editable: bool) -> None:
    copy = tmp_path / "python"
    shutil.copytree(SDK, copy, ignore=shutil.ignore_patterns("*.egg-info", "build", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    target = [str(copy)] if not editable else ["-e", str(copy)]
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
         "--disable-pip-version-check", "--no-deps", *target],
        capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "warning" not in output.lower(), output[-3000:]
    assert "!!" not in output, output[-3000:]  # setuptools' frame around its notices
    installed = subprocess.run([str(venv / "bin" / "python"), "-c",
                                "import importlib.metadata as m; d = m.distribution('pulumi_ecsreboot'); "
                                "print(d.version, d.metadata['License-Expression'])"],
                               capture_output=True, text=True, timeout=60)
    assert installed.stdout.split() == ["0.1.0", "Apache-2.0"], installed.stderr
