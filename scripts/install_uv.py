"""Installs uv into .tools/bin with nothing but the Python standard library.

Tries `python -m venv` + pip first; where Debian's python3-venv or pip is missing, downloads the uv wheel
for this platform from PyPI and takes the binary out of it.
"""

import io
import json
import os
import platform
import stat
import subprocess
import sys
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

TOOLS = Path(".tools")
UV = TOOLS / "bin" / "uv"
ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}


def with_pip() -> bool:
    """uv from PyPI through a private virtualenv's pip."""
    try:
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True, capture_output=True)
        subprocess.run([str(TOOLS / "bin" / "pip"), "install", "-q", "uv"], check=True)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return False
    return UV.exists()


def from_wheel() -> None:
    """uv's manylinux wheel for this machine, straight from PyPI's JSON API."""
    arch = ARCH.get(platform.machine().lower())
    if sys.platform != "linux" or arch is None:
        raise SystemExit(f"no uv wheel known for {sys.platform}/{platform.machine()}: install uv yourself")
    index = "https://pypi.org/pypi/uv/json"
    with urllib.request.urlopen(index, timeout=60) as reply:
        files = json.load(reply)["urls"]
    wheel = next(
        f for f in files if f["filename"].endswith(".whl") and "manylinux" in f["filename"] and arch in f["filename"]
    )
    print(f"downloading {wheel['filename']}")
    with urllib.request.urlopen(urllib.parse.urljoin(index, wheel["url"]), timeout=300) as reply:
        data = reply.read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        member = next(n for n in archive.namelist() if n.endswith("/scripts/uv"))
        UV.parent.mkdir(parents=True, exist_ok=True)
        UV.write_bytes(archive.read(member))
    UV.chmod(UV.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def main() -> None:
    os.chdir(Path(__file__).resolve().parent.parent)
    if not with_pip():
        print("no usable venv/pip here; fetching the uv wheel from PyPI instead")
        from_wheel()
    print(f"uv installed at {UV}")


if __name__ == "__main__":
    main()
