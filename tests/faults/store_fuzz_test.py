"""Random damage to a real scene store must never crash or hang the binary (issue 23).

A small store is imported from one bundled NGSIM CommonRoad recording; then, with a fixed seed,
each of N rounds damages one of its files in a fresh copy (random bytes flipped anywhere, a run
of bytes overwritten inside the HDF5 metadata at the front, or the file cut short) and runs
`autoscale inspect` on the copy, and every EVAL_EVERY-th round also `autoscale eval --limit 2`
(which reads the maps and scenes the scorer uses). Each run must end by itself within TIMEOUT_S
seconds with an exit code below 128 (no SIGSEGV/SIGABRT: not 139/134, not killed by a signal),
and a failing one must say `error:`. Counts per exit code and the wall time are printed.

usage: store_fuzz_test.py AUTOSCALE_BIN DATA_DIR [ROUNDS]
"""
import collections
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

SEED = 23
TIMEOUT_S = 60
EVAL_EVERY = 4
RECORDING = "commonroad-ngsim/USA_US101-4_1_T-1.xml"


def run(cmd, timeout=TIMEOUT_S):
    """(exit code, stderr) of cmd; a hang is reported as exit code None."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, ""
    return p.returncode, p.stderr.decode("utf-8", "replace")


def damage(path, rng):
    """Damages the file in place; returns a description for the failure message."""
    data = bytearray(open(path, "rb").read())
    kind = rng.choice(["flip", "flip", "metadata", "truncate"])
    if kind == "truncate":
        keep = rng.randrange(0, len(data))
        what = "cut to %d of %d bytes" % (keep, len(data))
        del data[keep:]
    elif kind == "metadata":  # superblock, object headers and B-tree roots sit at the front
        at = rng.randrange(0, min(len(data), 4096))
        n = rng.randint(1, 16)
        for i in range(at, min(at + n, len(data))):
            data[i] = rng.randrange(256)
        what = "%d random bytes at %d" % (n, at)
    else:
        flips = rng.randint(1, 8)
        offsets = sorted(rng.randrange(len(data)) for _ in range(flips))
        for at in offsets:
            data[at] ^= 1 << rng.randrange(8)
        what = "bits flipped at %s" % offsets
    open(path, "wb").write(bytes(data))
    return what


def main():
    binary, data_dir = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    rng = random.Random(SEED)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="autoscale-fuzz-")
    try:
        store = os.path.join(work, "store")
        code, err = run([binary, "import", os.path.join(data_dir, RECORDING), "-o", store, "-q"], timeout=300)
        if code != 0:
            print("FAIL: the import of the intact recording failed (%s): %s" % (code, err.strip()))
            return 1
        files = sorted(os.path.relpath(os.path.join(d, f), store)
                       for d, _, names in os.walk(store) for f in names
                       if f.endswith(".h5") and "provenance" not in d)
        assert {"index.h5", "maps/map-000000.h5"} <= set(files) and any(f.startswith("shard-") for f in files), files
        codes = collections.Counter()
        failures = []
        copy = os.path.join(work, "copy")
        for k in range(rounds):
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(store, copy)
            target = rng.choice(files)
            what = damage(os.path.join(copy, target), rng)
            commands = [[binary, "inspect", copy, "-q"]]
            if k % EVAL_EVERY == 0:
                commands.append([binary, "eval", "--scenes", copy, "--agent", "human", "--limit", "2", "-q"])
            for cmd in commands:
                code, err = run(cmd)
                codes[(cmd[1], code)] += 1
                problem = None
                if code is None:
                    problem = "no end within %d s" % TIMEOUT_S
                elif code < 0 or code >= 128:
                    problem = "exit code %d (crashed: signal %d)" % (code, -code if code < 0 else code - 128)
                elif code != 0 and "error:" not in err:
                    problem = "exit code %d without an error: line: %r" % (code, err[-300:])
                if problem:
                    failures.append("round %d, %s %s, %s: %s" % (k, target, what, cmd[1], problem))
        seconds = time.monotonic() - started
        summary = ", ".join("%s exit %s: %d" % (c, code, n) for (c, code), n in sorted(codes.items(), key=str))
        print("%d rounds (seed %d) in %.1f s; %s" % (rounds, SEED, seconds, summary))
        for f in failures:
            print("FAIL:", f)
        return 1 if failures else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
