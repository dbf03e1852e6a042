#!/usr/bin/python3
"""The scale benchmark (issue 21, docs/scaling.md): every stage of a run, timed with the
production commands on stores of N real and M synthetic scenes, each stage in its own process so
its peak resident memory is its own.

  scripts/bench_scale.py measure --from STORE --real N --synthetic M -o OUT [--autoscale BIN]
      makes OUT/data (copies of STORE's scenes: `autoscale bench scale-store`; --data DIR reuses one),
      runs the stages,
      writes OUT/stages.csv (stage, seconds, peak RSS, items, items/s) and prints it.
  scripts/bench_scale.py fit OUT1 OUT2 ... [--project-real 100000 --project-synthetic 1000000]
      fits each stage's time as a * n^b over the sizes measured and prints the table, the exponents
      and the projected time of each stage at the projected size (markdown, for docs/scaling.md).

Stages whose cost does not depend on the store size are measured on a fixed number of items and
reported per item (scoring: --score-scenes scenes; retrieval: --queries queries); training runs
train.steps steps and reports samples/s and the time to its first step (the data set's build)."""
import argparse
import csv
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_stage(name, cmd, log_dir):
    """Runs one command; returns (seconds, peak RSS in MiB, stdout+stderr). Fails loudly."""
    log = os.path.join(log_dir, name + ".log")
    start = time.monotonic()
    with open(log, "w") as out:
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - start
    text = open(log).read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"bench_scale: stage {name} failed (exit {code}): {' '.join(cmd)}\n{text[-3000:]}")
    return seconds, usage.ru_maxrss / 1024.0, text


def number(pattern, text, what):
    m = re.search(pattern, text)
    if not m:
        sys.exit(f"bench_scale: no {what} in the output (pattern {pattern!r})")
    return float(m.group(1).replace(",", ""))


