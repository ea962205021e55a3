"""Drive the real ``tofu`` CLI offline: the OpenTofu end-to-end tier, ``make demo`` and ``make bench`` share it.

``find_tofu`` locates the CLI (``$ECSREBOOT_TOFU``, then the one ``make tofu`` builds into ``.tools/bin``, then
``tofu`` on PATH). ``Mirror`` installs the provider as a user would without a registry: the executable
``terraform-provider-ecsreboot`` (the console script of this virtualenv) copied into a filesystem mirror,
``HOST/ecsreboot/ecsreboot/VERSION/OS_ARCH/terraform-provider-ecsreboot_vVERSION`` (for OpenTofu's registry host and
Terraform's), and a CLI configuration
(``TF_CLI_CONFIG_FILE``, always set explicitly: the CLI otherwise reads the account's own file) whose
``provider_installation`` takes ``ecsreboot/*`` from that mirror only. ``Workspace`` is one configuration folder
with a hermetic environment (``HOME`` inside it, no ambient Alibaba settings, no checkpoint call, no colour);
``tofu init`` is run once per mirror and its result copied into each workspace (``Mirror.initialized``), which is
what a second ``tofu init`` would produce. Everything it starts is bounded in time and killed at the end.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .commands import REPO, CommandFailed, Result, background, find_cli, overlaid, run
from .engine import hermetic_env

__all__ = ["REPO", "CommandFailed", "Mirror", "Result", "Workspace", "find_terraform", "find_tofu", "interrupt",
           "required_providers"]

#: the registries OpenTofu and Terraform resolve `ecsreboot/ecsreboot` to: the mirror serves the provider for both
HOSTS = ("registry.opentofu.org", "registry.terraform.io")
SOURCE = "ecsreboot/ecsreboot"
EXECUTABLE = "terraform-provider-ecsreboot"


def find_tofu() -> Path | None:
    """The OpenTofu CLI to test with, or None: ``$ECSREBOOT_TOFU``, ``.tools/bin/tofu``, ``tofu`` on PATH."""
    return find_cli("tofu", "ECSREBOOT_TOFU")


def find_terraform() -> Path | None:
    """A Terraform CLI, when the machine has one (``$ECSREBOOT_TERRAFORM``, ``terraform`` on PATH): it cannot be
    built from Go modules (BUSL-licensed), so nothing builds it; the same Workspace drives it."""
    return find_cli("terraform", "ECSREBOOT_TERRAFORM")


def provider_executable() -> Path:
    """``terraform-provider-ecsreboot`` of this interpreter's environment (the console script pip installed)."""
    beside = Path(sys.executable).parent / EXECUTABLE
    found = beside if beside.is_file() else (Path(p) if (p := shutil.which(EXECUTABLE)) else None)
    if found is None:
        raise FileNotFoundError(f"{EXECUTABLE} is not installed in this environment (pip install -e .)")
    return found


def platform_dir() -> str:
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine().lower(), "amd64")
    return f"{sys.platform}_{machine}"


class Mirror:
    """A filesystem mirror holding the provider, and the CLI configuration that installs from it.

    ``others``: more providers it serves, by source address (``ecsreboot-bench/floor``: the benchmark's do-nothing
    provider) -> executable, each as version ``OTHERS_VERSION``.
    """

    OTHERS_VERSION = "0.0.1"

    def __init__(self, root: Path, version: str, executable: Path | None = None,
                 others: Mapping[str, Path] | None = None) -> None:
        self.root = root
        self.version = version
        served = {SOURCE: (executable or provider_executable(), version)}
        served.update({source: (path, self.OTHERS_VERSION) for source, path in (others or {}).items()})
        for host in HOSTS:
            for source, (path, served_version) in served.items():
                package = root / "mirror" / host / source / served_version / platform_dir()
                package.mkdir(parents=True, exist_ok=True)
                name = f"terraform-provider-{source.rsplit('/', 1)[1]}_v{served_version}"
                shutil.copy2(path, package / name)
        namespaces = sorted({source.split("/", 1)[0] for source in served})
        names = ", ".join(f'"{host}/{namespace}/*"' for host in HOSTS for namespace in namespaces)
        self.cli_config = root / "tofu.tfrc"
        self.cli_config.write_text(
            "provider_installation {\n"
            f'  filesystem_mirror {{\n    path    = "{root / "mirror"}"\n    include = [{names}]\n  }}\n'
            f"  direct {{\n    exclude = [{names}]\n  }}\n"
            "}\n"
        )
        self._initialized: dict[Path, Path] = {}

    def initialized(self, cli: Path) -> Path:
        """A folder where ``init`` by ``cli`` installed the provider (run once per CLI): its ``.terraform`` and
        lock file."""
        if cli not in self._initialized:
            folder = self.root / f"init-{len(self._initialized)}"
            workspace = Workspace(cli, folder, self)
            workspace.write(required_providers(self.version))
            workspace.run("init", "-input=false", "-no-color")
            self._initialized[cli] = folder
        return self._initialized[cli]


