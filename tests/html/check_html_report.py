#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`powner top --html` in a real browser (Debian's chromium, headless): the page draws itself
from its embedded report, the largest stack (as `powner top --json` names it) is in the drawn
tables (not only in the embedded JSON), and a screenshot of the page is not blank.
  check_html_report.py POWNER VMLINUX VMCORE
Exit 77 (skipped) when chromium is not installed."""
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from html import unescape
from pathlib import Path


def chromium(*args):
    exe = shutil.which("chromium")
    if not exe:
        print("chromium is not installed: skipped")
        sys.exit(77)
    # --no-sandbox: CI runs as root; the page is our own file.
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6), f"PNG depth {depth} color type {color}"
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def main():
    powner, vmlinux, vmcore = sys.argv[1:4]
    files = ["-s", vmlinux, "-c", vmcore]
    top = subprocess.run([powner, "top", *files, "--json", "-n", "1"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    expected = json.loads(top[1])["stack"].rstrip("\n")
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.html"
        subprocess.run([powner, "top", *files, "--html", str(report)], check=True,
                       stdout=subprocess.DEVNULL)
        check_page(report, expected)


def check_page(report, expected):
    url = Path(report).resolve().as_uri()
    dom = chromium("--dump-dom", url)
    if 'data-rendered="yes"' not in dom:
        sys.exit("the page did not draw itself (a script error?)")
    # The drawn tables' cells, not the embedded JSON.
    cells = [unescape(c) for c in re.findall(r'<td class="label[^"]*"[^>]*>([^<]*)</td>', dom)]
    if expected not in cells:
        sys.exit(f"the top stack {expected!r} is not in the drawn tables ({len(cells)} labels)")
    print(f"drawn: {len(cells)} group labels, the top stack among them:\n{expected}")

    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "report.png"
        chromium(f"--screenshot={shot}", "--window-size=1200,900", url)
        width, height, bpp, rows = png_pixels(shot)
    background = rows[0][:bpp]
    colours, inked = set(), 0
    for row in rows:
        for x in range(0, width * bpp, bpp):
            px = row[x:x + bpp]
            colours.add(px)
            inked += px != background
    share = inked / (width * height)
    print(f"screenshot {width}x{height}: {len(colours)} colours, {share:.1%} drawn on")
    if len(colours) < 8 or share < 0.02:
        sys.exit("the screenshot is blank")


if __name__ == "__main__":
    main()
