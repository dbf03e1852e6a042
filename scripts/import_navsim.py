#!/usr/bin/python3
"""Import NAVSIM / OpenScene logs with nuPlan maps into an autoscale scene store.

  import_navsim.py --out STORE --maps-root NUPLAN_MAPS_ROOT [--map-version V] [window options] LOG.pkl|DIR...

An OpenScene log pickle is a list of 2 Hz frame dicts (token, timestamp in us, log_name,
map_location, ego2global_translation/rotation, ego_dynamic_state [vx, vy, ax, ay], roadblock_ids,
traffic_lights [(lane_connector_id, is_red)], driving_command, anns {gt_boxes (n x 7 in the
frame's ego frame), gt_names, gt_velocity_3d, track_tokens}). Every frame with 1.5 s of history
and at least min_future_s of future becomes a scene whose token is the NAVSIM token, so per-token
results line up with the devkit. Tracks are interpolated to 10 Hz inside their observed span, as
NAVSIM's metric caching does. Maps come from the nuPlan GeoPackage
<maps-root>/<map>/<version>/map.gpkg (SQLite with GeoPackage geometry blobs), cropped to the
log's surroundings.

A NAVSIM scene filter (--scene-filter navtrain.yaml, navtest.yaml, ...) selects scenes as the
devkit's SceneFilter does, with its defaults: `log_names` (logs outside it are not even opened),
`tokens` (the frames whose token is listed), `has_route` (default true: a non-empty roadblock
list), `num_future_frames` (default 10: the future each scene must have), `frame_interval`
(default history + future frames: windows that do not overlap; the first window's current
frame is the 4th), `max_scenes` (the first N in log order). `num_history_frames` must be 4
(1.5 s). A .txt file is a plain token list (no window rules beyond the importer's own).

Tested only on a small fixture built in that layout (tests/scripts/test_import_navsim.py), not
on the full dataset.
"""
import argparse
import glob
import json
import math
import os
import sqlite3
import struct
import sys
import time
import traceback

import numpy as np
from shapely import wkb
from shapely.geometry import box

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from autoscale_store import StoreError, StoreWriter  # noqa: E402
from import_scenarionet import ImportError_, add_importer_arguments, load_pickle  # noqa: E402

STEP = 0.1
FRAME = 0.5  # OpenScene frames are 2 Hz
MAP_NAMES = {"las_vegas": "us-nv-las-vegas-strip", "boston": "us-ma-boston",
             "pittsburgh": "us-pa-pittsburgh-hazelwood", "singapore": "sg-one-north"}
AGENT_TYPES = {"vehicle": 0, "pedestrian": 1, "bicycle": 2}  # anything else is a static object
CROP_MARGIN = 150.0  # m around the log's ego path: beyond NAVSIM's 100 m map radius


# ------------------------------------------------------------------------------------ map

def gpkg_geometry(blob):
    """A GeoPackage geometry blob: 'GP', version, flags, srs id, optional envelope, then WKB."""
    if blob is None or len(blob) < 8 or blob[:2] != b"GP":
        raise ImportError_("not a GeoPackage geometry blob")
    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((flags >> 1) & 0x7)
    if envelope is None:
        raise ImportError_("bad GeoPackage envelope flags %d" % flags)
    return wkb.loads(bytes(blob[8 + envelope:]))


def read_layer(db, table):
    """Rows of a GeoPackage table as dicts, with its geometry decoded under 'geometry'."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone():
        return []
    geom_col = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name=?", (table,)).fetchone()
    geom_col = geom_col[0] if geom_col else None
    cur = db.execute("SELECT * FROM %s" % table)
    names = [d[0] for d in cur.description]
    rows = []
    for values in cur:
        row = dict(zip(names, values))
        if geom_col:
            blob = row.pop(geom_col)
            row["geometry"] = gpkg_geometry(blob) if blob is not None else None
        rows.append(row)
    return rows


def rings_of(geometry):
    """Exterior + holes of a (multi)polygon's largest part, as point lists without closure."""
    if geometry.geom_type == "MultiPolygon":
        geometry = max(geometry.geoms, key=lambda g: g.area)
    if geometry.geom_type != "Polygon" or geometry.is_empty:
        return None
    out = [np.asarray(geometry.exterior.coords)[:-1, :2]]
    out += [np.asarray(r.coords)[:-1, :2] for r in geometry.interiors]
    return out


