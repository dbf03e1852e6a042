#!/usr/bin/python3
"""Reader and writer of the autoscale scene store (docs/data-format.md) for Python tools.

The C++ SceneStore/SceneStoreWriter are the reference; this module writes byte-compatible
files so that Python importers (ScenarioNet, NAVSIM) produce stores the C++ side reads.

Scene dict keys (one scene):
  token, log, map_id (str); domain (0 real, 1 synthetic); timestamp_us (int);
  command (0 left, 1 straight, 2 right, 3 unknown); num_history (int);
  ego_size (length, width); generator (str); generator_params (JSON str); seed (int);
  source_log (str); ego: float array (T, 7) = x, y, heading (rear axle, global), vx, vy, ax, ay
  (ego frame); agents: list of dicts {id, type (0 vehicle, 1 pedestrian, 2 bicycle, 3 static),
  category (optional; 0 unspecified, 1 car, 2 truck, 3 bus, 4 motorcycle, 5 bicycle,
  6 tricycle, 7 pedestrian; shards written before it read as 0), size (length, width, height), state: (T, 5) = x, y, heading, vx, vy (box centre, global),
  valid: (T,) bool}; route: list of roadblock ids; traffic_lights: list of (lane id, state
  0 unknown / 1 green / 2 yellow / 3 red) at the current frame; traffic_light_future (optional;
  read as empty lists from shards written before it): one list per light of its states at the
  future steps current + 1, current + 2, ... (0.1 s apart), empty when only the current state is known.
Map dict keys: id; lanes: list of {id, roadblock, connector, speed_limit (m/s or nan),
  left, right, centerline (P, 2), polygon (Q, 2), successors, predecessors};
  roadblocks: list of {id, connector, polygon: list of rings (exterior first)};
  areas: list of {id, kind (0 roadblock, 1 intersection, 2 carpark, 3 generic), polygon: rings}.
"""
import json
import math
import os
import shutil

import h5py
import numpy as np

SCHEMA_VERSION = 1
STEP_SECONDS = 0.1
STR = h5py.string_dtype("utf-8")


class StoreError(Exception):
    """A one-line, user-facing error naming the scene/map, field and value."""


def _temp_name(path):
    head, tail = os.path.split(path)
    return os.path.join(head, ".%s.tmp-%d" % (tail, os.getpid()))


CODECS = ("lz4", "gzip")
LZ4_FILTER = 32004  # HDF5's registered LZ4 filter: the C++ writer's default codec (store.codec)
NO_LZ4 = ("needs HDF5's LZ4 filter plugin: install hdf5-filter-plugin (Debian; `import hdf5plugin` from pip works "
          "too), or write gzip stores (store.codec=gzip)")


INDEX_COMPRESSION = (4, "gzip")  # index.h5 stays gzip, as the C++ writer's: listable by any HDF5 reader


def lz4_available():
    """Whether this h5py's HDF5 can read and write LZ4 datasets (its plugin path holds the filter)."""
    return bool(h5py.h5z.filter_avail(LZ4_FILTER))


def _compression_args(compression, codec):
    """h5py arguments for a dataset as the C++ writer makes it: gzip with byte shuffle, or LZ4
    (one block per chunk) without it."""
    if codec == "gzip":
        return dict(compression="gzip", compression_opts=int(compression), shuffle=True, chunks=True)
    return dict(compression=LZ4_FILTER, compression_opts=(0,), chunks=True)


def _dataset(f, name, data, compression, dtype=None):
    """compression: (level, codec); level 0 stores the dataset as it is."""
    level, codec = compression
    data = np.asarray(data, dtype=dtype) if dtype is not STR else np.asarray(data, dtype=object)
    kwargs = {}
    if level > 0 and len(data) > 0:
        kwargs = _compression_args(level, codec)
    if dtype is STR:
        f.create_dataset(name, data=data, dtype=STR, **kwargs)
    else:
        f.create_dataset(name, data=data, **kwargs)


def _header(f, fmt):
    f.attrs.create("format", fmt, dtype=STR)
    f.attrs.create("schema_version", SCHEMA_VERSION, dtype=np.int64)
    f.attrs.create("step_seconds", STEP_SECONDS, dtype=np.float64)


