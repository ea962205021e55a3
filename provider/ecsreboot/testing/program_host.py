"""Serve a Pulumi Python program to the real ``pulumi`` CLI as an Automation API inline program.

``python -m ecsreboot.testing.program_host PROJECT_DIR`` starts the Automation API's language server
(``pulumi.automation``) on 127.0.0.1 with the program ``PROJECT_DIR/__main__.py``, prints
``PORT`` alone on the first line of stdout, and serves until its standard input closes (the parent
went away) or ``--max-seconds`` pass. The CLI is then run with ``--client=127.0.0.1:PORT --exec-kind
auto.inline``, exactly as ``pulumi.automation.Stack.up`` does, so the program runs unchanged under the
real engine without the ``pulumi-language-python`` host (which the Go module proxy does not serve:
see README, "The real Pulumi engine").

Each ``Run`` executes the file afresh (``runpy``), in ``PROJECT_DIR``, with ``PROJECT_DIR`` first on
``sys.path``: what the Python language host does for ``runtime: python``.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import threading
from concurrent import futures
from pathlib import Path


def serve(project_dir: Path, max_seconds: float) -> int:
    import grpc
    from pulumi.automation._server import LanguageServer  # the inline-program server Stack.up uses
    from pulumi.runtime.proto import language_pb2_grpc

    main = project_dir / "__main__.py"
    if not main.is_file():
        print(f"program_host: {main} does not exist", file=sys.stderr)
        return 2
    os.chdir(project_dir)
    sys.path.insert(0, str(project_dir))

    def program() -> None:
        runpy.run_path(str(main), run_name="__main__")

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", 400 * 1024 * 1024)],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(LanguageServer(program), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()

    done = threading.Event()

    def watch_stdin() -> None:
        # the parent holds our stdin open; EOF means it is gone (or done with us)
        while sys.stdin.buffer.read(4096):
            pass
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait(max_seconds)
    server.stop(0)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecsreboot.testing.program_host",
                                     description=(__doc__ or "").split("\n")[0])
    parser.add_argument("project_dir", type=Path, help="the folder holding Pulumi.yaml and __main__.py")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="stop serving after this long (default 1800)")
    args = parser.parse_args(argv)
    return serve(args.project_dir.resolve(), args.max_seconds)


if __name__ == "__main__":
    sys.exit(main())