def required_providers(version: str | None = None) -> str:
    pin = f'\n      version = "{version}"' if version else ""
    return ("terraform {\n  required_providers {\n    ecsreboot = {\n"
            f'      source  = "{SOURCE}"{pin}\n    }}\n  }}\n}}\n')


class Workspace:
    """One OpenTofu configuration folder driven by the real CLI, with its home and CLI configuration private.

    ``env`` adds to (or, with None values, removes from) the hermetic environment.
    """

    def __init__(self, tofu: Path, folder: Path, mirror: Mirror, env: Mapping[str, str | None] | None = None) -> None:
        self.tofu = tofu
        self.dir = folder
        self.mirror = mirror
        home = folder / ".home"
        home.mkdir(parents=True, exist_ok=True)
        base = hermetic_env(home)
        base.update(
            TF_CLI_CONFIG_FILE=str(mirror.cli_config),
            TF_IN_AUTOMATION="1",
            CHECKPOINT_DISABLE="1",
            NO_COLOR="1",
            PATH=os.pathsep.join([str(tofu.parent), base.get("PATH", "")]),
        )
        for key in ("TF_LOG", "TF_LOG_PATH", "TF_LOG_PROVIDER", "TF_PLUGIN_CACHE_DIR", "TF_DATA_DIR"):
            base.pop(key, None)
        self.env = overlaid(base, env)

    def adopt_init(self) -> None:
        """The result of ``tofu init`` (the mirror's, run once) copied here, as a second init would make it."""
        source = self.mirror.initialized(self.tofu)
        shutil.copytree(source / ".terraform", self.dir / ".terraform", symlinks=True, dirs_exist_ok=True)
        shutil.copy2(source / ".terraform.lock.hcl", self.dir / ".terraform.lock.hcl")

    def write(self, text: str, name: str = "main.tf") -> None:
        (self.dir / name).write_text(text)

    def run(self, *args: str, check: bool = True, timeout: float = 300, env: Mapping[str, str] | None = None) -> Result:
        """``tofu ARGS`` in the folder (``-no-color`` is the caller's to add where the command takes it)."""
        return run([str(self.tofu), *args], args=args, cwd=self.dir, env={**self.env, **(env or {})},
                   timeout=timeout, check=check)

    @contextlib.contextmanager
    def start(self, *args: str, env: Mapping[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
        """``tofu ARGS`` in the background, in a process group of its own (a terminal's Ctrl-C reaches the whole
        group: ``interrupt`` sends SIGINT to it); killed on exit."""
        with background([str(self.tofu), *args], cwd=self.dir, env={**self.env, **(env or {})}) as proc:
            yield proc

    def show(self) -> dict[str, Any]:
        """``tofu show -json`` of the state."""
        import json

        data: dict[str, Any] = json.loads(self.run("show", "-json", "-no-color").stdout or "{}")
        return data

    def resources(self, type_: str = "ecsreboot_reboot_trigger") -> dict[str, dict[str, Any]]:
        """Address -> recorded attribute values of the resources of ``type_`` in the state."""
        module = self.show().get("values", {}).get("root_module", {})
        return {r["address"]: r["values"] for r in module.get("resources", []) if r.get("type") == type_}


def interrupt(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C as a terminal sends it: SIGINT to the CLI's whole process group, the provider included."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