def _check_finite(array, what):
    array = np.asarray(array, dtype=np.float64)
    if array.size and not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise StoreError("%s row %s is %s" % (what, " column ".join(str(i) for i in bad), array[tuple(bad)]))


def check_scene(scene):
    tok = scene["token"]
    ego = np.asarray(scene["ego"], dtype=np.float64)
    if ego.ndim != 2 or ego.shape[0] == 0 or ego.shape[1] != 7:
        raise StoreError("scene %s: ego must be a (T, 7) array with T > 0, got shape %s" % (tok, ego.shape))
    cols = ["x", "y", "heading", "vx", "vy", "ax", "ay"]
    bad = np.argwhere(~np.isfinite(ego))
    if len(bad):
        r, c = bad[0]
        raise StoreError("scene %s: ego state row %d column %s is %s" % (tok, r, cols[c], ego[r, c]))
    if not 0 <= int(scene["num_history"]) < len(ego):
        raise StoreError("scene %s: num_history %s outside its %d ego states" % (tok, scene["num_history"], len(ego)))
    for a in scene["agents"]:
        st = np.asarray(a["state"], dtype=np.float64)
        valid = np.asarray(a["valid"], dtype=bool)
        if st.shape != (len(ego), 5) or valid.shape != (len(ego),):
            raise StoreError("scene %s: agent %s has %d states, the ego has %d" % (tok, a["id"], len(st), len(ego)))
        bad = np.argwhere(~np.isfinite(st) & valid[:, None])
        if len(bad):
            r, c = bad[0]
            raise StoreError("scene %s: agent %s state row %d column %s is %s"
                             % (tok, a["id"], r, cols[c], st[r, c]))
        if not all(math.isfinite(v) for v in a["size"]):
            raise StoreError("scene %s: agent %s size %s is not finite" % (tok, a["id"], list(a["size"])))
    futures = scene.get("traffic_light_future")
    if futures is not None:
        if len(futures) != len(scene["traffic_lights"]):
            raise StoreError("scene %s: %d traffic_light_future lists for %d traffic_lights"
                             % (tok, len(futures), len(scene["traffic_lights"])))
        for (lane, _), future in zip(scene["traffic_lights"], futures):
            if len(future) > len(ego) - 1 - int(scene["num_history"]) or any(not 0 <= int(x) <= 3 for x in future):
                raise StoreError("scene %s: light on lane %s: %d future states (the ego has %d future steps), "
                                 "each 0..3" % (tok, lane, len(future), len(ego) - 1 - int(scene["num_history"])))


