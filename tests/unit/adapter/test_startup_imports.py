"""The plugin prints its port before it loads the ECS client: the engine waits for that line, so start-up
pays only for what serving needs (the HTTP client and credentials load on the first Configure, and the
Pulumi program SDK never: the protocol stubs load without it, adapter/proto.py)."""

from __future__ import annotations

import subprocess
import sys

LATE = ("requests", "urllib3", "ecsreboot.ecs.client", "ecsreboot.ecs.transport", "ecsreboot.ecs.credentials",
        "alibabacloud_credentials", "ecsreboot.emulator", "pulumi")


def test_the_plugin_module_does_not_load_the_ecs_client() -> None:
    code = ("import sys, ecsreboot.adapter.server\n"
            f"print(sorted(m for m in {LATE!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_lazy_ecs_package_still_serves_every_public_name() -> None:
    import ecsreboot.ecs as ecs

    for name in ecs.__all__:
        assert getattr(ecs, name) is not None


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_stubs_are_pulumis_own_message_classes_when_both_are_loaded() -> None:
    """A process with the plugin and the Pulumi SDK (the engine harness beside it) sees one CheckRequest."""
    code = ("from ecsreboot.adapter import proto\n"
            "from pulumi.runtime.proto import provider_pb2\n"
            "request = proto.provider_pb2.CheckRequest(urn='urn:x', type='ecsreboot:index:RebootTrigger')\n"
            "print(proto.provider_pb2.__name__, proto.provider_pb2.CheckRequest is provider_pb2.CheckRequest,\n"
            "      provider_pb2.CheckRequest.FromString(request.SerializeToString()).type)")
    assert _run(code) == "_ecsreboot_pulumirpc.provider_pb2 True ecsreboot:index:RebootTrigger"


def test_stubs_already_imported_are_used_as_they_are() -> None:
    code = ("import pulumi.runtime.proto.provider_pb2_grpc as grpc_stubs, sys\n"
            "from ecsreboot.adapter import proto\n"
            "print(proto.provider_pb2_grpc is grpc_stubs, proto.PACKAGE in sys.modules)")
    assert _run(code) == "True False"


def test_configure_check_and_diff_do_not_load_the_ecs_client() -> None:
    """A preview of unchanged resources (Configure, then Check and Diff of each) never needs the HTTP client:
    it loads when a step first uses the backend."""
    code = (
        "import sys\n"
        "from ecsreboot.adapter import server\n"
        "from ecsreboot.adapter.properties import to_struct\n"
        "from ecsreboot.adapter.proto import provider_pb2\n"
        "class Context:\n"
        "    def abort(self, code, message): raise SystemExit(message)\n"
        "p = server.Provider(server.LazyBackend, environ={})\n"
        "p.Configure(provider_pb2.ConfigureRequest(args=to_struct({'region': 'cn-hangzhou', 'accessKey': 'k', "
        "'secretKey': 's'})), Context())\n"
        "inputs = {'instanceIds': ['i-abc'], 'triggers': {'v': 1}, 'rebootOnCreate': False}\n"
        "checked = p.Check(provider_pb2.CheckRequest(urn='urn:pulumi:s::p::ecsreboot:index:RebootTrigger::t', "
        "news=to_struct(inputs)), Context()).inputs\n"
        "p.Diff(provider_pb2.DiffRequest(olds=checked, news=checked), Context())\n"
        f"print(sorted(m for m in {LATE!r} if m in sys.modules))\n"
        "p._get_lifecycle()._backend.credentials_problem()\n"
        "print('requests' in sys.modules or 'urllib3' in sys.modules)")
    assert _run(code).splitlines() == ["[]", "True"]
