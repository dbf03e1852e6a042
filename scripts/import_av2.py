#!/usr/bin/python3
"""Import Argoverse 2 sensor-dataset logs (annotations, ego poses, vector map) into an autoscale store.

  import_av2.py --out STORE [--append] [window options] LOG_DIR...

A log directory holds annotations.feather (or annotations_with_ego.feather), city_SE3_egovehicle.feather
and map/log_map_archive_*.json. The Feather files (Arrow IPC, LZ4-compressed) are read by Apache
Arrow's JavaScript implementation under Node.js (scripts/node, installed by scripts/setup.sh).

- Boxes are in the ego frame of their sweep: composed with city_SE3_egovehicle at that timestamp
  (full 3D rotation; the heading is the composed rotation's yaw). Tracks are interpolated onto a
  0.1 s grid inside their observed span; velocities are differences of the tracked positions.
- The ego is the recorded vehicle: its pose (origin at the rear axle, as NAVSIM's) interpolated
  onto the grid; velocity and acceleration are differences, in the ego frame. Its size is the
  EGO_VEHICLE box where the log has one (that row is never an agent), else AV2's vehicle size.
- Rider boxes (BICYCLIST, MOTORCYCLIST, WHEELED_RIDER) are dropped: the vehicle they ride is
  annotated too, and both boxes would be one road user counted twice.
- Map: vehicle and bus lane segments become lanes (centerline = mean of the resampled boundaries,
  polygon = the boundaries' ring, intersection segments are connectors); lanes joined through
  same-direction neighbours form a roadblock (their polygons' union); the drivable areas are
  generic drivable areas. AV2 has no speed limits and no traffic-light states.
"""
import argparse
import glob
import json
import math
import os
import shutil
import subprocess
import sys
import traceback

import numpy as np
from shapely.geometry import Polygon
from shapely.ops import unary_union

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from import_scenarionet import (ImportError_, add_importer_arguments, command, import_all,  # noqa: E402
                               route_from_path)

STEP = 0.1
NODE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "node")
# AV2 category -> (NAVSIM class, autoscale category): 0 vehicle, 1 pedestrian, 2 bicycle, 3 static;
# categories 1 car, 2 truck, 3 bus, 4 motorcycle (and e-scooters), 5 bicycle, 7 pedestrian, 0 unspecified.
CATEGORIES = {
    "REGULAR_VEHICLE": (0, 1), "LARGE_VEHICLE": (0, 2), "BOX_TRUCK": (0, 2), "TRUCK": (0, 2), "TRUCK_CAB": (0, 2),
    "VEHICULAR_TRAILER": (0, 2), "BUS": (0, 3), "SCHOOL_BUS": (0, 3), "ARTICULATED_BUS": (0, 3),
    "RAILED_VEHICLE": (0, 0), "MOTORCYCLE": (2, 4), "WHEELED_DEVICE": (2, 4), "BICYCLE": (2, 5),
    # A dog moves like a pedestrian (NAVSIM scores it as one); other animals are rare roadside objects.
    "PEDESTRIAN": (1, 7), "STROLLER": (1, 7), "WHEELCHAIR": (1, 7), "OFFICIAL_SIGNALER": (1, 7), "DOG": (1, 0),
    "BOLLARD": (3, 0), "CONSTRUCTION_CONE": (3, 0), "CONSTRUCTION_BARREL": (3, 0), "SIGN": (3, 0),
    "STOP_SIGN": (3, 0), "MOBILE_PEDESTRIAN_CROSSING_SIGN": (3, 0), "MESSAGE_BOARD_TRAILER": (3, 0),
    "TRAFFIC_LIGHT_TRAILER": (3, 0), "ANIMAL": (3, 0),
}
RIDERS = {"BICYCLIST", "MOTORCYCLIST", "WHEELED_RIDER"}
EGO_CATEGORY = "EGO_VEHICLE"
AV2_EGO_SIZE = (4.877, 2.0)  # the EGO_VEHICLE box of the logs that have one
DRIVING_LANES = {"VEHICLE", "BUS"}
SAME_DIRECTION = math.radians(45)