def _write_shard(path, scenes, compression):
    """compression: (level, codec)."""
    tmp = _temp_name(path)
    try:
        with h5py.File(tmp, "w") as f:
            _header(f, "autoscale-scene-shard")
            f.attrs.create("num_scenes", len(scenes), dtype=np.int64)
            n = len(scenes)
            off = {k: [0] for k in ("ego", "agent", "route", "light", "state")}
            ego, agent_id, agent_type, agent_size, agent_state, agent_valid = [], [], [], [], [], []
            agent_category = []
            route, light_lane, light_state, light_future, light_future_offset = [], [], [], [], [0]
            for s in scenes:
                e = np.asarray(s["ego"], dtype=np.float64)
                ego.append(e)
                off["ego"].append(off["ego"][-1] + len(e))
                for a in s["agents"]:
                    agent_id.append(a["id"])
                    agent_type.append(a["type"])
                    agent_category.append(a.get("category", 0))
                    agent_size.append(list(a["size"]))
                    agent_state.append(np.asarray(a["state"], dtype=np.float64))
                    agent_valid.append(np.asarray(a["valid"], dtype=np.uint8))
                    off["state"].append(off["state"][-1] + len(a["state"]))
                off["agent"].append(off["agent"][-1] + len(s["agents"]))
                route.extend(s["route"])
                off["route"].append(len(route))
                futures = s.get("traffic_light_future")
                if futures is None:
                    futures = [[] for _ in s["traffic_lights"]]
                for (lane, state), future in zip(s["traffic_lights"], futures):
                    light_lane.append(lane)
                    light_state.append(state)
                    light_future.extend(future)
                    light_future_offset.append(len(light_future))
                off["light"].append(len(light_lane))
            c = compression
            col = lambda key: [s[key] for s in scenes]
            _dataset(f, "scenes/token", col("token"), c, STR)
            _dataset(f, "scenes/log", col("log"), c, STR)
            _dataset(f, "scenes/map_id", col("map_id"), c, STR)
            _dataset(f, "scenes/domain", col("domain"), c, np.uint8)
            _dataset(f, "scenes/timestamp_us", col("timestamp_us"), c, np.int64)
            _dataset(f, "scenes/command", col("command"), c, np.uint8)
            _dataset(f, "scenes/num_history", col("num_history"), c, np.int64)
            _dataset(f, "scenes/ego_size", np.asarray(col("ego_size"), dtype=np.float64).reshape(n, 2), c, np.float64)
            _dataset(f, "scenes/generator", col("generator"), c, STR)
            _dataset(f, "scenes/generator_params", col("generator_params"), c, STR)
            _dataset(f, "scenes/seed", col("seed"), c, np.uint64)
            _dataset(f, "scenes/source_log", col("source_log"), c, STR)
            for key, name in (("ego", "ego_offset"), ("agent", "agent_offset"), ("route", "route_offset"),
                              ("light", "light_offset")):
                _dataset(f, "scenes/" + name, off[key], c, np.int64)
            _dataset(f, "ego/state", np.concatenate(ego) if ego else np.zeros((0, 7)), c, np.float64)
            _dataset(f, "agents/id", agent_id, c, STR)
            _dataset(f, "agents/type", agent_type, c, np.uint8)
            _dataset(f, "agents/category", agent_category, c, np.uint8)
            _dataset(f, "agents/size", np.asarray(agent_size, dtype=np.float64).reshape(-1, 3), c, np.float64)
            _dataset(f, "agents/state_offset", off["state"], c, np.int64)
            _dataset(f, "agents/state", np.concatenate(agent_state) if agent_state else np.zeros((0, 5)), c, np.float64)
            _dataset(f, "agents/valid", np.concatenate(agent_valid) if agent_valid else np.zeros(0), c, np.uint8)
            _dataset(f, "route/roadblock", route, c, STR)
            _dataset(f, "traffic_lights/lane", light_lane, c, STR)
            _dataset(f, "traffic_lights/state", light_state, c, np.uint8)
            _dataset(f, "traffic_lights/future_offset", light_future_offset, c, np.int64)
            _dataset(f, "traffic_lights/future", light_future, c, np.uint8)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _polygon_columns(polygons):
    ring_offset, ring_point_offset, points = [0], [0], []
    for rings in polygons:
        for ring in rings:
            points.extend(np.asarray(ring, dtype=np.float64).reshape(-1, 2).tolist())
            ring_point_offset.append(len(points))
        ring_offset.append(len(ring_point_offset) - 1)
    return ring_offset, ring_point_offset, np.asarray(points, dtype=np.float64).reshape(-1, 2)


def _write_map(path, m, compression):
    tmp = _temp_name(path)
    c = compression
    try:
        with h5py.File(tmp, "w") as f:
            _header(f, "autoscale-map")
            f.attrs.create("id", m["id"], dtype=STR)
            lanes = m["lanes"]
            _dataset(f, "lanes/id", [l["id"] for l in lanes], c, STR)
            _dataset(f, "lanes/roadblock", [l["roadblock"] for l in lanes], c, STR)
            _dataset(f, "lanes/connector", [int(l["connector"]) for l in lanes], c, np.uint8)
            _dataset(f, "lanes/speed_limit", [float(l["speed_limit"]) for l in lanes], c, np.float64)
            _dataset(f, "lanes/left", [l.get("left", "") for l in lanes], c, STR)
            _dataset(f, "lanes/right", [l.get("right", "") for l in lanes], c, STR)
            for key in ("centerline", "polygon"):
                pts, offs = [], [0]
                for l in lanes:
                    arr = np.asarray(l[key], dtype=np.float64).reshape(-1, 2)
                    pts.append(arr)
                    offs.append(offs[-1] + len(arr))
                _dataset(f, "lanes/%s_offset" % key, offs, c, np.int64)
                _dataset(f, "lanes/" + key, np.concatenate(pts) if pts else np.zeros((0, 2)), c, np.float64)
            for key in ("successor", "predecessor"):
                ids, offs = [], [0]
                for l in lanes:
                    ids.extend(l[key + "s"])
                    offs.append(len(ids))
                _dataset(f, "lanes/%s_offset" % key, offs, c, np.int64)
                _dataset(f, "lanes/" + key, ids, c, STR)
            for group, items, extra in (("roadblocks", m["roadblocks"], "connector"), ("areas", m["areas"], "kind")):
                _dataset(f, group + "/id", [x["id"] for x in items], c, STR)
                _dataset(f, "%s/%s" % (group, extra), [int(x[extra]) for x in items], c, np.uint8)
                ro, rpo, pts = _polygon_columns([x["polygon"] for x in items])
                _dataset(f, group + "/ring_offset", ro, c, np.int64)
                _dataset(f, group + "/ring_point_offset", rpo, c, np.int64)
                _dataset(f, group + "/points", pts, c, np.float64)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _maps_equal(a, b):
    return json.dumps(_canonical(a), sort_keys=True) == json.dumps(_canonical(b), sort_keys=True)


