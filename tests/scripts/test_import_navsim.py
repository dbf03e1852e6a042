#!/usr/bin/python3
"""The NAVSIM / OpenScene importer on a fixture built here in that layout: a 10 s log of 2 Hz
frames driving straight along a two-lane road, with a car ahead and a pedestrian, and a nuPlan
GeoPackage map (SQLite + GeoPackage geometry blobs) with a lane group, its lanes, a lane
connector into an intersection, and baseline paths."""
import math
import os
import pickle
import shutil
import sqlite3
import struct
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from shapely import wkb
from shapely.geometry import LineString, Polygon

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "import_navsim.py")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from autoscale_store import StoreReader  # noqa: E402

X0, Y0 = 664000.0, 3997000.0  # UTM-like coordinates, as nuPlan's global frame
HEADING = 0.3


def gp_blob(geometry):
    """GeoPackage blob: magic, version 0, flags (little endian, no envelope), srs id, WKB."""
    return b"GP" + bytes([0, 1]) + struct.pack("<i", 32611) + wkb.dumps(geometry)


def along(s, lateral=0.0):
    c, d = math.cos(HEADING), math.sin(HEADING)
    return (X0 + c * s - d * lateral, Y0 + d * s + c * lateral)


def rect(s0, s1, l0, l1):
    return Polygon([along(s0, l0), along(s1, l0), along(s1, l1), along(s0, l1)])


def make_map(root):
    d = os.path.join(root, "us-nv-las-vegas-strip", "9.15.1915")
    os.makedirs(d)
    db = sqlite3.connect(os.path.join(d, "map.gpkg"))
    db.execute("CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT)")
    layers = {
        "lanes_polygons": ("fid INTEGER, lane_group_fid INTEGER, speed_limit_mps REAL",
                           [(1, 10, 13.4, rect(-50, 200, -4, 0)), (2, 10, 13.4, rect(-50, 200, 0, 4))]),
        "lane_groups_polygons": ("fid INTEGER", [(10, rect(-50, 200, -4, 4))]),
        "lane_connectors": ("fid INTEGER, lane_group_connector_fid INTEGER, exit_lane_fid INTEGER, "
                            "entry_lane_fid INTEGER, speed_limit_mps REAL", [(5, 20, 1, 6, 8.0, None)]),
        "lane_group_connectors": ("fid INTEGER", [(20, rect(200, 230, -4, 4))]),
        "gen_lane_connectors_scaled_width_polygons": ("lane_connector_fid INTEGER", [(5, rect(200, 230, -4, 0))]),
        "intersections": ("fid INTEGER", [(30, rect(200, 230, -6, 6))]),
        "carpark_areas": ("fid INTEGER", [(40, rect(300, 320, 20, 40))]),
        "baseline_paths": ("fid INTEGER, lane_fid INTEGER, lane_connector_fid INTEGER",
                           [(100, 1, None, LineString([along(-50, -2), along(200, -2)])),
                            (101, 2, None, LineString([along(-50, 2), along(200, 2)])),
                            (102, None, 5, LineString([along(200, -2), along(230, -2)]))]),
    }
    for table, (columns, rows) in layers.items():
        db.execute("CREATE TABLE %s (%s, geom BLOB)" % (table, columns))
        db.execute("INSERT INTO gpkg_geometry_columns VALUES (?, 'geom')", (table,))
        for row in rows:
            values = list(row[:-1]) + [gp_blob(row[-1]) if row[-1] is not None else None]
            db.execute("INSERT INTO %s VALUES (%s)" % (table, ",".join("?" * len(values))), values)
    db.commit()
    db.close()


def quaternion(yaw):
    return [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]


