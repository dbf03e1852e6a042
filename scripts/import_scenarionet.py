#!/usr/bin/python3
"""Import ScenarioNet pickles (nuScenes, nuPlan, Waymo, ... converted by ScenarioNet) into an
autoscale scene store (docs/data-format.md).

  import_scenarionet.py --out STORE [--append] [window options] FILE...

Pickles are read with a restricted unpickler: only numpy's array reconstruction and plain
builtins are allowed; any other class is rejected by name and never imported or executed.
Each recording is cut into windows of history + current + future; the recorded ego is the
expert. The ego length/width swap of the nuScenes conversions is fixed, and the drivable area
is the lane polygons plus the lane-connector centerlines buffered by half a lane width.
"""
import argparse
import io
import json
import math
import os
import pickle
import sys
import time
import traceback

import numpy as np
from shapely.geometry import LineString, Point, Polygon

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from autoscale_store import StoreError, StoreWriter  # noqa: E402

STEP = 0.1
AGENT_TYPES = {"VEHICLE": 0, "PEDESTRIAN": 1, "CYCLIST": 2, "TRAFFIC_CONE": 3, "TRAFFIC_BARRIER": 3}
# Thresholds of the driving command, as the C++ importers use (scene/derive.cpp).
TURN_LATERAL, TURN_HEADING = 2.0, 0.35
# Lanes whose end and start meet this closely, in roughly the same direction, are connected.
JOIN_DISTANCE, JOIN_HEADING = 0.5, math.radians(45)

ALLOWED_NUMPY = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"), ("numpy", "ndarray"),
    ("numpy", "dtype"), ("numpy.core.numeric", "_frombuffer"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"), ("numpy._core.numeric", "_frombuffer"),
}
ALLOWED_BUILTINS = {"dict", "list", "tuple", "set", "frozenset", "int", "float", "str", "bytes", "bool", "complex"}


class ImportError_(Exception):
    pass


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only numpy reconstruction helpers and builtin containers."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED_NUMPY or (module == "builtins" and name in ALLOWED_BUILTINS):
            return super().find_class(module, name)
        raise ImportError_("forbidden class %s.%s in pickle (only numpy arrays and builtins are allowed)"
                           % (module, name))


def load_pickle(path):
    data = open(path, "rb").read()
    if not data:
        raise ImportError_("empty file")
    try:
        return RestrictedUnpickler(io.BytesIO(data)).load()
    except ImportError_:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            OverflowError) as e:
        raise ImportError_("not a readable pickle (truncated or damaged): %s" % e)
    except MemoryError:
        raise ImportError_("not a readable pickle (a length field claims more data than fits in memory)")


def require(d, key, where):
    if not isinstance(d, dict) or key not in d:
        raise ImportError_("%s: missing key '%s'" % (where, key))
    return d[key]


def finite(array, where):
    a = np.asarray(array, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(a))
    if len(bad):
        raise ImportError_("%s: value at %s is %s" % (where, tuple(int(i) for i in bad[0]), a[tuple(bad[0])]))
    return a


def heading_of(polyline):
    d = np.diff(polyline, axis=0)
    return np.arctan2(d[:, 1], d[:, 0]) if len(d) else np.zeros(0)


def build_map(map_id, features, half_width):
    lanes = []
    for fid, feat in features.items():
        if not isinstance(feat, dict) or feat.get("type") != "LANE_SURFACE_STREET":
            continue
        line = finite(np.asarray(require(feat, "polyline", "map feature %s" % fid))[:, :2],
                      "map feature %s polyline" % fid)
        if len(line) < 2:
            continue
        poly = np.asarray(feat.get("polygon", []), dtype=np.float64).reshape(-1, 2)
        poly = finite(poly, "map feature %s polygon" % fid)
        if len(poly) > 3 and np.allclose(poly[0], poly[-1]):
            poly = poly[:-1]  # rings are implicitly closed
        limit = feat.get("speed_limit_kmh")
        lanes.append(dict(id=str(fid), roadblock="rb-%s" % fid, connector=len(poly) < 3,
                          speed_limit=float(limit) / 3.6 if limit is not None else float("nan"),
                          left="", right="", centerline=line, polygon=poly if len(poly) >= 3 else np.zeros((0, 2)),
                          successors=[], predecessors=[]))
    # No explicit connectivity in these files: join lanes whose end meets another's start.
    starts = np.array([l["centerline"][0] for l in lanes]) if lanes else np.zeros((0, 2))
    for a in lanes:
        end, end_h = a["centerline"][-1], heading_of(a["centerline"])[-1]
        near = np.where(np.hypot(*(starts - end).T) < JOIN_DISTANCE)[0] if len(starts) else []
        for j in near:
            b = lanes[j]
            if b is a:
                continue
            dh = abs((heading_of(b["centerline"])[0] - end_h + math.pi) % (2 * math.pi) - math.pi)
            if dh < JOIN_HEADING:
                a["successors"].append(b["id"])
                b["predecessors"].append(a["id"])
    roadblocks, areas = [], []
    for l in lanes:
        if l["connector"]:
            shape = LineString(l["centerline"]).buffer(half_width, cap_style=2)  # flat caps
            ring = np.asarray(shape.exterior.coords)[:-1] if not shape.is_empty and shape.geom_type == "Polygon" else None
            if ring is None or len(ring) < 3:
                continue
            l["polygon"] = ring
            roadblocks.append(dict(id=l["roadblock"], connector=True, polygon=[ring]))
            # NAVSIM's drivable set holds roadblocks and intersections, not connectors: the
            # buffered connectors stand in for the missing intersection polygons.
            areas.append(dict(id="junction-%s" % l["id"], kind=1, polygon=[ring]))
        else:
            roadblocks.append(dict(id=l["roadblock"], connector=False, polygon=[l["polygon"]]))
    return dict(id=map_id, lanes=lanes, roadblocks=roadblocks, areas=areas)


