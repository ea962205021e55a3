"""Drive the real ``pulumi`` CLI offline: the end-to-end tier, ``make demo`` and ``make bench`` share it.

``find_pulumi`` locates the CLI (``$ECSREBOOT_PULUMI``, then the one ``make pulumi`` builds into
``.tools/bin``, then ``pulumi`` on PATH). ``Project`` is one Pulumi project folder with its own
temporary ``PULUMI_HOME`` and ``file://`` backend, passphrase secrets, no update check and no plugin
download (docs/engine-compatibility.md). The plugin ``pulumi-resource-ecsreboot`` is found
the way a user's engine finds it: on ``PATH``, from the virtualenv that has the package installed.

For a Python project, commands that run the program (``preview``, ``up``, ``refresh --run-program``,
``destroy``) get the program served by ``ecsreboot.testing.program_host`` (an Automation API inline
program) and the ``--client`` address, as ``pulumi.automation.Stack`` passes it: the Go module proxy does
not serve the ``pulumi-language-python`` host. A YAML project runs through ``pulumi-language-yaml``,
which ``make pulumi`` builds beside the CLI. Everything it starts is bounded in
time and killed at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .commands import CommandFailed, Result, background, find_cli, overlaid, run
from .engine import hermetic_env

__all__ = ["CommandFailed", "Project", "Result", "cli_version", "copy_project", "find_pulumi"]

REPO = Path(__file__).resolve().parents[3]
PASSPHRASE = "ecsreboot-e2e-passphrase"
#: commands that run the Pulumi program, and so need the program host's address
PROGRAM_COMMANDS = frozenset({"preview", "up", "update", "destroy", "refresh"})


def find_pulumi() -> Path | None:
    """The Pulumi CLI to test with, or None: ``$ECSREBOOT_PULUMI``, ``.tools/bin/pulumi``, ``pulumi`` on PATH."""
    return find_cli("pulumi", "ECSREBOOT_PULUMI")


def cli_version(pulumi: Path) -> str:
    out = subprocess.run([str(pulumi), "version"], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"})
    return out.stdout.strip() or out.stderr.strip()


class Project:
    """A Pulumi project folder driven by the real CLI, with private state and home under ``workdir``.

    ``env`` adds to (or, with None values, removes from) the hermetic environment: no ambient Alibaba
    settings, ``HOME`` inside ``workdir``, no ECS metadata lookups.
    """

    def __init__(self, pulumi: Path, project_dir: Path, workdir: Path, env: Mapping[str, str | None] | None = None,
                 plugin_dirs: Sequence[Path] = ()) -> None:
        self.pulumi = pulumi
        self.dir = project_dir
        self.workdir = workdir
        home = workdir / "home"
        state = workdir / "state"
        for d in (home, state):
            d.mkdir(parents=True, exist_ok=True)
        base = hermetic_env(home)
        # the CLI, then wherever the plugin lives (by default: this interpreter's virtualenv), as a user's PATH
        dirs = [str(pulumi.parent), *(str(d) for d in plugin_dirs), str(Path(sys.executable).parent)]
        base.update(
            PATH=os.pathsep.join([*dirs, base.get("PATH", "")]),
            PULUMI_HOME=str(home / ".pulumi"),
            PULUMI_BACKEND_URL=f"file://{state}",
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK="true",
            # the Python that runs dynamic providers (pulumi-resource-pulumi-python): this virtualenv's
            PULUMI_PYTHON_CMD=sys.executable,
            NO_COLOR="1",
        )
        base.pop("PULUMI_ACCESS_TOKEN", None)
        self.env = overlaid(base, env)

    @property
    def inline(self) -> bool:
        """A Python program (``__main__.py``) is served by the program host; other runtimes (YAML) run as usual."""
        return (self.dir / "__main__.py").is_file()

    # --- running commands --------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def program_host(self) -> Iterator[str]:
        """The program served on 127.0.0.1 for one command; yields the ``--client`` address."""
        host = subprocess.Popen(
            [sys.executable, "-m", "ecsreboot.testing.program_host", str(self.dir), "--max-seconds", "1800"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, cwd=self.dir,
        )
        try:
            assert host.stdout is not None
            line = host.stdout.readline().decode().strip()
            if not line.isdigit():
                host.kill()
                _, err = host.communicate(timeout=10)
                raise RuntimeError(f"the program host did not start: {line!r} {err.decode()[-2000:]}")
            yield f"127.0.0.1:{line}"
        finally:
            with contextlib.suppress(Exception):
                assert host.stdin is not None
                host.stdin.close()
            try:
                host.wait(timeout=10)
            except subprocess.TimeoutExpired:
                host.kill()
                host.wait(timeout=10)

    def _argv(self, args: Sequence[str], client: str | None) -> list[str]:
        args = list(args)
        cut = args.index("--") if "--" in args else len(args)  # flags go before a `--`
        flags = ["--non-interactive", "--color", "never"]
        if client:
            flags += [f"--client={client}", "--exec-kind", "auto.inline"]
        return [str(self.pulumi), *args[:cut], *flags, *args[cut:]]

    def run(self, *args: str, check: bool = True, timeout: float = 600, stdin: str | None = None) -> Result:
        """``pulumi ARGS`` in the project folder; commands that run the program get the program host."""
        needs_program = self.inline and bool(args) and args[0] in PROGRAM_COMMANDS and not (
            args[0] == "refresh" and "--run-program" not in " ".join(args))
        with contextlib.ExitStack() as stack:
            client = stack.enter_context(self.program_host()) if needs_program else None
            result = run(self._argv(args, client), args=args, cwd=self.dir, env=self.env, timeout=timeout,
                         stdin=stdin, check=False)
        return result.check() if check else result

    @contextlib.contextmanager
    def start(self, *args: str) -> Iterator[subprocess.Popen[str]]:
        """``pulumi ARGS`` started in the background with the program host (for Ctrl-C tests); killed on exit."""
        with self.program_host() as client, background(self._argv(args, client), cwd=self.dir, env=self.env) as proc:
            yield proc

    # --- conveniences ------------------------------------------------------------------------------------------

    def init(self, stack: str = "e2e") -> None:
        self.run("stack", "init", stack)

    def config(self, key: str, value: str, secret: bool = False, path: bool = False) -> None:
        extra = (["--secret"] if secret else ["--plaintext"]) + (["--path"] if path else [])
        self.run("config", "set", *extra, key, "--", value)

    def config_object(self, key: str, value: Any) -> None:
        """A structured config value (list or map) as its JSON text, which programs read alike
        (``Config.get_object``, ``requireObject``, ``RequireObject`` parse it), and which every CLI version
        accepts (``config set-all --json``, which stores it as an object, came after v3.193.0: ``make compat``)."""
        self.run("config", "set", "--plaintext", key, "--", json.dumps(value))

    def export(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.run("stack", "export").stdout)
        return data

    def resources(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.export()["deployment"].get("resources", []) if r.get("type") == type_]

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json"] + (["--show-secrets"] if show_secrets else [])
        data: dict[str, Any] = json.loads(self.run(*args).stdout or "{}")
        return data


def copy_project(source: Path, dest: Path) -> Path:
    """A copy of a project folder (stack files included) without virtualenvs or caches."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("venv", ".venv", "__pycache__", "*.pyc"))
    return dest