def make_log(path, frames=20, jitter_s=0.0, red_from=10):
    out = []
    for i in range(frames):
        t = 0.5 * i + (jitter_s if i % 2 else 0.0)  # recorded frames are ~0.5 s apart, not exactly
        s = 10.0 * t  # ego at 10 m/s in the right lane
        x, y = along(s, -2)
        car_s = 30 + 8.0 * t  # a slower car 30 m ahead
        ped_seen = 4 <= i <= 9
        boxes, names, vel, tracks = [], [], [], []
        for name, (gs, gl), v, tok, seen in (("vehicle", (car_s, -2), (8.0, 0), "car-1", True),
                                              ("pedestrian", (s + 20, 6), (0, -1.0), "ped-1", ped_seen)):
            if not seen:
                continue
            gx, gy = along(gs, gl)
            c, d = math.cos(HEADING), math.sin(HEADING)
            dx, dy = gx - x, gy - y
            boxes.append([c * dx + d * dy, -d * dx + c * dy, 0.0, 4.5 if name == "vehicle" else 0.6,
                          1.9 if name == "vehicle" else 0.6, 1.6, 0.0])
            names.append(name)
            vel.append([v[0], v[1], 0.0])
            tracks.append(tok)
        out.append(dict(token="tok%03d" % i, timestamp=1_600_000_000_000_000 + int(t * 1e6), log_name="2021.05.12.log",
                        map_location="las_vegas", ego2global_translation=np.array([x, y, 0.0]),
                        ego2global_rotation=quaternion(HEADING), ego_dynamic_state=[10.0, 0.0, 0.0, 0.0],
                        roadblock_ids=[10, 20], traffic_lights=[(5, i >= red_from)], driving_command=np.array([0, 1, 0, 0]),
                        anns=dict(gt_boxes=np.array(boxes).reshape(-1, 7), gt_names=names,
                                  gt_velocity_3d=np.array(vel).reshape(-1, 3), track_tokens=tracks)))
    with open(path, "wb") as f:
        pickle.dump(out, f)


class NavsimImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        make_map(os.path.join(cls.dir, "maps"))
        cls.log = os.path.join(cls.dir, "2021.05.12.log.pkl")
        make_log(cls.log)
        cls.store = os.path.join(cls.dir, "store")
        r = subprocess.run(["/usr/bin/python3", SCRIPT, "--quiet", "--out", cls.store, "--maps-root",
                            os.path.join(cls.dir, "maps"), cls.log], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        cls.reader = StoreReader(cls.store)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_tokens_are_navsim_frames_with_history_and_future(self):
        # 20 frames at 2 Hz: frames 3 .. 11 have 1.5 s of history and >= 4 s of future.
        self.assertEqual(self.reader.tokens, ["tok%03d" % i for i in range(3, 12)])
        s = self.reader.read_token("tok003")
        self.assertEqual(s["num_history"], 15)
        self.assertEqual(len(s["ego"]), 15 + 1 + 50)
        self.assertEqual(s["command"], 1)
        self.assertEqual(s["route"], ["10", "20"])
        self.assertEqual(s["traffic_lights"], [("5", 1)])
        self.assertEqual(self.reader.read_token("tok011")["traffic_lights"], [("5", 3)])
        self.assertEqual(len(self.reader.read_token("tok011")["ego"]), 15 + 1 + 40)  # 4 s of future left

    def test_later_frames_light_states_are_held_on_the_10_hz_grid(self):
        # The light turns red at frame 10 (t = 5 s); from frame 8 that is 1.0 s ahead: future steps
        # 1..9 (0.1 .. 0.9 s) hold frames 8 and 9 (green), step 10 onwards is red.
        future = self.reader.read_token("tok008")["traffic_light_future"]
        self.assertEqual(len(future), 1)
        self.assertEqual(len(future[0]), 50)
        self.assertEqual(future[0][:9], [1] * 9)
        self.assertEqual(future[0][9:], [3] * 41)
        self.assertEqual(self.reader.read_token("tok011")["traffic_light_future"], [[3] * 40])

    def test_later_frames_are_held_by_index_when_timestamps_jitter(self):
        # Odd frames recorded 30 ms late, the light red from frame 9 (t = 4.53 s): NAVSIM holds
        # frame i + k // 5 at step k, so from frame 8 the red starts at step 5 (a timestamp
        # lookup at 4.5 s would still read frame 8's green).
        log = os.path.join(self.dir, "2021.05.13.log.pkl")
        make_log(log, jitter_s=0.03, red_from=9)
        store = os.path.join(self.dir, "store-jitter")
        r = subprocess.run(["/usr/bin/python3", SCRIPT, "--quiet", "--out", store, "--maps-root",
                            os.path.join(self.dir, "maps"), log], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        future = StoreReader(store).read_token("tok008")["traffic_light_future"][0]
        self.assertEqual(future[:4], [1] * 4)
        self.assertEqual(future[4:], [3] * (len(future) - 4))

    def test_ego_is_interpolated_to_10_hz_in_the_global_frame(self):
        s = self.reader.read_token("tok004")
        ego = s["ego"]
        for k in (0, 7, 15, 33):
            t = 0.5 * 4 + 0.1 * (k - 15)
            x, y = along(10.0 * t, -2)
            self.assertAlmostEqual(ego[k, 0], x, places=6)
            self.assertAlmostEqual(ego[k, 1], y, places=6)
            self.assertAlmostEqual(ego[k, 2], HEADING, places=9)
            self.assertAlmostEqual(ego[k, 3], 10.0)

    def test_agents_are_global_and_valid_only_where_seen(self):
        s = self.reader.read_token("tok005")  # t = 2.5 s; the pedestrian is seen from 2.0 to 4.5 s
        agents = {a["id"]: a for a in s["agents"]}
        car, ped = agents["car-1"], agents["ped-1"]
        self.assertEqual(car["type"], 0)
        self.assertEqual(ped["type"], 1)
        self.assertTrue(car["valid"].all())
        x, y = along(30 + 8.0 * 2.5, -2)
        np.testing.assert_allclose(car["state"][15, :2], [x, y], atol=1e-6)
        np.testing.assert_allclose(car["state"][15, 3:], [8 * math.cos(HEADING), 8 * math.sin(HEADING)], atol=1e-9)
        times = 2.5 + 0.1 * (np.arange(len(s["ego"])) - 15)
        np.testing.assert_array_equal(ped["valid"], (times >= 2.0 - 1e-6) & (times <= 4.5 + 1e-6))

    def test_map_layers(self):
        m = self.reader.map(self.reader.read(0)["map_id"])
        lanes = {l["id"]: l for l in m["lanes"]}
        self.assertEqual(set(lanes), {"1", "2", "5"})
        self.assertEqual(lanes["1"]["roadblock"], "10")
        self.assertEqual(lanes["1"]["successors"], ["5"])
        self.assertTrue(lanes["5"]["connector"])
        self.assertEqual(lanes["5"]["roadblock"], "20")
        self.assertAlmostEqual(lanes["1"]["speed_limit"], 13.4)
        self.assertEqual({(r["id"], r["connector"]) for r in m["roadblocks"]}, {("10", False), ("20", True)})
        self.assertEqual(sorted(a["kind"] for a in m["areas"]), [1])  # the carpark is outside the crop

    def test_missing_map_is_a_clear_error(self):
        r = subprocess.run(["/usr/bin/python3", SCRIPT, "--out", os.path.join(self.dir, "x"), "--maps-root",
                            os.path.join(self.dir, "nowhere"), self.log], capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("nuPlan map not found", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "x")))

    def test_malformed_logs_are_one_error_line(self):
        """Frames of the wrong shape (issue 23, finding 7): one error line naming the file, exit 1,
        no store; the traceback only with --debug."""
        with open(self.log, "rb") as f:
            frames = pickle.load(f)
        cases = {
            "badanns.pkl": ("malformed log (AttributeError", [dict(fr, anns=5) for fr in frames]),
            "strings.pkl": ("could not convert string to float", [dict(fr, ego2global_translation=["a", "b", "c"])
                                                                  for fr in frames]),
            "notalist.pkl": ("not an OpenScene log", {"frames": frames}),
        }
        for name, (message, data) in cases.items():
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                pickle.dump(data, f)
            out = os.path.join(self.dir, "s-" + name)
            r = subprocess.run(["/usr/bin/python3", SCRIPT, "--quiet", "--out", out, "--maps-root",
                                os.path.join(self.dir, "maps"), path], capture_output=True, text=True)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertTrue(r.stderr.startswith("error: " + path + ": "), r.stderr)
            self.assertIn(message, r.stderr)
            self.assertFalse(os.path.exists(out), "a store was left for " + name)
        r = subprocess.run(["/usr/bin/python3", SCRIPT, "--quiet", "--debug", "--out", os.path.join(self.dir, "s-dbg"),
                            "--maps-root", os.path.join(self.dir, "maps"), os.path.join(self.dir, "badanns.pkl")],
                           capture_output=True, text=True)
        self.assertIn("Traceback", r.stderr)

    def filtered(self, name, text):
        """Imports the fixture log through a scene filter file; returns (reader or None, stderr)."""
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        out = os.path.join(self.dir, "filtered-" + name)
        r = subprocess.run(["/usr/bin/python3", SCRIPT, "--out", out, "--maps-root", os.path.join(self.dir, "maps"),
                            "--scene-filter", path, self.log], capture_output=True, text=True)
        return (StoreReader(out) if r.returncode == 0 else None), r.stderr

    def test_a_navsim_scene_filter_selects_exactly_its_tokens(self):
        # NAVSIM's navtest.yaml layout: Hydra target, log names, tokens; one token is not a scene
        # of this log (tok001 lacks history), one is not in it at all.
        reader, err = self.filtered("navtest.yaml", """\
_target_: navsim.common.dataclasses.SceneFilter
_convert_: 'all'
num_history_frames: 4
num_future_frames: 8
frame_interval: 1
has_route: true
max_scenes: null
log_names:
- 2021.05.12.log
tokens:
- tok004
- tok007
- tok011
- tok001
- 0a1b2c3d4e5f6789
""")
        self.assertIsNotNone(reader, err)
        self.assertEqual(reader.tokens, ["tok004", "tok007", "tok011"])
        self.assertIn("2 of 5 listed tokens are not scenes of these logs", err)

    def test_a_token_list_and_max_scenes(self):
        reader, err = self.filtered("tokens.txt", "# navtest subset\ntok009\ntok005\n\ntok006\n")
        self.assertEqual(reader.tokens, ["tok005", "tok006", "tok009"], err)
        reader, err = self.filtered("first2.yaml", "num_history_frames: 4\nframe_interval: 1\nmax_scenes: 2\n")
        self.assertEqual(reader.tokens, ["tok003", "tok004"], err)

    def test_num_future_frames_and_log_names(self):
        # 10 future frames = 5 s: of 20 frames at 2 Hz, frames 3 .. 9 have 1.5 s before and 5 s after.
        reader, err = self.filtered("future.yaml", "num_history_frames: 4\nnum_future_frames: 10\nframe_interval: 1\n")
        self.assertEqual(reader.tokens, ["tok%03d" % i for i in range(3, 10)], err)

    def test_the_devkits_defaults_make_windows_that_do_not_overlap(self):
        # frame_interval defaults to history + future frames: 4 + 2 = 6, from the 4th frame on.
        reader, err = self.filtered("short.yaml", "num_future_frames: 2\n")
        self.assertEqual(reader.tokens, ["tok003", "tok009", "tok015"], err)
        # Nothing set: 10 future frames (5 s), interval 14: of frames 3 .. 9 only the first.
        reader, err = self.filtered("defaults.yaml", "{}\n")
        self.assertEqual(reader.tokens, ["tok003"], err)
        reader, err = self.filtered("otherlog.yaml", "log_names: [2022.01.01.other]\n")
        self.assertIsNone(reader)
        self.assertIn("selects no scene of these 0 logs", err)

    def test_bad_scene_filters_are_one_error_line(self):
        for name, text, message in (
                ("history.yaml", "num_history_frames: 2\n", "only NAVSIM's 4 frames"),
                ("tokens.yaml", "tokens: tok004\n", "tokens must be a list or null"),
                ("broken.yaml", "tokens: [tok004\n", "scene filter"),
                ("list.yaml", "- tok004\n", "expected a mapping"),
                ("interval.yaml", "frame_interval: 0\n", "frame_interval must be an integer >= 1")):
            reader, err = self.filtered(name, text)
            self.assertIsNone(reader, name)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertIn(message, err, name)


if __name__ == "__main__":
    unittest.main()