def route_from_path(m, xy):
    """Roadblocks the rear axle passes through, in order, plus the successors of the last lane."""
    shapes = [(l, Polygon(l["polygon"])) for l in m["lanes"] if len(l["polygon"]) >= 3]
    route, last = [], None
    for x, y in xy:
        p = Point(x, y)
        hit = None
        for lane, shape in shapes:
            if shape.contains(p) and (hit is None or (route and lane["roadblock"] == route[-1])):
                hit = lane
        if hit is None:
            continue
        last = hit
        if not route or route[-1] != hit["roadblock"]:
            route.append(hit["roadblock"])
    if last is not None:
        by_id = {l["id"]: l for l in m["lanes"]}
        for s in last["successors"]:
            rb = by_id[s]["roadblock"]
            if rb not in route:
                route.append(rb)
    return route


def command(ego, c):
    if c + 1 >= len(ego):
        return 3
    x0, y0, h0 = ego[c, :3]
    x1, y1, h1 = ego[-1, :3]
    lateral = -math.sin(h0) * (x1 - x0) + math.cos(h0) * (y1 - y0)
    turn = (h1 - h0 + math.pi) % (2 * math.pi) - math.pi
    if lateral > TURN_LATERAL and turn > TURN_HEADING:
        return 0
    if lateral < -TURN_LATERAL and turn < -TURN_HEADING:
        return 2
    return 1


def ego_states(track):
    """(T, 7): rear axle pose (nuScenes' ego frame origin), velocity and acceleration in the ego frame."""
    st = require(track, "state", "ego track")
    pos = finite(np.asarray(require(st, "position", "ego state"))[:, :2], "ego position")
    heading = np.unwrap(finite(require(st, "heading", "ego state"), "ego heading").reshape(-1))
    vel = finite(np.asarray(require(st, "velocity", "ego state"))[:, :2], "ego velocity")
    # Acceleration: central differences of the global velocity (one-sided at the ends).
    acc = np.gradient(vel, STEP, axis=0) if len(vel) > 1 else np.zeros_like(vel)
    c, s = np.cos(heading), np.sin(heading)
    to_ego = lambda v: np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1]], axis=1)
    wrapped = (heading + np.pi) % (2 * np.pi) - np.pi
    return np.column_stack([pos, wrapped, to_ego(vel), to_ego(acc)])


def convert(path, args):
    name = os.path.basename(path)
    d = load_pickle(path)
    if isinstance(d, list) and d and isinstance(d[0], dict) and "ego2global_translation" in d[0]:
        raise ImportError_("an OpenScene / NAVSIM log, not a ScenarioNet scenario: import it with "
                           "import.format=navsim (and import.navsim.maps_root or $NUPLAN_MAPS_ROOT)")
    if not isinstance(d, dict):
        raise ImportError_("not a ScenarioNet scenario (top level is %s, not a dict)" % type(d).__name__)
    meta = require(d, "metadata", "scenario")
    tracks = require(d, "tracks", "scenario")
    sdc = str(require(meta, "sdc_id", "metadata"))
    scenario_id = str(meta.get("scenario_id", meta.get("id", os.path.splitext(name)[0])))
    ego_track = require(tracks, sdc, "tracks")
    ego = ego_states(ego_track)
    valid_ego = np.asarray(require(ego_track["state"], "valid", "ego state")).reshape(-1).astype(bool)
    est = ego_track["state"]
    length = float(np.max(np.asarray(est["length"]).reshape(-1)))
    width = float(np.max(np.asarray(est["width"]).reshape(-1)))
    length, width = max(length, width), min(length, width)  # nuScenes conversions swap them
    m = build_map(scenario_id, require(d, "map_features", "scenario"), args.connector_half_width)
    T = len(ego)
    ts = np.asarray(meta.get("ts", np.arange(T) * STEP), dtype=np.float64)
    H = int(round(args.history_s / STEP))
    F = int(round(args.future_s / STEP))
    Fmin = int(round(args.min_future_s / STEP))
    stride = max(1, int(round(args.stride_s / STEP)))

    agents = []
    for tid, tr in tracks.items():
        if str(tid) == sdc or tr.get("type") not in AGENT_TYPES:
            continue
        st = tr["state"]
        valid = np.asarray(st["valid"]).reshape(-1).astype(bool)
        pos = np.asarray(st["position"], dtype=np.float64)[:, :2]
        state = np.column_stack([pos, np.asarray(st["heading"], dtype=np.float64).reshape(-1),
                                 np.asarray(st["velocity"], dtype=np.float64)[:, :2]])
        if valid.any() and not np.all(np.isfinite(state[valid])):
            raise ImportError_("track %s: non-finite state while valid" % tid)
        first = int(np.argmax(valid)) if valid.any() else 0
        size = [float(np.asarray(st[k]).reshape(-1)[first]) for k in ("length", "width", "height")]
        agents.append((str(tid), AGENT_TYPES[tr["type"]], size, state, valid))

    params = dict(source=name, dataset=meta.get("dataset", ""), map=meta.get("map", ""), history_s=args.history_s,
                  future_s=args.future_s, min_future_s=args.min_future_s, stride_s=args.stride_s)
    scenes = []
    for c in range(H, T - Fmin, stride):
        end = min(c + F, T - 1)
        if not valid_ego[c - H:end + 1].all():
            continue
        window = slice(c - H, end + 1)
        e = ego[window]
        scene_agents = []
        for tid, typ, size, state, valid in agents:
            v = valid[window]
            if not v[H:].any() and not v[H]:
                continue  # not seen now nor later: irrelevant to the scene
            scene_agents.append(dict(id=tid, type=typ, size=size, state=np.where(v[:, None], state[window], 0.0),
                                     valid=v))
        scenes.append(dict(token="%s-%04d" % (scenario_id, c), log=scenario_id, map_id=m["id"], domain=0,
                           timestamp_us=int(round(ts[c] * 1e6)), command=command(e, H), num_history=H,
                           ego_size=(length, width), generator="scenarionet", generator_params=json.dumps(params),
                           seed=0, source_log="", ego=e, agents=scene_agents, route=route_from_path(m, e[:, :2]),
                           traffic_lights=[]))
    return m, scenes


