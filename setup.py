"""The one build step beyond pyproject.toml: the Terraform/OpenTofu plugin protocol, compiled from its published source.

The provider for OpenTofu and Terraform (``ecsreboot.terraform``) speaks plugin protocol 6 (``tfplugin6.proto``)
and go-plugin's controller service (``grpc_controller.proto``). Both definitions are published under MPL-2.0 inside
Go modules; they are not copied into this repository. At build time (``pip install``, editable or not, and wheel
builds) this step

1. downloads each pinned module's zip from the Go module proxy (``$GOPROXY``'s first HTTPS entry, else
   proxy.golang.org) over HTTPS — no Go toolchain needed — and checks it against the module's ``h1:`` hash, the
   very value of ``go.sum`` files and the Go checksum database;
2. compiles the two ``.proto`` files with ``protoc`` (from ``grpcio-tools``, a build requirement only) into one
   serialized ``FileDescriptorSet``, ``ecsreboot/terraform/protocol.binpb``, which the provider loads at run
   time (``ecsreboot/terraform/protocol.py``).

A descriptor set, not generated ``_pb2.py`` modules: generated code is tied to the protobuf and grpcio releases of
the generator (it refuses older runtimes), a descriptor set is plain protobuf data any runtime reads. In an
editable install the file is written into the source tree (git ignores it); in a wheel, into the build folder.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

#: (module, version, h1 hash, {path inside the module: file name to compile})
MODULES = (
    ("github.com/hashicorp/terraform-plugin-go", "v0.31.0", "h1:0Fz2r9DQ+kNNl6bx8HRxFd1TfMKUvnrOtvJPmp3Z0q8=",
     {"tfprotov6/internal/tfplugin6/tfplugin6.proto": "tfplugin6.proto"}),
    # the version OpenTofu v1.12.6 pins (its go.mod)
    ("github.com/hashicorp/go-plugin", "v1.7.0", "h1:YghfQH/0QmPNc/AZMTFE3ac8fipZyZECHdDPshfk+mA=",
     {"internal/plugin/grpc_controller.proto": "grpc_controller.proto"}),
)
OUTPUT = Path("ecsreboot") / "terraform" / "protocol.binpb"
SOURCE_ROOT = Path(__file__).resolve().parent / "provider"


def _proxy() -> str:
    for entry in os.environ.get("GOPROXY", "").replace("|", ",").split(","):
        if entry.startswith("https://"):
            return entry.rstrip("/")
    return "https://proxy.golang.org"


def _escape(module: str) -> str:
    """The proxy protocol's case encoding: an upper-case letter becomes ``!`` and its lower case."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in module)


def h1(archive: zipfile.ZipFile) -> str:
    """Go's ``dirhash.Hash1`` of a module zip: SHA-256 over the sorted ``"<sha256>  <name>\\n"`` lines."""
    lines = "".join(f"{hashlib.sha256(archive.read(name)).hexdigest()}  {name}\n"
                    for name in sorted(archive.namelist()))
    return "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()


def fetch(module: str, version: str, expected: str) -> zipfile.ZipFile:
    url = f"{_proxy()}/{_escape(module)}/@v/{version}.zip"
    with urllib.request.urlopen(url, timeout=120) as answer:
        archive = zipfile.ZipFile(io.BytesIO(answer.read()))
    got = h1(archive)
    if got != expected:
        raise RuntimeError(f"{module}@{version} from {url} has hash {got}, expected {expected}: refusing to build")
    return archive


def compile_protocol(output: Path) -> None:
    from grpc_tools import protoc  # a build requirement (pyproject.toml), not needed at run time

    with tempfile.TemporaryDirectory() as tmp:
        names = []
        for module, version, expected, files in MODULES:
            archive = fetch(module, version, expected)
            for inner, name in files.items():
                Path(tmp, name).write_bytes(archive.read(f"{module}@{version}/{inner}"))
                names.append(name)
        well_known = Path(protoc.__file__).resolve().parent / "_proto"  # google/protobuf/timestamp.proto
        output.parent.mkdir(parents=True, exist_ok=True)
        code = protoc.main(["protoc", f"-I{tmp}", f"-I{well_known}", "--include_imports",
                            f"--descriptor_set_out={output}", *names])
        if code != 0:
            raise RuntimeError(f"protoc failed ({code}) compiling {', '.join(names)}")


class BuildWithProtocol(build_py):
    """``build_py`` that also writes the protocol's descriptor set (in place for an editable install)."""

    def run(self) -> None:
        super().run()
        root = SOURCE_ROOT if getattr(self, "editable_mode", False) else Path(self.build_lib)
        compile_protocol(root / OUTPUT)


setup(cmdclass={"build_py": BuildWithProtocol})