def drop_page_cache():
    """Cold reads need the kernel's page cache emptied (root only); False when not allowed."""
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def measure(args):
    bin_ = os.path.abspath(args.autoscale)
    out = os.path.abspath(args.out)
    if args.real < 1 or args.synthetic < 1:
        sys.exit(f"bench_scale: --real {args.real} and --synthetic {args.synthetic}: both must be at least 1")
    if os.path.exists(out):
        sys.exit(f"bench_scale: {out} exists (choose a new directory)")
    os.makedirs(out)
    data, logs = os.path.join(out, "data"), os.path.join(out, "logs")
    os.makedirs(logs)
    config = ["-c", os.path.join(ROOT, args.config), "--threads", str(args.threads), "-q"] + \
        [x for kv in args.set for x in ("--set", kv)]
    real, syn = os.path.join(data, "real"), os.path.join(data, "synthetic")
    rows = []
    n_total = args.real + args.synthetic

    def add(stage, seconds, rss, items, note=""):
        rows.append({"stage": stage, "real": args.real, "synthetic": args.synthetic, "seconds": f"{seconds:.3f}",
                     "peak_rss_mib": f"{rss:.0f}", "items": items,
                     "items_per_s": f"{items / seconds:.1f}" if seconds > 0 and items else "", "note": note})
        print(f"{stage:<22} {seconds:9.1f} s  {rss:8.0f} MiB  {items:>9} items  {note}", flush=True)

    if args.data:  # another build's measurement on the same stores
        data = os.path.abspath(args.data)
        real, syn = os.path.join(data, "real"), os.path.join(data, "synthetic")
    else:
        s, rss, text = run_stage("write", [bin_, "bench", "scale-store", "--from", args.from_store, "-o", data,
                                           "--real", str(args.real), "--synthetic", str(args.synthetic)] + config, logs)
        add("write", s, rss, n_total, "copies of %s" % os.path.basename(args.from_store.rstrip("/")))

    for store, label in ((real, "real"), (syn, "synthetic")):
        cold = drop_page_cache()
        s, rss, text = run_stage("read-" + label, [bin_, "bench", "store", store, "--random", str(args.random_reads)]
                                 + config, logs)
        n = args.real if label == "real" else args.synthetic
        seq = number(r"sequential read\s+([\d.]+) scenes/s", text, "sequential rate")
        rnd = number(r"random read\s+([\d.]+) scenes/s", text, "random rate")
        reads = int(number(r"random read .*\((\d+) reads\)", text, "random read count"))  # capped by the store
        add(f"read-{label}-sequential", n / seq, rss, n, ("cold" if cold else "warm") + " page cache")
        add(f"read-{label}-random", reads / rnd, rss, reads, "after the sequential pass")

    emb = os.path.join(out, "embeddings.h5")
    s, rss, text = run_stage("encode", [bin_, "encode", "--scenes", real, syn, "-o", emb, "--checkpoint",
                                        os.path.join(out, "graph_rae.pt")] + config, logs)
    fit = number(r"trained the Graph-RAE on [\d,]+ scenes \([^)]*\): .* in ([\d.]+) s", text, "Graph-RAE fit time")
    fit_n = number(r"trained the Graph-RAE on ([\d,]+) scenes", text, "Graph-RAE fit scenes")
    add("encode-fit", fit, rss, int(fit_n), "encode.graph_rae.epochs of the config (1 in bench-scale.yaml)")
    add("encode-embed", s - fit, rss, n_total, "graphs, descriptors and the embedding pass")

    s, rss, _ = run_stage("cluster", [bin_, "cluster", "--embeddings", emb] + config, logs)
    add("kmeans", s, rss, n_total)
    index = os.path.join(out, "index")
    s, rss, _ = run_stage("index", [bin_, "index", "--embeddings", emb, "-o", index] + config, logs)
    add("index-build", s, rss, args.synthetic)

    # Queries: real tokens named by the store's index, a seeded sample.
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import autoscale_store
    tokens = autoscale_store.StoreReader(real).tokens
    queries = random.Random(0).sample(tokens, min(args.queries, len(tokens)))
    qfile = os.path.join(out, "queries.txt")
    with open(qfile, "w") as f:
        f.write("\n".join(queries) + "\n")
    s, rss, _ = run_stage("retrieve", [bin_, "retrieve", "--index", index, "--embeddings", emb, "--queries-from",
                                       qfile, "-k", "32", "--out", os.path.join(out, "neighbours.tsv")] + config, logs)
    add("retrieve", s, rss, len(queries), "k 32, load included")

    s, rss, text = run_stage("score", [bin_, "bench", "score", "--scenes", real, "--agent", "constant_velocity",
                                       "--limit", str(args.score_scenes), "--repeat", "1"] + config, logs)
    cache_ms = number(r"metric cache\s+([\d.]+) ms per scene", text, "metric-cache time")
    score_us = number(r"scoring\s+([\d.]+) us per trajectory", text, "scoring time")
    add("metric-cache+score", s, rss, args.score_scenes,
        f"constant velocity, one plan per scene: metric cache {cache_ms:.2f} ms, scoring {score_us:.0f} us per scene")

    s, rss, text = run_stage("train", [bin_, "train", "--scenes", real, "--synthetic", syn, "-o",
                                       os.path.join(out, "train"), f"train.steps={args.train_steps}",
                                       f"train.batch={args.batch}"] + config, logs)
    rate = number(r"([\d.]+) samples/s", text, "training samples/s")
    first_step = s - args.train_steps * args.batch / rate
    add("train", s, rss, args.train_steps,
        f"{rate:.0f} samples/s; {first_step:.1f} s before the first step (process start, data set build)")

    run_dir = os.path.join(out, "run")
    s, rss, _ = run_stage("run", [bin_, "run", "-o", run_dir, "--no-report", f"loop.real=[{real}]",
                                  f"loop.synthetic=[{syn}]", f"loop.embeddings={emb}"] + config, logs)
    add("run (vanilla_random)", s, rss, n_total, "embeddings given; split, pool, train, score val and test")

    with open(os.path.join(out, "stages.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)
    print("wrote", os.path.join(out, "stages.csv"))


def load_rows(dirs):
    by_stage = {}
    for d in dirs:
        for r in csv.DictReader(open(os.path.join(d, "stages.csv"))):
            by_stage.setdefault(r["stage"], []).append(r)
    return by_stage


def power_law(rows, size):
    """Least-squares fit of log(seconds) = log(a) + b log(size(row)); (a, b), b None with one size."""
    xs = [math.log(size(r)) for r in rows]
    ys = [math.log(max(float(r["seconds"]), 1e-6)) for r in rows]
    if len(rows) < 2 or max(xs) == min(xs):
        return math.exp(ys[-1] - xs[-1]), None  # linear through the one point
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return math.exp(my - b * mx), b


# What each stage's time grows with: every scene, the synthetic pool, or a fixed count of items
# (random reads, queries, scored scenes, optimiser steps) whose cost per item may grow with the store.
GROWS_WITH = {"write": "all", "read-real-sequential": "real", "read-synthetic-sequential": "synthetic",
              "encode-fit": "items", "encode-embed": "all", "kmeans": "all", "index-build": "synthetic",
              "run (vanilla_random)": "all"}


def fit(args):
    by_stage = load_rows(args.dirs)
    sizes = sorted({(int(r["real"]), int(r["synthetic"])) for rows in by_stage.values() for r in rows},
                   key=lambda x: x[0] + x[1])
    print("| stage | " + " | ".join(f"{r + s:,} scenes ({r:,} + {s:,})" for r, s in sizes) +
          " | time grows as n^b | projected at %s + %s |" % (f"{args.project_real:,}", f"{args.project_synthetic:,}"))
    print("|---" * (len(sizes) + 3) + "|")
    for stage, rows in by_stage.items():
        grows = GROWS_WITH.get(stage, "fixed")
        size = {"all": lambda r: int(r["real"]) + int(r["synthetic"]), "real": lambda r: int(r["real"]),
                "synthetic": lambda r: int(r["synthetic"]), "items": lambda r: int(r["items"]),
                "fixed": lambda r: int(r["real"]) + int(r["synthetic"])}[grows]
        rows.sort(key=lambda r: int(r["real"]) + int(r["synthetic"]))
        cells = {}
        for r in rows:
            cells[(int(r["real"]), int(r["synthetic"]))] = f"{float(r['seconds']):.1f} s, {float(r['peak_rss_mib']):.0f} MiB"
        a, b = power_law(rows, size)
        target = {"all": args.project_real + args.project_synthetic, "real": args.project_real,
                  "synthetic": args.project_synthetic, "items": min(args.fit_scenes, args.project_real + args.project_synthetic),
                  "fixed": args.project_real + args.project_synthetic}[grows]
        if grows == "fixed":  # a fixed amount of work: the time per item at the largest store, and its growth
            projected = f"{float(rows[-1]['seconds']):.1f} s for {rows[-1]['items']} items" + (
                f" (per item x{(args.project_real + args.project_synthetic) / size(rows[-1]):.0f}^{b:.2f})" if b is not None else "")
            b_text = f"{b:.2f} (per item)" if b is not None else "–"
        else:
            projected = f"{a * target ** (b if b is not None else 1.0):,.0f} s"
            b_text = f"{b:.2f}" if b is not None else "1 (assumed)"
        print(f"| {stage} | " + " | ".join(cells.get(sz, "–") for sz in sizes) + f" | {b_text} | {projected} |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--from", dest="from_store", required=True)
    m.add_argument("--data", help="reuse the stores of an earlier measurement (OUT/data) instead of writing them")
    m.add_argument("--real", type=int, required=True)
    m.add_argument("--synthetic", type=int, required=True)
    m.add_argument("-o", "--out", required=True)
    m.add_argument("--autoscale", default=os.path.join(ROOT, "build", "autoscale"))
    m.add_argument("--config", default="configs/bench-scale.yaml")
    m.add_argument("--threads", type=int, default=1)
    m.add_argument("--random-reads", type=int, default=2000)
    m.add_argument("--queries", type=int, default=1000)
    m.add_argument("--score-scenes", type=int, default=500)
    m.add_argument("--train-steps", type=int, default=200)
    m.add_argument("--batch", type=int, default=64)
    m.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a config override for every stage (repeatable)")
    f = sub.add_parser("fit")
    f.add_argument("dirs", nargs="+")
    f.add_argument("--project-real", type=int, default=100000)
    f.add_argument("--project-synthetic", type=int, default=1000000)
    f.add_argument("--fit-scenes", type=int, default=50000, help="encode.fit_scenes of the projected run")
    args = p.parse_args()
    measure(args) if args.cmd == "measure" else fit(args)


if __name__ == "__main__":
    main()