# What a scenario of the wrong shape raises inside numpy and the converter: a short ego track
# (IndexError), a position of strings (ValueError), a huge length field (MemoryError), ...
MALFORMED = (KeyError, IndexError, ValueError, TypeError, AttributeError, MemoryError, OverflowError)


def convert_checked(path, args):
    """convert(), with every error of a malformed scenario as one ImportError_ naming its kind."""
    try:
        return convert(path, args)
    except ImportError_:
        raise
    except MALFORMED as e:
        if args.debug:
            traceback.print_exc()
        detail = str(e) or "(no detail)"
        if isinstance(e, MemoryError):
            detail = "a field claims more data than fits in memory"
        raise ImportError_("malformed scenario (%s: %s)" % (type(e).__name__, detail[:300]))


def add_importer_arguments(p):
    """The options every Python importer takes from `autoscale import`: the store, the window, output."""
    p.add_argument("--out", required=True)
    p.add_argument("--append", action="store_true")
    p.add_argument("--history-s", type=float, default=1.5)
    p.add_argument("--future-s", type=float, default=5.0)
    p.add_argument("--min-future-s", type=float, default=4.0)
    p.add_argument("--stride-s", type=float, default=0.5)
    p.add_argument("--shard-size", type=int, default=1024)
    p.add_argument("--compression", type=int, default=4)
    p.add_argument("--codec", choices=("lz4", "gzip"), default="lz4")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--debug", action="store_true", help="print the traceback of a malformed input's error")


def import_all(args, inputs, convert, kind):
    """Writes convert(input) -> (map, scenes) of every input into the store args.out: one error line
    naming the input and exit status 1 on failure (a new store is then removed), else the summary."""
    start, total, current = time.time(), 0, None
    try:
        with StoreWriter(args.out, args.shard_size, args.compression, args.append, args.codec) as w:
            for name in inputs:
                current = name
                m, scenes = convert(name)
                if scenes:
                    w.add_map(m)
                for s in scenes:
                    w.add_scene(s)
                total += len(scenes)
                if not args.quiet:
                    print("%s: %d scenes" % (name, len(scenes)), file=sys.stderr)
            current = None
            if total == 0 and not args.append:
                raise ImportError_("no scene could be cut from the inputs (shorter than history + min_future?)")
            w.close()
    except (ImportError_, StoreError, OSError) as e:
        print("error: %s%s" % ("%s: " % current if current else "", e), file=sys.stderr)
        return 1
    print("imported %d scenes from %d %s into %s (%.1f scenes/s)"
          % (total, len(inputs), kind, args.out, total / max(time.time() - start, 1e-9)))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+")
    add_importer_arguments(p)
    p.add_argument("--connector-half-width", type=float, default=2.5)
    args = p.parse_args(argv)
    if args.min_future_s > args.future_s:
        print("error: min_future_s (%g) must not exceed future_s (%g)" % (args.min_future_s, args.future_s),
              file=sys.stderr)
        return 1

    def convert_file(path):
        if not os.path.isfile(path):
            raise ImportError_("no such file")
        return convert_checked(path, args)

    return import_all(args, args.files, convert_file, "files")


if __name__ == "__main__":
    sys.exit(main())