def find_map_file(maps_root, map_name, version):
    if version:
        path = os.path.join(maps_root, map_name, version, "map.gpkg")
    else:
        found = sorted(glob.glob(os.path.join(maps_root, map_name, "*", "map.gpkg")))
        path = found[-1] if found else os.path.join(maps_root, map_name, "<version>", "map.gpkg")
    if not os.path.isfile(path):
        raise ImportError_("nuPlan map not found: %s" % path)
    return path


def load_map(path, map_id, crop):
    """Our map dict from a nuPlan GeoPackage, restricted to objects intersecting `crop`."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        layers = {t: [r for r in read_layer(db, t) if r.get("geometry") is None or r["geometry"].intersects(crop)]
                  for t in ("lanes_polygons", "lane_connectors", "lane_groups_polygons", "lane_group_connectors",
                            "intersections", "carpark_areas", "gen_lane_connectors_scaled_width_polygons")}
        baselines = read_layer(db, "baseline_paths")
    finally:
        db.close()
    by_lane = {str(b["lane_fid"]): b["geometry"] for b in baselines if b.get("lane_fid") is not None}
    by_connector = {str(b["lane_connector_fid"]): b["geometry"] for b in baselines if b.get("lane_connector_fid") is not None}
    connector_polys = {str(r["lane_connector_fid"]): r["geometry"]
                       for r in layers["gen_lane_connectors_scaled_width_polygons"]}

    def speed(row):
        v = row.get("speed_limit_mps")
        return float(v) if v is not None and v == v else float("nan")

    lanes = []
    for r in layers["lanes_polygons"]:
        fid = str(r["fid"])
        line = by_lane.get(fid)
        rings = rings_of(r["geometry"])
        if line is None or rings is None:
            continue
        lanes.append(dict(id=fid, roadblock=str(r["lane_group_fid"]), connector=False, speed_limit=speed(r),
                          left="", right="", centerline=np.asarray(line.coords)[:, :2], polygon=rings[0],
                          successors=[], predecessors=[]))
    for r in layers["lane_connectors"]:
        fid = str(r["fid"])
        line = by_connector.get(fid)
        if line is None:
            continue
        shape = connector_polys.get(fid)
        if shape is None:  # older map versions: nuPlan buffers the baseline itself
            shape = line.buffer(2.5, cap_style=2)
        rings = rings_of(shape)
        lanes.append(dict(id=fid, roadblock=str(r["lane_group_connector_fid"]), connector=True, speed_limit=speed(r),
                          left="", right="", centerline=np.asarray(line.coords)[:, :2],
                          polygon=rings[0] if rings else np.zeros((0, 2)), successors=[], predecessors=[],
                          _from=str(r["exit_lane_fid"]), _to=str(r["entry_lane_fid"])))
    by_id = {l["id"]: l for l in lanes}
    for l in lanes:  # exit_lane_fid -> connector -> entry_lane_fid
        if not l["connector"]:
            continue
        for a, b in ((by_id.get(l.pop("_from")), l), (l, by_id.get(l.pop("_to")))):
            if a is not None and b is not None:
                a["successors"].append(b["id"])
                b["predecessors"].append(a["id"])
    roadblocks = []
    for table, connector in (("lane_groups_polygons", False), ("lane_group_connectors", True)):
        for r in layers[table]:
            rings = rings_of(r["geometry"])
            if rings:
                roadblocks.append(dict(id=str(r["fid"]), connector=connector, polygon=rings))
    areas = []
    for table, kind in (("intersections", 1), ("carpark_areas", 2)):
        for r in layers[table]:
            rings = rings_of(r["geometry"])
            if rings:
                areas.append(dict(id="%s-%s" % (table, r["fid"]), kind=kind, polygon=rings))
    return dict(id=map_id, lanes=lanes, roadblocks=roadblocks, areas=areas)


# ------------------------------------------------------------------------------------ frames

def yaw_of(q):
    w, x, y, z = [float(v) for v in q]
    return math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def interp(times, values, t, periodic=False):
    v = np.unwrap(values) if periodic else np.asarray(values, dtype=np.float64)
    out = np.interp(t, times, v)
    return (out + np.pi) % (2 * np.pi) - np.pi if periodic else out


def frame_ego(f):
    t = np.asarray(f["ego2global_translation"], dtype=np.float64)
    dyn = np.asarray(f.get("ego_dynamic_state", [0, 0, 0, 0]), dtype=np.float64)
    return [t[0], t[1], yaw_of(f["ego2global_rotation"]), dyn[0], dyn[1], dyn[2], dyn[3]]


def frame_agents(f, ego):
    """Global boxes of one frame: track token -> (type, size, x, y, heading, vx, vy)."""
    anns = f.get("anns") or {}
    boxes = np.asarray(anns.get("gt_boxes", np.zeros((0, 7))), dtype=np.float64).reshape(-1, 7)
    vel = np.asarray(anns.get("gt_velocity_3d", np.zeros((len(boxes), 3))), dtype=np.float64).reshape(-1, 3)
    names = list(anns.get("gt_names", []))
    tokens = list(anns.get("track_tokens", anns.get("instance_tokens", [])))
    ex, ey, eh = ego[0], ego[1], ego[2]
    c, s = math.cos(eh), math.sin(eh)
    out = {}
    for i in range(len(boxes)):
        x, y, _, length, width, height, yaw = boxes[i]
        out[str(tokens[i])] = (AGENT_TYPES.get(str(names[i]), 3), (length, width, height),
                               ex + c * x - s * y, ey + s * x + c * y, eh + yaw,
                               c * vel[i, 0] - s * vel[i, 1], s * vel[i, 0] + c * vel[i, 1])
    return out


class SceneFilter:
    """NAVSIM's SceneFilter, read from its Hydra YAML (or a plain token list)."""

    def __init__(self, path):
        self.tokens = self.logs = self.max_scenes = None
        self.has_route = False
        self.future_frames = None
        self.interval = 1
        if path.endswith(".txt"):
            with open(path) as f:
                self.tokens = {line.strip() for line in f if line.strip() and not line.startswith("#")}
            return
        import yaml  # Debian's python3-yaml; only scene filters need it
        try:
            with open(path) as f:
                d = yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as e:
            raise ImportError_("scene filter %s: %s" % (path, str(e).splitlines()[0]))
        if not isinstance(d, dict):
            raise ImportError_("scene filter %s: expected a mapping of SceneFilter fields" % path)

        def listed(key):
            v = d.get(key)
            if v is not None and not isinstance(v, list):
                raise ImportError_("scene filter %s: %s must be a list or null, got %r" % (path, key, v))
            return None if v is None else {str(x) for x in v}

        def count(key, default, least):
            v = d.get(key, default)
            v = default if v is None else v
            if not isinstance(v, int) or isinstance(v, bool) or v < least:
                raise ImportError_("scene filter %s: %s must be an integer >= %d, got %r" % (path, key, least, v))
            return v

        # The devkit's SceneFilter defaults (navsim.common.dataclasses).
        self.tokens, self.logs = listed("tokens"), listed("log_names")
        self.has_route = bool(d.get("has_route", True))
        self.max_scenes = None if d.get("max_scenes") is None else count("max_scenes", 0, 1)
        if count("num_history_frames", 4, 1) != 4:
            raise ImportError_("scene filter %s: num_history_frames %r: only NAVSIM's 4 frames (1.5 s) are supported"
                               % (path, d.get("num_history_frames")))
        self.future_frames = count("num_future_frames", 10, 0)
        self.interval = count("frame_interval", 4 + self.future_frames, 1)

    def keeps_log_file(self, path):
        return self.logs is None or os.path.splitext(os.path.basename(path))[0] in self.logs

    def keeps(self, frame, log, index):
        """index: the frame's place in its log (the window's current frame is history - 1 = 3 in)."""
        if (index - 3) % self.interval != 0:
            return False
        if self.logs is not None and log not in self.logs:
            return False
        if self.tokens is not None and str(frame["token"]) not in self.tokens:
            return False
        return not self.has_route or len(frame.get("roadblock_ids", [])) > 0


