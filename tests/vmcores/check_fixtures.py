#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Check the committed fixture sets (tests/vmcores/<kernel>/<fixture>/).

For every fixture: every file the manifest lists is present with its size and sha256; the
set's vmlinux build id equals the BUILD-ID in each dump's vmcoreinfo; every capture is
present, non-empty and matches its checksum; each node-filtered capture holds only pages
of the requested nodes and is exactly the unfiltered capture of the same mode restricted
to those nodes (so the guest did not change while it was read); the rejected filter
writes are recorded with their errno.

usage: check_fixtures.py VMCORES_DIR [SCRATCH_DIR]"""
import hashlib
import json
import lzma
import os
import re
import sys
import tarfile

import kdumpfile

failures = []

def fail(where, what):
    failures.append(f"{where}: {what}")

def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

def elf_build_id(data):
    """The GNU build-id note of an ELF image (the debug-only vmlinux)."""
    import struct
    if data[:4] != b"\x7fELF":
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(shnum):
        sh = shoff + i * shentsize
        stype, = struct.unpack_from("<I", data, sh + 4)
        off, size = struct.unpack_from("<QQ", data, sh + 0x18)
        if stype != 7:  # SHT_NOTE
            continue
        pos = off
        while pos < off + size:
            namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
            name = data[pos + 12:pos + 12 + namesz]
            desc_at = pos + 12 + ((namesz + 3) & ~3)
            if ntype == 3 and name.rstrip(b"\0") == b"GNU":
                return data[desc_at:desc_at + descsz].hex()
            pos = desc_at + ((descsz + 3) & ~3)
    return None

def dump_build_id(path):
    ctx = kdumpfile.kdumpfile(path)
    ctx.attr["addrxlat.ostype"] = "linux"
    info = ctx.attr["linux.vmcoreinfo.lines"]
    return info["BUILD-ID"] if "BUILD-ID" in info else None

RECORD_NODE = re.compile(r"^PFN \S+ .* Flags 0x[0-9a-f]+\(.*node=(\d+)", re.M)
RECORD_FLAGS = re.compile(r"^PFN \S+ .* Flags (0x[0-9a-f]+)\(", re.M)

def record_node(rec, nodes_shift=None):
    """The node of a record: the node= its Flags print (5.12 and later); before that, the
    node field of the Flags value, its top CONFIG_NODES_SHIFT bits (x86_64 with
    SPARSEMEM_VMEMMAP keeps no section number in page->flags); None without nodes_shift."""
    m = RECORD_NODE.search(rec)
    if m:
        return int(m.group(1))
    m = RECORD_FLAGS.search(rec)
    if m and nodes_shift:
        return int(m.group(1), 16) >> (64 - nodes_shift)
    return None

def config_nodes_shift(set_dir):
    try:
        with open(os.path.join(set_dir, "config")) as f:
            m = re.search(r"^CONFIG_NODES_SHIFT=(\d+)$", f.read(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None

def records(text):
    return [r + "\n\n" for r in text.split("\n\n") if r.startswith("Page allocated")]

def parse_nodelist(spec):
    nodes = set()
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        nodes.update(range(int(lo), int(hi or lo) + 1))
    return nodes

def check_captures(where, captures, nodes_shift=None):
    """nodes_shift: CONFIG_NODES_SHIFT, for kernels whose Flags do not print node= (5.10).
    Without it, such a record's node is the single-node capture that holds it, so the
    single-node captures must still split the unfiltered read exactly."""
    names = set(captures)
    for must in ("page_owner.txt", "results.txt"):
        if must not in names:
            fail(where, f"capture {must} missing")
    # page_owner_stacks exists from 6.10 (6.1 has none): count_threshold comes with show_stacks
    if "count_threshold.txt" in names and "show_stacks.txt" not in names:
        fail(where, "capture show_stacks.txt missing")
    full = {}
    for mode in ("stack", "handle", "stack_handle"):
        name = f"page_owner.mode-{mode}.txt"
        if name in captures:
            full[mode] = records(captures[name].decode())
    if "stack" in full and captures.get("page_owner.txt") is not None:
        if captures["page_owner.txt"].decode() != "".join(full["stack"]):
            fail(where, "page_owner.txt differs from page_owner.mode-stack.txt")
    single = {}
    for name, body in captures.items():
        m = re.fullmatch(r"page_owner\.mode-\w+\.nid-(\d+)\.txt", name)
        if m:
            single.update((rec, int(m.group(1))) for rec in records(body.decode()))
    def node(rec):
        n = record_node(rec, nodes_shift)
        return single.get(rec) if n is None else n
    for name, body in captures.items():
        if not body:
            fail(where, f"capture {name} is empty")
        m = re.fullmatch(r"page_owner\.mode-(\w+)\.nid-([0-9,-]+)\.txt", name)
        if not m:
            continue
        mode, nodes = m.group(1), parse_nodelist(m.group(2))
        got = records(body.decode())
        for rec in got:
            n = node(rec)
            if n not in nodes:
                fail(where, f"{name}: record of node {'?' if n is None else n}: {rec.splitlines()[1]}")
                break
        if mode in full:
            want = [r for r in full[mode] if node(r) in nodes]
            if got != want:
                fail(where, f"{name}: {len(got)} records, the unfiltered read restricted to "
                            f"nodes {sorted(nodes)} has {len(want)}")
    results = captures.get("results.txt", b"").decode()
    for line in results.splitlines():
        if line.endswith((" no", " changed")):
            fail(where, f"guest not quiet: {line}")
    if not re.search(r"^write\.\S+ errno \d+", results, re.M):
        fail(where, "no rejected filter write recorded")

def check_fixture(set_dir, name, vmlinux_build_id):
    where = f"{os.path.basename(set_dir)}/{name}"
    fdir = os.path.join(set_dir, name)
    with open(os.path.join(fdir, "manifest.json")) as f:
        manifest = json.load(f)
    for rel, meta in manifest["files"].items():
        path = os.path.join(fdir, rel)
        if not os.path.exists(path):
            fail(where, f"{rel} missing")
        elif os.path.getsize(path) != meta["size"] or sha256_file(path) != meta["sha256"]:
            fail(where, f"{rel} does not match the manifest")
    if sha256_file(os.path.join(set_dir, "vmlinux.xz")) != manifest["vmlinux_sha256"]:
        fail(where, "the set's vmlinux.xz is not the one this fixture was made with")
    if manifest["build_id"] != vmlinux_build_id:
        fail(where, f"manifest build id {manifest['build_id']} != vmlinux {vmlinux_build_id}")
    dumps = [r for r in manifest["files"] if r.startswith("vmcore.") and not r.endswith(".xz")]
    if not dumps:
        fail(where, "no dump")
    for rel in dumps:
        bid = dump_build_id(os.path.join(fdir, rel))
        if bid is None or not vmlinux_build_id.startswith(bid.lower()):
            fail(where, f"{rel}: vmcoreinfo BUILD-ID {bid} does not match vmlinux {vmlinux_build_id}")
    captures = {}
    with tarfile.open(os.path.join(fdir, "captures.tar.xz")) as tar:
        for member in tar.getmembers():
            captures[member.name] = tar.extractfile(member).read()
    for cname, meta in manifest["captures"].items():
        body = captures.get(cname)
        if body is None:
            fail(where, f"capture {cname} missing from captures.tar.xz")
        elif len(body) != meta["size"] or sha256_bytes(body) != meta["sha256"]:
            fail(where, f"capture {cname} does not match the manifest")
    check_captures(where, captures, config_nodes_shift(set_dir))
    return len(captures)

def main(root):
    checked = 0
    for kernel in sorted(os.listdir(root)):
        set_dir = os.path.join(root, kernel)
        if not os.path.isfile(os.path.join(set_dir, "vmlinux.xz")):
            continue
        with open(os.path.join(set_dir, "vmlinux.xz"), "rb") as f:
            vmlinux = lzma.decompress(f.read())
        bid = elf_build_id(vmlinux)
        if bid is None:
            fail(kernel, "vmlinux has no build id")
            continue
        for name in sorted(os.listdir(set_dir)):
            if os.path.isfile(os.path.join(set_dir, name, "manifest.json")):
                n = check_fixture(set_dir, name, bid)
                print(f"{kernel}/{name}: {n} captures checked")
                checked += 1
    if checked == 0:
        fail(root, "no fixture found")
    for f in failures:
        print("FAIL", f)
    print(f"{checked - len({f.split(':')[0] for f in failures})} passed, "
          f"{len({f.split(':')[0] for f in failures})} failed")
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
