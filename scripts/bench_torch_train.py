#!/usr/bin/python3
"""The training side-by-side of issue 21: autoscale's C++ planner training against what a user
would write instead, a short PyTorch script (Debian's python3-torch) that reads the same scenes
through scripts/autoscale_store.py and trains the same network (same layers, widths, batch,
optimiser, loss and thread count).

    scripts/bench_torch_train.py --scenes out/nusc -c configs/mix.yaml --steps 100 --threads 1 -o bench.json

Both sides run in this one invocation, one after the other, on the same machine. For each it
reports training samples/s (optimiser steps x batch over the training loop's wall time, loading
included, as `autoscale train` counts it) and the time to the first optimiser step (from process
start: store index, features, model). The PyTorch script's features are its own numpy code with
the C++ planner's input shapes (ego 13, agents 32 x 21, lanes 64 x 25, path 40, prior and target
8 x 3); their values are not the C++ features, their cost is of the same kind (a transform of
every agent and lane of the scene into the ego frame, nearest-first selection).
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

START = time.perf_counter()  # the PyTorch side's clock starts with the interpreter

# autoscale's thread policy (build-stack.md section 7): OpenBLAS at 1 thread, torch's OpenMP pool
# at --threads. Set before numpy loads OpenBLAS (it reads the variable once, at load); left alone
# it starts a thread per core beside torch's, and the PyTorch side would use more cores.
os.environ["OPENBLAS_NUM_THREADS"] = "1"

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import autoscale_store  # noqa: E402

EGO_INPUT, AGENT_INPUT, PATH_POINTS, PLAN_POSES = 13, 21, 20, 8


def die(msg):
    sys.exit("bench_torch_train: error: " + msg)


def resolved_config(binary, config, overrides):
    """The resolved config as autoscale reads it (defaults filled in), so both sides share every value."""
    out = subprocess.run([binary, "config", "-q", "-c", config] + overrides, capture_output=True, text=True)
    if out.returncode != 0:
        die("%s config -c %s failed: %s" % (binary, config, out.stderr.strip()))
    return yaml.safe_load(out.stdout)


# --- the C++ side ------------------------------------------------------------------------------

def run_cpp(binary, scenes, config, overrides, steps, threads):
    with tempfile.TemporaryDirectory(prefix="bench-torch-cpp-") as out:
        cmd = [binary, "train", "-q", "-c", config, "-o", out, "--threads", str(threads)]
        for s in scenes:
            cmd += ["--scenes", s]
        cmd += overrides + ["train.steps=%d" % steps, "train.eval_every=0", "train.checkpoint_every=%d" % steps]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            die("%s failed (%d): %s" % (" ".join(cmd), done.returncode, done.stderr.strip()[-2000:]))
        m = re.search(r"loss ([0-9.naif]+), ([0-9.]+) samples/s", done.stdout)
        if not m:
            die("could not find the samples/s line in autoscale train's output:\n" + done.stdout)
    return {"wall_s": wall, "samples_per_s": float(m.group(2)), "loss": float(m.group(1))}


# --- the PyTorch side: what a user would write -------------------------------------------------

def ego_frame(x0, y0, th0):
    c, s = math.cos(th0), math.sin(th0)
    rot = np.array([[c, s], [-s, c]])
    return lambda xy: (np.asarray(xy, dtype=np.float64).reshape(-1, 2) - (x0, y0)) @ rot.T


def resample(line, points):
    line = np.asarray(line, dtype=np.float64)
    if len(line) < 2:
        return np.repeat(line[:1], points, axis=0)
    d = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(line, axis=0).T))])
    t = np.linspace(0.0, d[-1], points)
    return np.stack([np.interp(t, d, line[:, 0]), np.interp(t, d, line[:, 1])], axis=1)


class Featurizer:
    """Scene dict -> the planner's input arrays (shapes of the C++ planner)."""

    def __init__(self, readers, graph):
        self.readers = readers
        self.max_agents, self.max_lanes = int(graph["max_agents"]), int(graph["max_lanes"])
        self.radius, self.lane_points = float(graph["radius_m"]), int(graph["lane_points"])
        self.maps = {}

    def lanes_of(self, map_id):
        if map_id not in self.maps:
            m = next(r.map(map_id) for r in self.readers if map_id in r.map_files)
            self.maps[map_id] = dict(
                points=np.stack([resample(l["centerline"], self.lane_points) for l in m["lanes"]]),
                connector=np.array([float(l["connector"]) for l in m["lanes"]]),
                speed=np.nan_to_num(np.array([l["speed_limit"] for l in m["lanes"]]), nan=0.0),
                has_speed=np.array([0.0 if math.isnan(l["speed_limit"]) else 1.0 for l in m["lanes"]]),
                roadblock=[l["roadblock"] for l in m["lanes"]], ids=[l["id"] for l in m["lanes"]])
        return self.maps[map_id]

    def __call__(self, s):
        h = int(s["num_history"])
        ego = np.asarray(s["ego"], dtype=np.float64)
        x0, y0, th0 = ego[h, :3]
        to_ego = ego_frame(x0, y0, th0)
        past = to_ego(ego[max(0, h - 10):h + 1:5, :2])[:-1].ravel()
        ego_in = np.zeros(EGO_INPUT, np.float32)
        ego_in[:4] = ego[h, 3:7]
        ego_in[4] = math.hypot(ego[h, 3], ego[h, 4])
        ego_in[5 + min(int(s["command"]), 3)] = 1.0
        ego_in[9:9 + min(4, len(past))] = past[:4]

        agents = np.zeros((self.max_agents, AGENT_INPUT), np.float32)
        agent_mask = np.zeros(self.max_agents, bool)
        rows = []
        for a in s["agents"]:
            if not a["valid"][h]:
                continue
            st = np.asarray(a["state"])
            p = to_ego(st[h, :2])[0]
            d = math.hypot(*p)
            if d <= self.radius:
                rows.append((d, a, st, p))
        rows.sort(key=lambda r: r[0])
        for k, (_, a, st, p) in enumerate(rows[:self.max_agents]):
            th = st[h, 2] - th0
            c, sn = math.cos(th0), math.sin(th0)
            agents[k, min(int(a["type"]), 3)] = 1.0
            agents[k, 4:10] = (p[0], p[1], math.cos(th), math.sin(th), a["size"][0], a["size"][1])
            agents[k, 10:12] = (c * st[h, 3] + sn * st[h, 4], -sn * st[h, 3] + c * st[h, 4])
            for j, back in enumerate((5, 10, 15)):
                if h - back >= 0 and a["valid"][h - back]:
                    q = to_ego(st[h - back, :2])[0]
                    agents[k, 12 + 3 * j:15 + 3 * j] = (q[0] - p[0], q[1] - p[1], 1.0)
            agent_mask[k] = True

        m = self.lanes_of(s["map_id"])
        pts = to_ego(m["points"].reshape(-1, 2)).reshape(-1, self.lane_points, 2)
        dist = np.hypot(pts[..., 0], pts[..., 1]).min(axis=1)
        near = np.argsort(dist)[:self.max_lanes]
        near = near[dist[near] <= self.radius]
        red = {lane for lane, state in s["traffic_lights"] if state == 3}
        route = set(s["route"])
        lanes = np.zeros((self.max_lanes, 2 * self.lane_points + 5), np.float32)
        lane_mask = np.zeros(self.max_lanes, bool)
        for k, i in enumerate(near):
            lanes[k, :2 * self.lane_points] = pts[i].ravel()
            lanes[k, 2 * self.lane_points:] = (m["connector"][i], m["speed"][i], m["has_speed"][i],
                                                float(m["ids"][i] in red), float(m["roadblock"][i] in route))
            lane_mask[k] = True

        # Path: the nearest lane continued straight, every 4 m; prior: constant velocity along it.
        path = np.zeros((PATH_POINTS, 2), np.float32)
        if len(near):
            p = pts[near[0]]
            step = p[-1] - p[0]
            step = step / max(1e-6, np.hypot(*step)) * 4.0
            path[:] = p[0] + np.outer(np.arange(PATH_POINTS), step)
        speed = ego_in[4]
        prior = np.zeros((PLAN_POSES, 3), np.float32)
        prior[:, 0] = speed * 0.5 * np.arange(1, PLAN_POSES + 1)
        target = autoscale_store.ego_future(s, poses=PLAN_POSES, stride=5)
        if target is None:
            target = prior
        return (ego_in, agents, agent_mask, lanes, lane_mask, path.ravel(), prior, target.astype(np.float32))