def convert_log(path, args, writer, keep=None, budget=None, imported=None):
    frames = load_pickle(path)
    if not isinstance(frames, list) or not frames or not all(isinstance(f, dict) for f in frames):
        raise ImportError_("not an OpenScene log (expected a list of frame dicts)")
    for i, f in enumerate(frames):
        for key in ("token", "timestamp", "ego2global_translation", "ego2global_rotation"):
            if key not in f:
                raise ImportError_("frame %d: missing key '%s'" % (i, key))
    frames = sorted(frames, key=lambda f: f["timestamp"])
    log = str(frames[0].get("log_name", os.path.splitext(os.path.basename(path))[0]))
    location = str(frames[0].get("map_location", ""))
    map_name = MAP_NAMES.get(location, location)
    times = np.array([(f["timestamp"] - frames[0]["timestamp"]) * 1e-6 for f in frames])
    egos = np.array([frame_ego(f) for f in frames])
    if not np.all(np.isfinite(egos)):
        bad = np.argwhere(~np.isfinite(egos))[0]
        raise ImportError_("frame %d (%s): ego value %d is not finite" % (bad[0], frames[bad[0]]["token"], bad[1]))
    crop = box(egos[:, 0].min() - CROP_MARGIN, egos[:, 1].min() - CROP_MARGIN,
               egos[:, 0].max() + CROP_MARGIN, egos[:, 1].max() + CROP_MARGIN)
    map_id = "%s@%s" % (map_name, log)
    m = load_map(find_map_file(args.maps_root, map_name, args.map_version), map_id, crop)
    agents = [frame_agents(f, e) for f, e in zip(frames, egos)]
    frame_lights = [[(str(int(l[0])) if isinstance(l[0], (int, np.integer)) else str(l[0]), 3 if l[1] else 1)
                     for l in f.get("traffic_lights", [])] for f in frames]
    light_dicts = [dict(fl) for fl in frame_lights]

    H, F, Fmin = (int(round(v / STEP)) for v in (args.history_s, args.future_s, args.min_future_s))
    params = dict(source=os.path.basename(path), map=map_name, history_s=args.history_s, future_s=args.future_s,
                  min_future_s=args.min_future_s)
    scenes = []
    for i, f in enumerate(frames):
        if keep is not None and not keep(f, log, i):
            continue
        if budget is not None and len(scenes) >= budget:
            break
        t0 = times[i]
        future = min(F, int(round((times[-1] - t0) / STEP)))
        if t0 - args.history_s < times[0] - 1e-6 or future < Fmin:
            continue
        t = t0 + STEP * np.arange(-H, future + 1)
        ego = np.column_stack([interp(times, egos[:, k], t, periodic=(k == 2)) for k in range(7)])
        # Agents: linear between the frames that saw them, valid only inside that span.
        tracks = {}
        for j in range(len(frames)):
            for tok, a in agents[j].items():
                tracks.setdefault(tok, []).append((times[j], a))
        scene_agents = []
        for tok, seen in tracks.items():
            ts = np.array([s[0] for s in seen])
            valid = (t >= ts[0] - 1e-6) & (t <= ts[-1] + 1e-6)
            if not valid[H:].any():
                continue
            vals = np.array([s[1][2:] for s in seen])
            state = np.column_stack([interp(ts, vals[:, k], t, periodic=(k == 2)) for k in range(5)])
            typ, size = seen[0][1][0], seen[0][1][1]
            scene_agents.append(dict(id=tok, type=typ, size=[float(v) for v in size],
                                     state=np.where(valid[:, None], state, 0.0), valid=valid))
        cmd = f.get("driving_command")
        command = int(np.argmax(cmd)) if cmd is not None and len(cmd) == 4 else 3
        lights = frame_lights[i]
        # Later frames' states, sample-and-hold onto the 0.1 s grid: step k holds frame i + k // 5,
        # by index as NAVSIM's scorer does (frames are ~0.5 s apart with jitter; a timestamp lookup
        # would read a frame late whenever the spacing is a little over 0.5 s). A lane a later
        # frame does not list is unknown there (NAVSIM: not red).
        held = [min(i + k // 5, len(frames) - 1) for k in range(1, future + 1)]
        light_future = [[light_dicts[j].get(lane, 0) for j in held] for lane, _ in lights]
        scenes.append(dict(token=str(f["token"]), log=log, map_id=map_id, domain=0, timestamp_us=int(f["timestamp"]),
                           command=command, num_history=H, ego_size=(5.176, 2.297), generator="navsim",
                           generator_params=json.dumps(params), seed=0, source_log="", ego=ego, agents=scene_agents,
                           route=[str(r) for r in dict.fromkeys(f.get("roadblock_ids", []))],
                           traffic_lights=lights, traffic_light_future=light_future))
    if scenes:
        writer.add_map(m)
    for s in scenes:
        writer.add_scene(s)
        if imported is not None:
            imported.add(s["token"])
    return len(scenes)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("inputs", nargs="+", help="OpenScene log pickles or directories of them")
    add_importer_arguments(p)  # --stride-s is unused: every NAVSIM frame is a scene
    p.add_argument("--maps-root", required=True)
    p.add_argument("--map-version", default="", help="map version folder (default: the newest present)")
    p.add_argument("--scene-filter", default="", help="NAVSIM scene filter YAML (navtest.yaml, ...) or a .txt token list")
    args = p.parse_args(argv)
    files = []
    for i in args.inputs:
        files += sorted(glob.glob(os.path.join(i, "*.pkl"))) if os.path.isdir(i) else [i]
    start, total, current = time.time(), 0, None
    try:
        scene_filter = SceneFilter(args.scene_filter) if args.scene_filter else None
        if scene_filter is not None:
            files = [f for f in files if scene_filter.keeps_log_file(f)]
            if scene_filter.future_frames is not None:  # NAVSIM's frames are 0.5 s apart
                args.min_future_s = 0.5 * scene_filter.future_frames
                args.future_s = max(args.future_s, args.min_future_s)
        keep = scene_filter.keeps if scene_filter is not None else None
        imported = set()
        with StoreWriter(args.out, args.shard_size, args.compression, args.append, args.codec) as w:
            for path in files:
                current = path
                if not os.path.isfile(path):
                    raise ImportError_("no such file")
                budget = None
                if scene_filter is not None and scene_filter.max_scenes is not None:
                    budget = int(scene_filter.max_scenes) - total
                    if budget <= 0:
                        break
                n = convert_log(path, args, w, keep, budget, imported)
                total += n
                if not args.quiet:
                    print("%s: %d scenes" % (path, n), file=sys.stderr)
            current = None
            if scene_filter is not None and scene_filter.tokens is not None and not args.quiet:
                missing = len(scene_filter.tokens - imported)
                if missing and (scene_filter.max_scenes is None or total < int(scene_filter.max_scenes)):
                    print("scene filter: %d of %d listed tokens are not scenes of these logs (not in them, or "
                          "without 1.5 s of history and %g s of future)" % (missing, len(scene_filter.tokens),
                                                                             args.min_future_s), file=sys.stderr)
            if total == 0 and not args.append:
                if scene_filter is not None:
                    raise ImportError_("the scene filter %s selects no scene of these %d logs (listed logs, tokens, "
                                       "route, 1.5 s of history and %g s of future)"
                                       % (args.scene_filter, len(files), args.min_future_s))
                raise ImportError_("no frame has 1.5 s of history and %g s of future" % args.min_future_s)
            w.close()
    except (ImportError_, StoreError, OSError, sqlite3.Error, struct.error, ValueError) as e:
        print("error: %s%s" % ("%s: " % current if current else "", e), file=sys.stderr)
        return 1
    except (KeyError, IndexError, TypeError, AttributeError, MemoryError, OverflowError) as e:
        # A log of the wrong shape: one line naming the file, the traceback only with --debug.
        if args.debug:
            traceback.print_exc()
        print("error: %smalformed log (%s: %s)" % ("%s: " % current if current else "", type(e).__name__,
                                                  str(e)[:300] or "(no detail)"), file=sys.stderr)
        return 1
    print("imported %d scenes from %d logs into %s (%.1f scenes/s)"
          % (total, len(files), args.out, total / max(time.time() - start, 1e-9)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
