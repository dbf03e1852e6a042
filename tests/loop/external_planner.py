#!/usr/bin/python3
"""A planner of the user's own, as `train.external.command` runs it: numpy only, scenes read
through scripts/autoscale_store.py. It stands for a PyTorch agent in the loop's end-to-end test.

An ego-status ridge regression: from the current speed, lateral velocity and accelerations to
the 8 future poses at 0.5 s in the ego frame (NAVSIM's sampling). Training draws steps x batch
samples from the mixture by the loop's weights (seeded), so the mixture decides what it learns.

usage: external_planner.py --real CSV --selection CSV --predict CSV --out FILE --steps N --batch N --seed N
"""
import argparse
import csv
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import autoscale_store  # noqa: E402

POSES, STRIDE = 8, 5  # 8 poses, every 5th 0.1 s step


class Scenes:
    """Scenes by (store, token), one reader per store."""

    def __init__(self):
        self.readers = {}

    def read(self, store, token):
        if store not in self.readers:
            self.readers[store] = autoscale_store.StoreReader(store)
        return self.readers[store].read_token(token)


def features(scene):
    vx, vy, ax, ay = autoscale_store.ego_status(scene)
    return np.array([1.0, vx, vy, ax, ay, vx * vx / 10.0])


def target(scene):
    """The logged future as 8 ego-frame poses at 0.5 s, flattened; None when the log ends early."""
    future = autoscale_store.ego_future(scene, POSES, STRIDE)
    return None if future is None else future.reshape(-1)


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def main():
    p = argparse.ArgumentParser()
    for name in ("--real", "--selection", "--predict", "--out"):
        p.add_argument(name, required=True)
    for name in ("--steps", "--batch", "--seed"):
        p.add_argument(name, type=int, required=True)
    a = p.parse_args()

    scenes = Scenes()
    mixture = read_rows(a.real) + read_rows(a.selection)
    weights = np.array([float(r["weight"]) for r in mixture])
    if not len(mixture) or not math.isclose(weights.sum(), 1.0, rel_tol=1e-6):
        raise SystemExit("external_planner: the mixture's weights sum to %s, not 1" % weights.sum())
    X, Y, keep = [], [], []
    for i, r in enumerate(mixture):
        s = scenes.read(r["store"], r["token"])
        y = target(s)
        if y is not None:
            X.append(features(s))
            Y.append(y)
            keep.append(i)
    X, Y = np.array(X), np.array(Y)
    p_keep = weights[keep] / weights[keep].sum()
    rng = np.random.default_rng(a.seed)
    drawn = rng.choice(len(keep), size=a.steps * a.batch, p=p_keep)
    counts = np.bincount(drawn, minlength=len(keep)).astype(np.float64)
    # Ridge on the drawn samples (each scene counted as often as it was drawn).
    A = X.T @ (X * counts[:, None]) + 1e-3 * np.eye(X.shape[1])
    W = np.linalg.solve(A, X.T @ (Y * counts[:, None]))
    print("external_planner: %d mixture scenes (%d with a 4 s future), %d samples drawn"
          % (len(mixture), len(keep), len(drawn)))

    tmp = a.out + ".tmp"
    with open(tmp, "w") as out:
        for r in read_rows(a.predict):
            poses = (features(scenes.read(r["store"], r["token"])) @ W).reshape(POSES, 3)
            out.write(json.dumps({"token": r["token"], "interval": 0.5, "poses": poses.tolist()}) + "\n")
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
