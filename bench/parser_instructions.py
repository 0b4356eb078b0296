#!/usr/bin/env python3
"""Instructions per message of the kernel's HTTP parser, counted by callgrind:
ebpf/http1_stream.h compiled natively (bench/parser_cost.cpp, the map hooks
doing nothing) and fed keep-alive exchanges of three shapes (wrk against nginx,
bench/python_api.py's requests with a new item id each, a richer REST client).
The count does not move with the machine's load, so a change to the parser too
small to see in BPF run time on a noisy VM shows here. With --baseline REV the
headers of another commit are compiled with the same driver and counted side by
side, with the ratio.

It counts native x86 instructions of the parser alone: not the BPF JIT's code,
the helpers, the map work or cache misses (bench/bpf_cost.py and
bench/python_api.py measure those).

usage: bench/parser_instructions.py [--baseline REV] [--shapes nginx,python,rest] [--smoke]
"""
import argparse
import os
import re
import shutil
import subprocess
import tempfile

from benchlib import ROOT

SHAPES = ("nginx", "python", "rest")
CXX = ["c++", "-std=c++20", "-O2"]


def build(tree, out):
    """bench/parser_cost.cpp of tree, against tree's ebpf/ headers."""
    r = subprocess.run(CXX + ["-I", os.path.join(tree, "ebpf"), os.path.join(tree, "bench", "parser_cost.cpp"),
                              "-o", out], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("bench/parser_cost.cpp of %s does not compile:\n%s" % (tree, r.stderr))


def baseline_tree(rev, into):
    """The parser headers and driver of git revision rev, under into."""
    archive = subprocess.run(["git", "-C", ROOT, "archive", rev, "ebpf", "bench/parser_cost.cpp"],
                             capture_output=True)
    if archive.returncode:
        raise SystemExit("--baseline %s: not a revision of this repository with bench/parser_cost.cpp (%s)"
                         % (rev, archive.stderr.decode().strip()))
    os.makedirs(into)
    subprocess.run(["tar", "-x", "-C", into], input=archive.stdout, check=True)
    return into


def instructions(binary, shape, exchanges):
    r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", binary, shape,
                        str(exchanges)], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("%s %s failed (%d): %s%s" % (binary, shape, r.returncode, r.stdout, r.stderr))
    m = re.search(r"Collected : (\d+)", r.stderr)
    if not m:
        raise SystemExit("no instruction count in callgrind's output:\n" + r.stderr)
    return int(m.group(1))


def per_message(binary, shape, exchanges):
    """The difference of two runs, so start-up and exit do not count."""
    few = instructions(binary, shape, exchanges // 10)
    many = instructions(binary, shape, exchanges)
    return (many - few) / (2 * (exchanges - exchanges // 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", help="a git revision whose ebpf/ headers to count beside this tree's")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--exchanges", type=int, default=20000)
    ap.add_argument("--smoke", action="store_true", help="few exchanges, to check the script")
    args = ap.parse_args()
    if args.smoke:
        args.exchanges = 500
    shapes = args.shapes.split(",")
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind not found: install it (deploy/install-deps.sh does)")
    with tempfile.TemporaryDirectory() as tmp:
        variants = [("this tree", os.path.join(tmp, "tree"))]
        build(ROOT, variants[0][1])
        if args.baseline:
            variants.append((args.baseline, os.path.join(tmp, "base.bin")))
            build(baseline_tree(args.baseline, os.path.join(tmp, "base")), variants[1][1])
        res = {(name, s): per_message(binary, s, args.exchanges) for name, binary in variants for s in shapes}
    print("\n## Parser instructions per message (callgrind, %d exchanges)" % args.exchanges)
    print("| shape | " + " | ".join(name for name, _ in variants) + (" | ratio |" if args.baseline else " |"))
    print("| --- " * (len(variants) + 1 + bool(args.baseline)) + "|")
    for s in shapes:
        cells = ["%.0f" % res[(name, s)] for name, _ in variants]
        if args.baseline:
            cells.append("%.3f" % (res[(variants[0][0], s)] / res[(variants[1][0], s)]))
        print("| %s | %s |" % (s, " | ".join(cells)))


if __name__ == "__main__":
    main()