def _canonical(m):
    def conv(v):
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple, np.ndarray)):
            return [conv(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v)]
        if isinstance(v, (np.floating, np.integer)):
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return v
        # Numbers compare as floats: 0 written is 0.0 read back.
        return "nan" if math.isnan(float(v)) else float(v)
    return conv(m)


class StoreWriter:
    """Writes (or appends to) a store; close() commits by renaming index.h5 into place.

    Used as a context manager, the end of the block commits; an exception before close()
    removes everything this writer wrote (and the directory, if it created it), leaving an
    existing store as it was.
    """

    def __init__(self, path, shard_size=1024, compression=4, append=False, codec="lz4"):
        if shard_size < 1:
            raise StoreError("store.shard_size: expected a positive integer, got %s" % shard_size)
        if not 0 <= compression <= 9:
            raise StoreError("store.compression: expected an integer in [0, 9], got %s" % compression)
        if codec not in CODECS:
            raise StoreError("store.codec: expected gzip or lz4, got %r" % (codec,))
        if codec == "lz4" and compression > 0 and not lz4_available():
            raise StoreError("store.codec=lz4 " + NO_LZ4)
        self.path, self.shard_size, self.compression = path, shard_size, (compression, codec)
        self.created_dir, self.closed, self.written = False, False, []
        self.index, self.tokens, self.shards, self.shard_sizes, self.maps = [], set(), [], [], {}
        self.pending = []
        if not (append and os.path.exists(os.path.join(path, "index.h5"))):
            self._check_new_dir(path)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            try:
                os.mkdir(path)
                self.created_dir = True
            except FileExistsError:
                pass
        self._lock(path)  # the C++ writers' protocol: flock on PATH/.lock, PID inside
        if append and os.path.exists(os.path.join(path, "index.h5")):
            reader = StoreReader(path)
            self.index = list(reader.entries)
            self.tokens = {e[0] for e in self.index}
            self.shards, self.shard_sizes = list(reader.shard_files), list(reader.shard_sizes)
            self.maps = dict(reader.map_files)
        else:
            self._check_new_dir(path)
        os.makedirs(os.path.join(path, "maps"), exist_ok=True)

    @staticmethod
    def _check_new_dir(path):
        if os.path.exists(path) and (not os.path.isdir(path) or set(os.listdir(path)) - {".lock"}):
            raise StoreError("scene store '%s': already exists and is not empty (use append, or pick a new path)"
                             % path)

    def _lock(self, path):
        import fcntl
        lock_path = os.path.join(path, ".lock")
        self.lock_file = open(lock_path, "a+")
        try:
            fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.lock_file.seek(0)
            holder = self.lock_file.read().strip() or "unknown"
            self.lock_file.close()
            raise StoreError("scene store '%s': another process (pid %s) is writing it (lock '%s'); wait for it to "
                             "finish or write elsewhere" % (path, holder, lock_path))
        self.lock_file.truncate(0)
        self.lock_file.write("%d\n" % os.getpid())
        self.lock_file.flush()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        # A clean exit commits (as a file's with-block does); an exception leaves nothing behind.
        if exc_type is not None:
            self.abort()
        elif not self.closed:
            self.close()
        return False

    def has_map(self, map_id):
        return map_id in self.maps

    def add_map(self, m):
        for l in m["lanes"]:
            _check_finite(l["centerline"], "map %s: lane %s centerline point" % (m["id"], l["id"]))
            _check_finite(l["polygon"], "map %s: lane %s polygon point" % (m["id"], l["id"]))
        if m["id"] in self.maps:
            existing = StoreReader.read_map_file(os.path.join(self.path, self.maps[m["id"]]))
            if not _maps_equal(existing, m):
                raise StoreError("scene store '%s': map '%s' already exists with different content"
                                 % (self.path, m["id"]))
            return
        name = "maps/map-%06d.h5" % len(self.maps)
        _write_map(os.path.join(self.path, name), m, self.compression)
        self.written.append(name)
        self.maps[m["id"]] = name

    def add_scene(self, s):
        if s["token"] in self.tokens:
            raise StoreError("scene %s: duplicate token in store '%s'" % (s["token"], self.path))
        if s["map_id"] not in self.maps:
            raise StoreError("scene %s: map '%s' was not added to the store" % (s["token"], s["map_id"]))
        check_scene(s)
        self.tokens.add(s["token"])
        self.index.append((s["token"], s["log"], int(s["domain"]), len(self.shards), len(self.pending)))
        self.pending.append(s)
        if len(self.pending) >= self.shard_size:
            self._flush()

    def _flush(self):
        if not self.pending:
            return
        name = "shard-%06d.h5" % len(self.shards)
        _write_shard(os.path.join(self.path, name), self.pending, self.compression)
        self.written.append(name)
        self.shards.append(name)
        self.shard_sizes.append(len(self.pending))
        self.pending = []

    def close(self):
        self._flush()
        path = os.path.join(self.path, "index.h5")
        tmp = _temp_name(path)
        try:
            with h5py.File(tmp, "w") as f:
                _header(f, "autoscale-scene-store")
                _dataset(f, "shards/file", self.shards, INDEX_COMPRESSION, STR)
                _dataset(f, "shards/num_scenes", self.shard_sizes, INDEX_COMPRESSION, np.int64)
                _dataset(f, "scenes/token", [e[0] for e in self.index], INDEX_COMPRESSION, STR)
                _dataset(f, "scenes/shard", [e[3] for e in self.index], INDEX_COMPRESSION, np.int64)
                _dataset(f, "scenes/row", [e[4] for e in self.index], INDEX_COMPRESSION, np.int64)
                _dataset(f, "scenes/log", [e[1] for e in self.index], INDEX_COMPRESSION, STR)
                _dataset(f, "scenes/domain", [e[2] for e in self.index], INDEX_COMPRESSION, np.uint8)
                ids = sorted(self.maps)
                _dataset(f, "maps/id", ids, INDEX_COMPRESSION, STR)
                _dataset(f, "maps/file", [self.maps[i] for i in ids], INDEX_COMPRESSION, STR)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        self.closed = True
        self._unlock()
        return len(self.index)

    def abort(self):
        for name in self.written:
            try:
                os.remove(os.path.join(self.path, name))
            except FileNotFoundError:
                pass
        if self.created_dir:
            shutil.rmtree(self.path, ignore_errors=True)
        self._unlock()

    def _unlock(self):
        # Closing the file releases the flock; emptied first, so no rival names a stale PID.
        lock = getattr(self, "lock_file", None)
        if lock is not None and not lock.closed:
            lock.truncate(0)
            lock.close()