# ------------------------------------------------------------------------------------ Feather

def read_feather(paths):
    """{path: {column: numpy array}}; int64 columns as Python-int object arrays (exact ns)."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise ImportError_("Node.js is needed to read Feather files (install it: scripts/setup.sh)")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "apache-arrow")):
        raise ImportError_("Apache Arrow for Node.js is not installed in %s (run scripts/setup.sh)" % NODE_DIR)
    r = subprocess.run([node, os.path.join(NODE_DIR, "feather_columns.mjs")] + list(paths), capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise ImportError_(r.stderr.strip().splitlines()[-1].removeprefix("error: ") if r.stderr.strip()
                           else "the Feather reader failed (exit %d)" % r.returncode)
    out = {}
    for line in r.stdout.splitlines():
        d = json.loads(line)
        out[d["file"]] = {k: np.asarray(v) for k, v in d["columns"].items()}
    return out


def column(table, name, path, dtype=np.float64):
    if name not in table:
        raise ImportError_("%s: no column '%s' (has %s)" % (path, name, ", ".join(sorted(table))))
    values = table[name]
    if dtype is int:
        return np.array([int(v) for v in values], dtype=object)
    if dtype is str:
        return values.astype(str)
    values = values.astype(dtype)
    if not np.all(np.isfinite(values)):
        bad = int(np.argmax(~np.isfinite(values)))
        raise ImportError_("%s: column '%s' row %d is %r, not a finite number" % (path, name, bad, values[bad]))
    return values


# ------------------------------------------------------------------------------------ geometry

def rotation(qw, qx, qy, qz):
    """(n, 3, 3) rotation matrices of unit quaternions (normalised first)."""
    q = np.stack([qw, qx, qy, qz], axis=-1)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1)], axis=-2)


def yaw_of(R):
    return np.arctan2(R[..., 1, 0], R[..., 0, 0])


def interp(times, values, t, periodic=False):
    v = np.unwrap(values) if periodic else values
    out = np.interp(t, times, v)
    return (out + np.pi) % (2 * np.pi) - np.pi if periodic else out


def resample(line, n):
    """`line` (k, 2) at n points evenly spaced along its length."""
    seg = np.hypot(*np.diff(line, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    at = np.linspace(0.0, s[-1], n)
    return np.column_stack([np.interp(at, s, line[:, 0]), np.interp(at, s, line[:, 1])])


def ring_points(geometry):
    """Exterior rings (without closure) of a polygon or of each part of a multipolygon."""
    parts = geometry.geoms if geometry.geom_type == "MultiPolygon" else [geometry]
    return [np.asarray(p.exterior.coords)[:-1, :2] for p in parts if p.geom_type == "Polygon" and not p.is_empty]


# ------------------------------------------------------------------------------------ map

def points(items, where):
    xy = np.array([[float(p["x"]), float(p["y"])] for p in items], dtype=np.float64).reshape(-1, 2)
    if not np.all(np.isfinite(xy)):
        raise ImportError_("%s: a point is not finite" % where)
    return xy


def build_map(map_id, archive, path):
    segments = archive.get("lane_segments")
    if not isinstance(segments, dict) or not segments:
        raise ImportError_("%s: no lane_segments" % path)
    lanes = {}
    for sid, seg in segments.items():
        if seg.get("lane_type") not in DRIVING_LANES:
            continue
        where = "%s: lane segment %s" % (path, sid)
        left, right = points(seg["left_lane_boundary"], where), points(seg["right_lane_boundary"], where)
        if len(left) < 2 or len(right) < 2:
            continue
        n = max(len(left), len(right))
        center = (resample(left, n) + resample(right, n)) / 2
        lanes[str(sid)] = dict(id=str(sid), roadblock="", connector=bool(seg.get("is_intersection")),
                               speed_limit=float("nan"), left="", right="", centerline=center,
                               polygon=np.concatenate([left, right[::-1]]), successors=[], predecessors=[],
                               _neighbours=[seg.get("left_neighbor_id"), seg.get("right_neighbor_id")])
    if not lanes:
        raise ImportError_("%s: no vehicle or bus lane segment" % path)

    def heading(lane):
        d = lane["centerline"][-1] - lane["centerline"][0]
        return math.atan2(d[1], d[0])

    def same_direction(a, b):
        return abs((heading(a) - heading(b) + math.pi) % (2 * math.pi) - math.pi) < SAME_DIRECTION

    def add_link(a, b):
        if b["id"] not in a["successors"]:
            a["successors"].append(b["id"])
        if a["id"] not in b["predecessors"]:
            b["predecessors"].append(a["id"])

    # Roadblocks: lanes linked through same-direction neighbours (and of the same kind) are one.
    parent = {k: k for k in lanes}

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for sid, lane in lanes.items():
        left_id, right_id = (str(v) if v is not None else "" for v in lane.pop("_neighbours"))
        for side, nid in (("left", left_id), ("right", right_id)):
            other = lanes.get(nid)
            if other is None or other["connector"] != lane["connector"] or not same_direction(lane, other):
                continue
            lane[side] = nid
            parent[root(sid)] = root(nid)
    # Connectivity both ways: the archive lists some links only on one side.
    for sid, lane in lanes.items():
        seg = segments[sid]
        for s in (str(s) for s in seg.get("successors") or [] if str(s) in lanes):
            add_link(lane, lanes[s])
        for p in (str(p) for p in seg.get("predecessors") or [] if str(p) in lanes):
            add_link(lanes[p], lane)
    groups = {}
    for sid in sorted(lanes):
        groups.setdefault(root(sid), []).append(sid)
    roadblocks = []
    for members in groups.values():
        rb = "rb-%s" % members[0]
        shapes = []
        for sid in members:
            lanes[sid]["roadblock"] = rb
            shape = Polygon(lanes[sid]["polygon"]).buffer(0)  # boundaries may cross at a taper
            if not shape.is_empty:
                shapes.append(shape)
        rings = ring_points(unary_union(shapes)) if shapes else []
        if rings:
            roadblocks.append(dict(id=rb, connector=lanes[members[0]]["connector"], polygon=rings[:1]))
    areas = []
    for aid, area in (archive.get("drivable_areas") or {}).items():
        ring = points(area["area_boundary"], "%s: drivable area %s" % (path, aid))
        if len(ring) > 3 and np.allclose(ring[0], ring[-1]):
            ring = ring[:-1]
        if len(ring) >= 3:
            areas.append(dict(id="drivable-%s" % aid, kind=3, polygon=[ring]))
    return dict(id=map_id, lanes=list(lanes.values()), roadblocks=roadblocks, areas=areas)


# ------------------------------------------------------------------------------------ log

def log_files(log_dir):
    annotations = [os.path.join(log_dir, f) for f in ("annotations_with_ego.feather", "annotations.feather")]
    annotations = [f for f in annotations if os.path.isfile(f)]
    poses = os.path.join(log_dir, "city_SE3_egovehicle.feather")
    maps = sorted(glob.glob(os.path.join(log_dir, "map", "log_map_archive_*.json")))
    if not annotations:
        raise ImportError_("no annotations.feather or annotations_with_ego.feather")
    if not os.path.isfile(poses):
        raise ImportError_("no city_SE3_egovehicle.feather")
    if len(maps) != 1:
        raise ImportError_("expected one map/log_map_archive_*.json, found %d" % len(maps))
    return annotations[0], poses, maps[0]


def convert_log(log_dir, args):
    log = os.path.basename(os.path.normpath(log_dir))
    ann_path, pose_path, map_path = log_files(log_dir)
    tables = read_feather([ann_path, pose_path])
    ann, pose = tables[ann_path], tables[pose_path]

    pose_ns = column(pose, "timestamp_ns", pose_path, int)
    order = np.argsort(pose_ns)
    pose_ns = pose_ns[order]
    if len(pose_ns) < 2 or any(b <= a for a, b in zip(pose_ns[:-1], pose_ns[1:])):
        raise ImportError_("%s: ego poses must have at least 2 distinct timestamps" % pose_path)
    R_pose = rotation(*(column(pose, k, pose_path)[order] for k in ("qw", "qx", "qy", "qz")))
    t_pose = np.column_stack([column(pose, k, pose_path)[order] for k in ("tx_m", "ty_m", "tz_m")])

    sweep_ns = column(ann, "timestamp_ns", ann_path, int)
    categories = column(ann, "category", ann_path, str)
    tracks_of = column(ann, "track_uuid", ann_path, str)
    size = np.column_stack([column(ann, k, ann_path) for k in ("length_m", "width_m", "height_m")])
    R_box = rotation(*(column(ann, k, ann_path) for k in ("qw", "qx", "qy", "qz")))
    t_box = np.column_stack([column(ann, k, ann_path) for k in ("tx_m", "ty_m", "tz_m")])
    unknown = sorted(set(categories) - set(CATEGORIES) - RIDERS - {EGO_CATEGORY})
    if unknown:
        raise ImportError_("%s: unknown categories %s" % (ann_path, ", ".join(unknown)))
    sweeps = sorted(set(sweep_ns))
    t0 = sweeps[0]
    if sweeps[0] < pose_ns[0] or sweeps[-1] > pose_ns[-1]:
        raise ImportError_("%s: annotations from %d to %d ns lie outside the ego poses (%d to %d ns)"
                           % (ann_path, sweeps[0], sweeps[-1], pose_ns[0], pose_ns[-1]))
    seconds = lambda ns: np.array([(v - t0) * 1e-9 for v in ns], dtype=np.float64)
    pose_t = seconds(pose_ns)
    T = int(round(seconds([sweeps[-1]])[0] / STEP)) + 1  # sweeps drift a few ms off the 0.1 s grid
    grid = STEP * np.arange(T)

    # The ego on the grid: rear-axle pose, then velocity and acceleration by differences.
    pose_yaw = yaw_of(R_pose)
    ex, ey = interp(pose_t, t_pose[:, 0], grid), interp(pose_t, t_pose[:, 1], grid)
    eh = interp(pose_t, pose_yaw, grid, periodic=True)
    vel = np.column_stack([np.gradient(ex, STEP), np.gradient(ey, STEP)])
    acc = np.gradient(vel, STEP, axis=0)
    c, s = np.cos(eh), np.sin(eh)
    to_ego = lambda v: np.column_stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1]])
    ego = np.column_stack([ex, ey, eh, to_ego(vel), to_ego(acc)])

    # Every box in the city frame, composed with the ego pose of its sweep.
    row_t = seconds(sweep_ns)
    at = np.searchsorted(pose_t, row_t).clip(1, len(pose_t) - 1)
    exact = np.isclose(pose_t[at - 1], row_t, atol=1e-9)
    at = np.where(exact, at - 1, at)
    if not np.all(np.isclose(pose_t[at], row_t, atol=1e-9)):  # AV2 logs a pose at every sweep
        first = int(np.argmax(~np.isclose(pose_t[at], row_t, atol=1e-9)))
        raise ImportError_("%s: sweep at %d ns has no ego pose at that time" % (ann_path, sweep_ns[first]))
    city_xyz = np.einsum("nij,nj->ni", R_pose[at], t_box) + t_pose[at]
    city_yaw = yaw_of(np.einsum("nij,njk->nik", R_pose[at], R_box))

    ego_rows = categories == EGO_CATEGORY
    ego_size = (float(np.median(size[ego_rows, 0])), float(np.median(size[ego_rows, 1]))) if ego_rows.any() \
        else AV2_EGO_SIZE
    tracks = []
    keep = ~ego_rows & ~np.isin(categories, list(RIDERS))
    for uuid in sorted(set(tracks_of[keep])):
        rows = np.where(keep & (tracks_of == uuid))[0]
        rows = rows[np.argsort(row_t[rows])]
        ts = row_t[rows]
        if len(np.unique(ts)) != len(ts):
            raise ImportError_("%s: track %s has two boxes in one sweep" % (ann_path, uuid))
        # Valid from the grid step nearest its first sweep to the one nearest its last: sweeps
        # are a few ms off the grid, and a strict span would drop a track's end frames (and
        # every single-sweep track).
        first, last = (int(round(v / STEP)) for v in (ts[0], ts[-1]))
        valid = (np.arange(T) >= first) & (np.arange(T) <= last)
        x, y = interp(ts, city_xyz[rows, 0], grid), interp(ts, city_xyz[rows, 1], grid)
        h = interp(ts, city_yaw[rows], grid, periodic=True)
        vx, vy = np.zeros(T), np.zeros(T)
        span = np.where(valid)[0]
        if len(span) > 1:
            vx[span], vy[span] = np.gradient(x[span], STEP), np.gradient(y[span], STEP)
        typ, cat = CATEGORIES[categories[rows[0]]]
        tracks.append((uuid, typ, cat, np.median(size[rows], axis=0).tolist(),
                       np.where(valid[:, None], np.column_stack([x, y, h, vx, vy]), 0.0), valid))

    city = os.path.basename(map_path).rsplit("____", 1)[-1].split("_city")[0]
    map_id = "av2-%s" % log
    with open(map_path) as f:
        try:
            archive = json.load(f)
        except json.JSONDecodeError as e:
            raise ImportError_("%s: not JSON (%s)" % (map_path, e))
    m = build_map(map_id, archive, map_path)

    H, F, Fmin = (int(round(v / STEP)) for v in (args.history_s, args.future_s, args.min_future_s))
    stride = max(1, int(round(args.stride_s / STEP)))
    params = dict(source=log, dataset="av2-sensor", city=city, history_s=args.history_s, future_s=args.future_s,
                  min_future_s=args.min_future_s, stride_s=args.stride_s)
    scenes = []
    for k in range(H, T - Fmin, stride):
        end = min(k + F, T - 1)
        window = slice(k - H, end + 1)
        e = ego[window]
        agents = []
        for uuid, typ, cat, dims, state, valid in tracks:
            v = valid[window]
            if not v[H:].any():
                continue  # not seen now nor later: irrelevant to the scene
            agents.append(dict(id=uuid, type=typ, category=cat, size=dims, state=state[window], valid=v))
        scenes.append(dict(token="%s-%04d" % (log, k), log=log, map_id=map_id, domain=0,
                           timestamp_us=(t0 + int(round(k * STEP * 1e9))) // 1000, command=command(e, H),
                           num_history=H, ego_size=ego_size, generator="av2", generator_params=json.dumps(params),
                           seed=0, source_log="", ego=e, agents=agents, route=route_from_path(m, e[:, :2]),
                           traffic_lights=[]))
    return m, scenes


MALFORMED = (KeyError, IndexError, ValueError, TypeError, AttributeError, MemoryError, OverflowError)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("logs", nargs="+", help="Argoverse 2 log directories")
    add_importer_arguments(p)
    args = p.parse_args(argv)

    def convert_checked(log_dir):
        if not os.path.isdir(log_dir):
            raise ImportError_("not a directory (an Argoverse 2 log directory is expected)")
        try:
            return convert_log(log_dir, args)
        except MALFORMED as e:
            if args.debug:
                traceback.print_exc()
            raise ImportError_("malformed log (%s: %s)" % (type(e).__name__, str(e)[:300] or "(no detail)"))

    return import_all(args, args.logs, convert_checked, "logs")


if __name__ == "__main__":
    sys.exit(main())
