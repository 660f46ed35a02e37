#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write OUT/manifest.json for a fixture: how it was made, what it contains, and the size
and sha256 of every file, plus counts of each kind of page_owner record in the capture
(so that a fixture whose workload stopped exercising something is noticed)."""
import argparse
import collections
import hashlib
import json
import os
import re
import subprocess

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

def build_id(vmlinux):
    notes = subprocess.run(["readelf", "-n", vmlinux], capture_output=True, text=True, check=True).stdout
    return re.search(r"Build ID: ([0-9a-f]+)", notes).group(1)

def record_counts(text):
    """What the full capture exercises: orders, masks, migrate reasons, memcg lines, frames."""
    c = collections.Counter()
    for rec in text.split("\n\n"):
        if not rec.startswith("Page allocated"):
            continue
        c["records"] += 1
        m = re.match(r"Page allocated via order (\d+), mask (0x[0-9a-f]+)", rec)
        c[f"order {m.group(1)}"] += 1
        c[f"mask {m.group(2)}"] += 1
        for line in rec.splitlines()[2:]:
            if line.startswith("Page has been migrated"):
                c["migrated: " + line.rsplit(": ", 1)[1]] += 1
            elif line == "Slab cache page":
                c["slab cache page"] += 1
            elif line.startswith("Charged"):
                kind = "via objcg" if "(via objcg)" in line else "direct"
                state = "offline" if "offline memcg" in line else "online"
                name = line.rsplit(" ", 1)[1]
                c[f"charged {kind} {state}" + (" root" if name == "/" else "")] += 1
        if "[po_mod]" in rec:
            c["stacks with [po_mod] frames"] += 1
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

def main():
    p = argparse.ArgumentParser()
    for opt in ("out", "set", "kernel", "release", "vmlinux", "source", "patches", "topology", "mem",
                "dump", "workload", "command", "changed_after_capture", "config", "powner", "arch"):
        p.add_argument("--" + opt.replace("_", "-"), dest=opt, default="")
    p.add_argument("--kcore", action="store_true")
    a = p.parse_args()
    def describe(folder):
        return {n: {"size": os.path.getsize(os.path.join(folder, n)),
                    "sha256": sha256(os.path.join(folder, n))}
                for n in sorted(os.listdir(folder)) if os.path.isfile(os.path.join(folder, n))}
    files = describe(a.out)
    files.pop("manifest.json", None)
    if a.kcore:
        write(a.out, kcore_manifest(a, files, describe(os.path.join(a.out, "captures"))))
        return
    manifest = {
        **kernel_fields(a),
        "vmlinux": "../vmlinux.xz",
        "vmlinux_sha256": sha256(os.path.join(a.set, "vmlinux.xz")),
        "config": "../config",
        "config_sha256": sha256(os.path.join(a.set, "config")),
        "topology": a.topology,
        "memory": a.mem,
        "dump_method": a.dump,
        "workload": workload_field(a),
        "command": a.command,
        # slab pages whose partial-list bit (PG_workingset) moved between the last read and
        # the crash: the parity tests compare their Flags with the dump's value instead
        "changed_after_capture": json.load(open(a.changed_after_capture)) if a.changed_after_capture else [],
        "record_counts": capture_counts(a, "page_owner.txt"),
        "files": files,
        "captures": describe(os.path.join(a.out, "captures")),
    }
    write(a.out, manifest)

def kernel_fields(a):
    """What every manifest says first: which kernel, built from what."""
    return {
        "kernel": a.kernel,
        "release": a.release,
        "build_id": build_id(a.vmlinux),
        "source_package": a.source,
        "patches": sorted(os.listdir(a.patches)) if a.patches else [],
        # only another architecture's manifest says which (x86_64's never did)
        **({"arch": a.arch} if a.arch and a.arch != "x86_64" else {}),
    }

def workload_field(a):
    return os.path.basename(a.workload) + " sha256 " + sha256(a.workload)

def capture_counts(a, name):
    """record_counts() of one of the captures."""
    with open(os.path.join(a.out, "captures", name), errors="replace") as f:
        return record_counts(f.read())

def kcore_manifest(a, files, captures):
    """powner on /proc/kcore in the guest: no dump, so no vmlinux is kept; the kernel is the
    set's configuration (a build of it, whose build id is given)."""
    config_sha = sha256(a.config)
    set_config = os.path.join(a.set, "config")
    return {
        **kernel_fields(a),
        "config_sha256": config_sha,
        "config": os.path.relpath(set_config, a.out) if os.path.exists(set_config) and sha256(set_config) == config_sha else None,
        "topology": a.topology,
        "memory": a.mem,
        "capture": "powner on /proc/kcore between two reads of page_owner (po_capture's kcore item)",
        "powner": a.powner,
        "workload": workload_field(a),
        "command": a.command,
        "record_counts": capture_counts(a, "kcore.after.txt"),
        "files": files,
        "captures": captures,
    }

def write(out, manifest):
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")

if __name__ == "__main__":
    main()