def _filter_error(error, path):
    """An LZ4 file read without the filter: a StoreError naming the file and the package."""
    if "filter" in str(error).lower() and not lz4_available():
        return StoreError("%s: this LZ4-compressed store %s" % (path, NO_LZ4))
    return error


class StoreReader:
    def __init__(self, path):
        index = os.path.join(path, "index.h5")
        if not os.path.exists(index):
            raise StoreError("scene store '%s': no index.h5" % path)
        self.path = path
        with h5py.File(index, "r") as f:
            self.shard_files = list(f["shards/file"].asstr()[...])
            self.shard_sizes = [int(x) for x in f["shards/num_scenes"][...]]
            tokens = f["scenes/token"].asstr()[...]
            logs = f["scenes/log"].asstr()[...]
            self.entries = [(t, l, int(d), int(s), int(r)) for t, l, d, s, r in
                            zip(tokens, logs, f["scenes/domain"][...], f["scenes/shard"][...], f["scenes/row"][...])]
            self.map_files = dict(zip(f["maps/id"].asstr()[...], f["maps/file"].asstr()[...]))
        self.by_token = {e[0]: i for i, e in enumerate(self.entries)}

    def __len__(self):
        return len(self.entries)

    @property
    def tokens(self):
        return [e[0] for e in self.entries]

    def read_token(self, token):
        return self.read(self.by_token[token])

    def read(self, i):
        try:
            return self._read(i)
        except OSError as e:
            raise _filter_error(e, os.path.join(self.path, self.shard_files[self.entries[i][3]])) from e

    def _read(self, i):
        _, _, _, shard, row = self.entries[i]
        with h5py.File(os.path.join(self.path, self.shard_files[shard]), "r") as f:
            g = lambda name, a, b: f[name][a:b]
            s = lambda name: f[name].asstr()[row]
            e0, e1 = g("scenes/ego_offset", row, row + 2)
            a0, a1 = g("scenes/agent_offset", row, row + 2)
            r0, r1 = g("scenes/route_offset", row, row + 2)
            l0, l1 = g("scenes/light_offset", row, row + 2)
            so = g("agents/state_offset", a0, a1 + 1)
            # One read per column for the scene's whole agent block, then numpy slices.
            ids = f["agents/id"].asstr()[a0:a1]
            types, sizes = f["agents/type"][a0:a1], f["agents/size"][a0:a1]
            # Optional column (schema 1): older shards hold only the coarse type.
            if "agents/category" in f:
                if f["agents/category"].shape[0] != f["agents/id"].shape[0]:
                    raise StoreError("%s: agents/category holds %d rows for %d agents" % (
                        os.path.join(self.path, self.shard_files[shard]), f["agents/category"].shape[0],
                        f["agents/id"].shape[0]))
                cats = f["agents/category"][a0:a1]
            else:
                cats = np.zeros(a1 - a0, dtype=np.uint8)
            states, valid = f["agents/state"][so[0]:so[-1]], f["agents/valid"][so[0]:so[-1]] != 0
            rel = so - so[0]
            # Optional columns (schema 1): older shards hold the current light states only.
            if "traffic_lights/future_offset" in f:
                fo = g("traffic_lights/future_offset", l0, l1 + 1)
                fut = f["traffic_lights/future"][fo[0]:fo[-1]]
                light_future = [[int(x) for x in fut[fo[k] - fo[0]:fo[k + 1] - fo[0]]] for k in range(l1 - l0)]
            else:
                light_future = [[] for _ in range(l1 - l0)]
            agents = [dict(id=ids[k], type=int(types[k]), category=int(cats[k]), size=sizes[k].tolist(),
                           state=states[rel[k]:rel[k + 1]], valid=valid[rel[k]:rel[k + 1]]) for k in range(a1 - a0)]
            return dict(token=s("scenes/token"), log=s("scenes/log"), map_id=s("scenes/map_id"),
                        domain=int(f["scenes/domain"][row]), timestamp_us=int(f["scenes/timestamp_us"][row]),
                        command=int(f["scenes/command"][row]), num_history=int(f["scenes/num_history"][row]),
                        ego_size=f["scenes/ego_size"][row].tolist(), generator=s("scenes/generator"),
                        generator_params=s("scenes/generator_params"), seed=int(f["scenes/seed"][row]),
                        source_log=s("scenes/source_log"), ego=f["ego/state"][e0:e1], agents=agents,
                        route=list(f["route/roadblock"].asstr()[r0:r1]),
                        traffic_lights=list(zip(f["traffic_lights/lane"].asstr()[l0:l1],
                                                [int(x) for x in f["traffic_lights/state"][l0:l1]])),
                        traffic_light_future=light_future)

    def map(self, map_id):
        path = os.path.join(self.path, self.map_files[map_id])
        try:
            return self.read_map_file(path)
        except OSError as e:
            raise _filter_error(e, path) from e

    @staticmethod
    def read_map_file(path):
        with h5py.File(path, "r") as f:
            def rings(group):
                ro, rpo, pts = f[group + "/ring_offset"][...], f[group + "/ring_point_offset"][...], f[group + "/points"][...]
                return [[pts[rpo[r]:rpo[r + 1]].tolist() for r in range(ro[i], ro[i + 1])] for i in range(len(ro) - 1)]
            lanes = []
            lid = f["lanes/id"].asstr()[...]
            off = {k: f["lanes/%s_offset" % k][...] for k in ("centerline", "polygon", "successor", "predecessor")}
            for i, name in enumerate(lid):
                lanes.append(dict(id=name, roadblock=f["lanes/roadblock"].asstr()[i],
                                  connector=bool(f["lanes/connector"][i]), speed_limit=float(f["lanes/speed_limit"][i]),
                                  left=f["lanes/left"].asstr()[i], right=f["lanes/right"].asstr()[i],
                                  centerline=f["lanes/centerline"][off["centerline"][i]:off["centerline"][i + 1]].tolist(),
                                  polygon=f["lanes/polygon"][off["polygon"][i]:off["polygon"][i + 1]].tolist(),
                                  successors=list(f["lanes/successor"].asstr()[off["successor"][i]:off["successor"][i + 1]]),
                                  predecessors=list(f["lanes/predecessor"].asstr()[off["predecessor"][i]:off["predecessor"][i + 1]])))
            roadblocks = [dict(id=i, connector=bool(c), polygon=p) for i, c, p in
                          zip(f["roadblocks/id"].asstr()[...], f["roadblocks/connector"][...], rings("roadblocks"))]
            areas = [dict(id=i, kind=int(k), polygon=p) for i, k, p in
                     zip(f["areas/id"].asstr()[...], f["areas/kind"][...], rings("areas"))]
            return dict(id=f.attrs["id"] if isinstance(f.attrs["id"], str) else f.attrs["id"].decode(),
                        lanes=lanes, roadblocks=roadblocks, areas=areas)


