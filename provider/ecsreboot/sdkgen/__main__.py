"""``python -m ecsreboot.sdkgen SCHEMA OUT_DIR``: write the Python SDK for SCHEMA under OUT_DIR."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import SchemaError, generate, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ecsreboot.sdkgen", description=__doc__)
    parser.add_argument("schema", type=Path, help="the package schema, e.g. schema.json")
    parser.add_argument("out_dir", type=Path, help="where the SDK goes, e.g. sdk/python")
    args = parser.parse_args(argv)
    try:
        files = generate(json.loads(args.schema.read_text(encoding="utf-8")), source=args.schema.name)
    except (OSError, ValueError) as exc:  # SchemaError and JSON errors are ValueErrors
        kind = "unsupported schema" if isinstance(exc, SchemaError) else "cannot read the schema"
        print(f"ecsreboot.sdkgen: {kind}: {exc}", file=sys.stderr)
        return 2
    write(files, args.out_dir)
    print(f"ecsreboot.sdkgen: wrote {len(files)} files under {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
