"""Generates the Python code for protos/ into a target folder (libs/api/src for `make protos`)."""

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc


def main(proto_root: str, out: str) -> int:
    """Runs protoc with --python_out, --pyi_out and --grpc_python_out, then adds __init__.py files."""
    root, out_dir = Path(proto_root), Path(out)
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    out_dir.mkdir(parents=True, exist_ok=True)
    args = ["protoc", f"-I{root}", f"-I{well_known}"]
    args += [f"--python_out={out_dir}", f"--pyi_out={out_dir}", f"--grpc_python_out={out_dir}", *files]
    if protoc.main(args) != 0:
        print("protoc failed", file=sys.stderr)
        return 1
    for package_dir in {out_dir / Path(f).parent for f in files}:
        while package_dir != out_dir:
            (package_dir / "__init__.py").touch()
            package_dir = package_dir.parent
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