# --- for planners of your own (PyTorch or not) ------------------------------------------------

def ego_status(scene):
    """The current ego state as NAVSIM's ego status: (vx, vy, ax, ay) in the ego frame."""
    now = np.asarray(scene["ego"], dtype=np.float64)[int(scene["num_history"])]
    return now[3:7].copy()


def ego_future(scene, poses=8, stride=5):
    """The logged future as `poses` (x, y, heading) rear-axle poses in the ego frame of the current
    state, every `stride` 0.1 s steps (NAVSIM: 8 at 0.5 s); None when the log ends too early.
    The frame `autoscale eval --trajectories` reads plans in."""
    ego = np.asarray(scene["ego"], dtype=np.float64)
    h = int(scene["num_history"])
    if h + poses * stride >= len(ego):
        return None
    x0, y0, th0 = ego[h, :3]
    c, s = math.cos(th0), math.sin(th0)
    future = ego[h + stride:h + poses * stride + 1:stride, :3]
    dx, dy = future[:, 0] - x0, future[:, 1] - y0
    dth = np.arctan2(np.sin(future[:, 2] - th0), np.cos(future[:, 2] - th0))
    return np.stack([c * dx + s * dy, -s * dx + c * dy, dth], axis=1)


class SceneDataset:
    """A map-style dataset over scenes of one or more stores, shaped as torch.utils.data.Dataset
    expects (len() and [i]), so a torch DataLoader takes it; torch itself is not needed.

        data = SceneDataset(["out/store"], tokens=None, transform=lambda s: (ego_status(s), ego_future(s)))
        loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True)

    Items are scene dicts (see the top of this module), or transform(scene). `tokens` restricts and
    orders the scenes (for example the `token` column of the loop's {real} and {selection} files);
    a token no store holds raises StoreError naming it. Readers open their files per item, so the
    dataset can be handed to DataLoader worker processes."""

    def __init__(self, stores, tokens=None, transform=None):
        self.readers = [StoreReader(s) for s in ([stores] if isinstance(stores, str) else stores)]
        self.transform = transform
        where = {}
        for r, reader in enumerate(self.readers):
            for i, t in enumerate(reader.tokens):
                where.setdefault(t, (r, i))
        if tokens is None:
            # Every scene once, store by store (a token in two stores: the first store's).
            self.items = [(r, i) for r, reader in enumerate(self.readers) for i, t in enumerate(reader.tokens)
                          if where[t] == (r, i)]
        else:
            missing = [t for t in tokens if t not in where]
            if missing:
                raise StoreError("token %s is in none of the stores %s (%d missing)"
                                 % (missing[0], [r.path for r in self.readers], len(missing)))
            self.items = [where[t] for t in tokens]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        r, row = self.items[i]
        scene = self.readers[r].read(row)
        return self.transform(scene) if self.transform else scene
