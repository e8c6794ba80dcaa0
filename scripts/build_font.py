"""Builds the CJK font the analytics charts ship with, from Debian's fonts-noto-cjk package, reproducibly.

Charts label places in Chinese, and a fresh laptop or a slim container has no CJK font, so the analytics
service carries its own: Noto Sans CJK SC Regular (SIL Open Font License 1.1), subset to what the charts can
need: ASCII, Latin-1, general punctuation, CJK symbols and punctuation (U+3000-303F), full-width forms
(U+FF00-FFEF), a few symbols matplotlib itself draws (the minus sign U+2212, arrows, geometric shapes), every
character of GB2312 (the 6,763 hanzi and its symbol rows) and every character of the demo scenarios
(deploy/scenarios/*.yaml). Hinting, glyph names and every layout feature but kerning, ligatures and the
localised forms are dropped; the family is renamed "Noto Sans SC Subset" so it never collides with a full Noto
Sans CJK installed on the machine.

The package is fetched with `apt-get download` (or given with --deb), its sha256 checked, its data member
read without dpkg (so --deb works on any OS), the Simplified Chinese face taken out of the .ttc collection,
subset with fontTools and written, with the licence, to services/analytics/src/microbrain_analytics/fonts/.
The same .deb and fontTools version give the same bytes again.

Usage: uv run --no-sync python scripts/build_font.py [--deb PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import lzma
import re
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "services" / "analytics" / "src" / "microbrain_analytics" / "fonts"
OUT = FONTS / "NotoSansSC-Subset.otf"
LICENSE_OUT = FONTS / "OFL.txt"
SCENARIOS = ROOT / "deploy" / "scenarios"

PACKAGE = "fonts-noto-cjk"
VERSION = "1:20220127+repack1-1"  # Debian 12 (bookworm)
DEB_SHA256 = "4a2515eb6db3978b897fef9709ed0d2b1f4c6c4df4d83d6c4ef65f71f1b1f502"
TTC_MEMBER = "./usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
COPYRIGHT_MEMBER = "./usr/share/doc/fonts-noto-cjk/copyright"
SOURCE_FAMILY = "Noto Sans CJK SC"

FAMILY = "Noto Sans SC Subset"
PS_NAME = "NotoSansSCSubset-Regular"

# The copyright line of upstream's LICENSE (github.com/googlefonts/noto-cjk, Sans/LICENSE); the font's own
# name table says "© 2014-2021 Adobe (http://www.adobe.com/)."
COPYRIGHT = (
    "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'. Source is a "
    "trademark of Adobe in the United States and/or other countries."
)

RANGES = [
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x2000, 0x206F),  # general punctuation
    (0x20AC, 0x20AC),  # euro sign
    (0x2190, 0x2199),  # arrows
    (0x2212, 0x2212),  # minus sign (matplotlib's negative tick labels)
    (0x25A0, 0x25FF),  # geometric shapes
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF00, 0xFFEF),  # half-width and full-width forms
]

# Layout features kept: what Latin and CJK text set horizontally need (matplotlib's own layout uses only
# kerning, but a text shaper would use the rest).
LAYOUT_FEATURES = ["kern", "palt", "halt", "liga", "locl", "ccmp", "calt", "mark", "mkmk"]


def gb2312_chars() -> set[str]:
    """Every character GB2312 encodes: the symbol rows 0xA1-0xA9 and the hanzi rows 0xB0-0xF7."""
    chars = set()
    for hi in [*range(0xA1, 0xAA), *range(0xB0, 0xF8)]:
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # an unassigned code point
    return chars


def wanted_chars() -> set[str]:
    chars = gb2312_chars()
    for start, end in RANGES:
        chars.update(chr(c) for c in range(start, end + 1))
    for path in sorted(SCENARIOS.glob("*.yaml")):
        chars.update(path.read_text(encoding="utf-8"))
    return {c for c in chars if unicodedata.category(c) not in ("Cc", "Cn", "Cs")}  # no controls


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(tmp: Path) -> Path:
    print(f"downloading {PACKAGE}={VERSION} with apt-get download", file=sys.stderr)
    subprocess.run(["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=tmp, check=True)
    (deb,) = tmp.glob(f"{PACKAGE}_*.deb")
    return deb


def read_members(deb: Path, names: list[str]) -> dict[str, bytes]:
    """Reads files from a .deb's data.tar.xz (a .deb is an ar archive), without dpkg."""
    data = deb.read_bytes()
    if data[:8] != b"!<arch>\n":
        raise SystemExit(f"{deb}: not a .deb (ar) archive")
    pos = 8
    while pos < len(data):
        header = data[pos : pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = data[pos + 60 : pos + 60 + size]
        pos += 60 + size + (size % 2)
        if name == "data.tar.xz":
            with tarfile.open(fileobj=io.BytesIO(lzma.decompress(body)), mode="r:") as tar:
                out = {}
                for member_name in names:
                    f = tar.extractfile(member_name)
                    if f is None:
                        raise SystemExit(f"{deb}: {member_name} is not a file")
                    out[member_name] = f.read()
                return out
    raise SystemExit(f"{deb}: no data.tar.xz member")


def font_number(ttc: Path) -> int:
    collection = TTCollection(str(ttc), lazy=True)
    for number, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == SOURCE_FAMILY:
            return number
    raise SystemExit(f"{ttc}: no face with family name {SOURCE_FAMILY!r}")


def rename(font: TTFont) -> None:
    """Names the subset as a font of its own (a modified version under the OFL; "Noto" is not reserved)."""
    names = {
        1: FAMILY,
        2: "Regular",
        3: f"{font['name'].getDebugName(5).split(';')[0].removeprefix('Version ')};{PS_NAME};microbrain subset",
        4: f"{FAMILY} Regular",
        6: PS_NAME,
    }
    table = font["name"]
    table.names = [n for n in table.names if n.nameID not in names and n.nameID not in (16, 17, 21, 22)]
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
    # The localised (zh-CN) family name stays off: matplotlib and fontconfig match on the English one.
    cff = font["CFF "].cff
    cff.fontNames = [PS_NAME]
    top = cff.topDictIndex[0]
    top.FullName = f"{FAMILY} Regular"
    top.FamilyName = FAMILY
    if hasattr(top, "ROS"):  # a CID-keyed font names each of its FDs after the collection's first face
        for fd in top.FDArray:
            if hasattr(fd, "FontName"):
                fd.FontName = re.sub(r"^NotoSansCJK\w+-Regular", PS_NAME, fd.FontName)


def licence_text(copyright_file: str) -> str:
    """The OFL 1.1 text, from the Debian copyright file's "License: SIL-1.1" paragraph."""
    lines = copyright_file.splitlines()
    # The stand-alone paragraph, not the "License:" field of the "Files: *" paragraph.
    start = next(i for i, line in enumerate(lines[:-1], 1) if line == "License: SIL-1.1" and lines[i].startswith(" "))
    body = []
    for line in lines[start:]:
        if not line.startswith(" "):
            break
        body.append("" if line == " ." else line[1:])
    header = (
        f"{COPYRIGHT}\n\n"
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
        "The subset NotoSansSC-Subset.otf is a Modified Version of Noto Sans CJK SC Regular (Debian package\n"
        f"{PACKAGE} {VERSION}), made by scripts/build_font.py; it is licensed under the same licence.\n"
        "This license is copied below, and is also available with a FAQ at: https://openfontlicense.org\n\n"
    )
    return header + textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def build(deb: Path, out: Path, licence_out: Path) -> None:
    digest = sha256(deb)
    if digest != DEB_SHA256:
        raise SystemExit(f"{deb}: sha256 {digest}, expected {DEB_SHA256} ({PACKAGE} {VERSION})")
    members = read_members(deb, [TTC_MEMBER, COPYRIGHT_MEMBER])
    with tempfile.TemporaryDirectory() as tmp:
        ttc = Path(tmp) / "NotoSansCJK-Regular.ttc"
        ttc.write_bytes(members[TTC_MEMBER])
        number = font_number(ttc)
        font = TTFont(str(ttc), fontNumber=number, recalcTimestamp=False)
        options = subset.Options()
        options.hinting = False
        options.glyph_names = False
        options.layout_features = LAYOUT_FEATURES
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]
        options.name_languages = [0x409]
        options.notdef_outline = True
        options.recalc_timestamp = False
        options.drop_tables += ["BASE", "VORG", "vhea", "vmtx"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in wanted_chars()])
        subsetter.subset(font)
        rename(font)
        out.parent.mkdir(parents=True, exist_ok=True)
        font.save(str(out))
    covered = len(TTFont(str(out))["cmap"].getBestCmap())
    licence_out.write_text(licence_text(members[COPYRIGHT_MEMBER].decode("utf-8")), encoding="utf-8")
    print(f"{out} {out.stat().st_size} bytes, {covered} characters, sha256 {sha256(out)}")
    print(f"{licence_out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deb", type=Path, help=f"a downloaded {PACKAGE}_{VERSION} .deb (default: apt-get download)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the font to write (default: {OUT.relative_to(ROOT)})")
    args = parser.parse_args()
    licence_out = args.out.parent / LICENSE_OUT.name
    if args.deb:
        build(args.deb, args.out, licence_out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        build(download(Path(tmp)), args.out, licence_out)


if __name__ == "__main__":
    main()