def planner_module(torch, d, heads, ff, dropout, layers, lane_input):
    nn = torch.nn

    def mlp(i, h, o):
        return nn.Sequential(nn.Linear(i, h), nn.ReLU(), nn.Linear(h, o))

    class TransformerPlanner(nn.Module):
        """The C++ TransformerPlannerImpl, layer for layer (src/train/planner_net.cpp)."""

        def __init__(self):
            super().__init__()
            self.ego_enc, self.agent_enc = mlp(EGO_INPUT, d, d), mlp(AGENT_INPUT, d, d)
            self.lane_enc, self.path_enc = mlp(lane_input, d, d), mlp(2 * PATH_POINTS, d, d)
            self.type_emb = nn.Parameter(torch.randn(4, d) * 0.02)
            layer = nn.TransformerEncoderLayer(d, heads, dim_feedforward=ff, dropout=dropout)
            self.encoder = nn.TransformerEncoder(layer, layers)
            self.head = mlp(d, d, PLAN_POSES * 3)

        def forward(self, ego, agents, agent_mask, lanes, lane_mask, path, prior):
            b = ego.shape[0]
            tokens = torch.cat([self.ego_enc(ego).unsqueeze(1) + self.type_emb[0],
                                self.path_enc(path * 0.1).unsqueeze(1) + self.type_emb[3],
                                self.agent_enc(agents) + self.type_emb[1],
                                self.lane_enc(lanes) + self.type_emb[2]], 1).transpose(0, 1)
            pad = torch.cat([torch.zeros(b, 2, dtype=torch.bool), ~agent_mask, ~lane_mask], 1)
            out = self.encoder(tokens, src_key_padding_mask=pad)
            return prior + self.head(out[0]).view(b, PLAN_POSES, 3)

    return TransformerPlanner()


def run_torch(scenes, cfg, steps, threads, seed):
    os.environ["OMP_NUM_THREADS"] = str(threads)  # the budget of `autoscale --threads N` (OpenBLAS: above)
    import torch  # timed: importing torch is part of a PyTorch script's start
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    tr, g = cfg["train"], cfg["encode"]["graph"]
    data = autoscale_store.SceneDataset(scenes)
    data.transform = Featurizer(data.readers, g)
    loader = torch.utils.data.DataLoader(data, batch_size=int(tr["batch"]), shuffle=True, drop_last=True,
                                         num_workers=0, generator=torch.Generator().manual_seed(seed))
    p = tr["planner"]
    model = planner_module(torch, int(p["d_model"]), int(p["heads"]), int(p["feedforward"]), float(p["dropout"]),
                           int(p["layers"]), 2 * int(g["lane_points"]) + 5)
    opt = torch.optim.AdamW(model.parameters(), lr=float(tr["lr"]), weight_decay=float(tr["weight_decay"]))
    warm, floor = int(tr["warmup_steps"]), float(tr["min_lr_ratio"])
    total = steps

    def lr_factor(step):  # linear warm-up, then cosine to floor (the C++ schedule)
        if step < warm:
            return (step + 1) / warm
        t = (step - warm) / max(1, total - warm)
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    model.train()
    step, first_step_s, loss, compute_s = 0, None, float("nan"), 0.0
    loop_start = time.perf_counter()
    while step < steps:
        for batch in loader:
            t_step = time.perf_counter()
            ego, agents, am, lanes, lm, path, prior, target = batch
            pred = model(ego, agents, am, lanes, lm, path, prior)
            l1 = (pred - target).abs().mean()
            opt.zero_grad()
            l1.backward()
            if float(tr["clip_norm"]) > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), float(tr["clip_norm"]))
            opt.step()
            sched.step()
            loss = float(l1)
            compute_s += time.perf_counter() - t_step
            step += 1
            if first_step_s is None:
                first_step_s = time.perf_counter() - START
            if step == steps:
                break
    loop_s = time.perf_counter() - loop_start
    batch = int(tr["batch"])
    # compute: forward, backward and optimiser step only (batches as if already loaded): the
    # framework's own speed, apart from the script's data loading.
    return {"samples_per_s": steps * batch / loop_s, "compute_samples_per_s": steps * batch / compute_s,
            "data_share": 1 - compute_s / loop_s, "first_step_s": first_step_s, "loss": loss, "loop_s": loop_s,
            "torch": torch.__version__}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenes", action="append", required=True, help="a scene store (repeatable)")
    ap.add_argument("-c", "--config", default="configs/mix.yaml")
    ap.add_argument("--autoscale", default="build/autoscale")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("-o", "--out", help="write the figures as JSON here")
    ap.add_argument("overrides", nargs="*", help="a.b=value config overrides, given to both sides")
    a = ap.parse_args()
    if a.steps < 1 or a.threads < 1:
        die("--steps and --threads must be at least 1")
    for s in a.scenes:
        if not os.path.exists(os.path.join(s, "index.h5")):
            die("--scenes %s: no index.h5 (not a scene store)" % s)
    cfg = resolved_config(a.autoscale, a.config, a.overrides)
    torch_side = run_torch(a.scenes, cfg, a.steps, a.threads, int(cfg["run"]["seed"]))
    cpp = run_cpp(a.autoscale, a.scenes, a.config, a.overrides, a.steps, a.threads)
    batch = int(cfg["train"]["batch"])
    loop_s = a.steps * batch / cpp["samples_per_s"]
    # From process start to the end of the first step: everything before the loop, plus one step.
    cpp["first_step_s"] = cpp["wall_s"] - loop_s + loop_s / a.steps
    cpp["batch"] = batch
    result = {"steps": a.steps, "threads": a.threads, "batch": batch, "config": a.config, "overrides": a.overrides,
              "planner": cfg["train"]["planner"], "cpp": cpp, "pytorch": torch_side,
              "samples_per_s_ratio": cpp["samples_per_s"] / torch_side["samples_per_s"]}
    result["compute_ratio"] = cpp["samples_per_s"] / torch_side["compute_samples_per_s"]
    print("%-8s %14s %22s %18s" % ("", "samples/s", "compute-only samples/s", "first step (s)"))
    print("%-8s %14.1f %22s %18.2f" % ("C++", cpp["samples_per_s"], "-", cpp["first_step_s"]))
    print("%-8s %14.1f %22.1f %18.2f" % ("PyTorch", torch_side["samples_per_s"], torch_side["compute_samples_per_s"],
                                         torch_side["first_step_s"]))
    print("C++ / PyTorch samples/s: %.2f (against PyTorch's compute alone: %.2f)"
          % (result["samples_per_s_ratio"], result["compute_ratio"]))
    if a.out:
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=2)
        os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
