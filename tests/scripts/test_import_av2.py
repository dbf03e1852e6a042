#!/usr/bin/python3
"""The Argoverse 2 importer on the 4 real sensor-dataset logs in ../shared (Feather read by Apache
Arrow under Node.js), and its errors on broken logs."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.ops import unary_union
from shapely.prepared import prep

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "import_av2.py")
SHARED = os.environ.get("AUTOSCALE_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
AV2 = os.path.join(SHARED, "data-samples", "av2-sensor")
LOGS = sorted(os.path.dirname(p) for p in glob.glob(os.path.join(AV2, "*", "city_SE3_egovehicle.feather")))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from autoscale_store import StoreReader  # noqa: E402

# Per log: scenes, then distinct agents by (NAVSIM class, category) over its scenes. They equal
# the Feather files' track counts by category (riders and the ego's own box excluded), but for
# two cars of 3bffdcff seen only in its first window's history. Tracks whose sweeps lie a few ms
# off the 0.1 s grid, single-sweep ones included, must all be there.
EXPECTED = {
    "3b3570b4-7b0b-3268-a571-b0889dbf40b6": (21, {(0, 1): 84, (0, 2): 4, (1, 7): 12, (2, 4): 9, (2, 5): 6, (3, 0): 4}),
    "3bffdcff-c3a7-38b6-a0f2-64196d130958": (21, {(0, 1): 96, (0, 2): 8, (1, 7): 2, (3, 0): 7}),
    "7fab2350-7eaf-3b7e-a39d-6937a4c1bede": (21, {(0, 1): 71, (0, 2): 3, (1, 7): 18, (2, 4): 3, (2, 5): 8, (3, 0): 11}),
    "adcf7d18-0510-35b0-a2fa-b4cea13a6d76": (21, {(0, 1): 47, (0, 2): 4, (0, 3): 3, (1, 7): 38, (2, 5): 1, (3, 0): 53}),
}


def run(*args):
    return subprocess.run(["/usr/bin/python3", SCRIPT] + list(args), capture_output=True, text=True)


@unittest.skipUnless(len(LOGS) == 4, "the 4 Argoverse 2 logs of ../shared are absent")
class RealLogsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.store = os.path.join(cls.dir, "av2")
        r = run("--out", cls.store, "--quiet", *LOGS)
        assert r.returncode == 0, r.stderr
        reader = StoreReader(cls.store)
        cls.scenes = [reader.read_token(t) for t in reader.tokens]
        cls.maps = {s["map_id"]: reader.map(s["map_id"]) for s in cls.scenes}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def by_log(self):
        logs = {}
        for s in self.scenes:
            logs.setdefault(s["log"], []).append(s)
        return logs

    def test_scenes_and_agents_per_log_match_the_annotations(self):
        logs = self.by_log()
        self.assertEqual(sorted(logs), sorted(EXPECTED))
        for log, scenes in logs.items():
            ids = {}
            for s in scenes:
                for a in s["agents"]:
                    ids.setdefault((a["type"], a["category"]), set()).add(a["id"])
            self.assertEqual((len(scenes), {k: len(v) for k, v in ids.items()}), EXPECTED[log], log)
            stamps = [s["timestamp_us"] for s in scenes]
            self.assertTrue(all(b - a == 500000 for a, b in zip(stamps, stamps[1:])), (log, stamps[:3]))

    def test_the_ego_never_becomes_an_agent_of_its_own_scene(self):
        # Two logs carry the ego's own box (annotations_with_ego.feather): dropped, it gives the
        # ego's size instead; no agent box ever overlaps the ego's footprint at the current step.
        with_ego = [os.path.basename(l) for l in LOGS if os.path.exists(os.path.join(l, "annotations_with_ego.feather"))]
        self.assertEqual(len(with_ego), 2)
        for s in self.scenes:
            self.assertEqual(tuple(s["ego_size"]), (4.877, 2.0))
            c = s["num_history"]
            x, y, h = s["ego"][c, :3]
            length, width = s["ego_size"]
            rear = 1.0  # rear axle to the box's rear edge, about; the box is ahead of the axle
            corners = [(-rear, -width / 2), (length - rear, -width / 2), (length - rear, width / 2), (-rear, width / 2)]
            ego = Polygon([(x + np.cos(h) * u - np.sin(h) * v, y + np.sin(h) * u + np.cos(h) * v) for u, v in corners])
            for a in s["agents"]:
                if not a["valid"][c]:
                    continue
                ax, ay = a["state"][c, :2]
                self.assertGreater(ego.distance(Point(ax, ay)), 0.0, (s["token"], a["id"], a["category"]))

    def test_boxes_composed_into_the_city_frame_lie_on_the_map(self):
        # A wrong ego-to-city composition scatters boxes off the road and turns them across their
        # motion; right, moving vehicles drive on the drivable areas, heading where they move,
        # and the ego is always on them too.
        for map_id, m in self.maps.items():
            drivable = prep(unary_union([Polygon(a["polygon"][0]).buffer(0) for a in m["areas"]]))
            on, errors = [], []
            for s in (s for s in self.scenes if s["map_id"] == map_id):
                c = s["num_history"]
                self.assertTrue(drivable.contains(Point(*s["ego"][c, :2])), s["token"])
                for a in s["agents"]:
                    x, y, h, vx, vy = a["state"][c]
                    if a["type"] == 0 and a["valid"][c] and np.hypot(vx, vy) > 3.0:
                        on.append(drivable.contains(Point(x, y)))
                        errors.append(abs((np.arctan2(vy, vx) - h + np.pi) % (2 * np.pi) - np.pi))
            self.assertGreater(len(on), 100, map_id)
            self.assertGreater(np.mean(on), 0.93, map_id)
            self.assertLess(np.median(errors), 0.05, map_id)  # rad

    def test_map_elements_match_the_archive(self):
        for s in self.scenes[:1] + [s for s in self.scenes if s["log"].startswith("adcf7d18")][:1]:
            log = s["log"]
            archive = json.load(open(glob.glob(os.path.join(AV2, log, "map", "*.json"))[0]))
            m = self.maps[s["map_id"]]
            driving = [l for l in archive["lane_segments"].values() if l["lane_type"] in ("VEHICLE", "BUS")]
            self.assertEqual(len(m["lanes"]), len(driving))
            self.assertEqual(len(m["areas"]), len(archive["drivable_areas"]))
            self.assertEqual(sum(l["connector"] for l in m["lanes"]), sum(l["is_intersection"] for l in driving))
            self.assertTrue(0 < len(m["roadblocks"]) < len(m["lanes"]))  # neighbours share a roadblock
            lanes = {l["id"]: l for l in m["lanes"]}
            for l in m["lanes"]:
                for n in (l["left"], l["right"]):
                    if n:
                        self.assertEqual(lanes[n]["roadblock"], l["roadblock"])
                for succ in l["successors"]:  # links both ways, though the archive lists some on one side
                    self.assertIn(l["id"], lanes[succ]["predecessors"])
                for pred in l["predecessors"]:
                    self.assertIn(l["id"], lanes[pred]["successors"])
            self.assertTrue(all(np.isnan(l["speed_limit"]) for l in m["lanes"]))  # AV2 has none

    def test_ego_and_agent_motion_is_plausible(self):
        for s in self.scenes:  # ego-frame velocity: forward when moving, little sideways
            e = s["ego"]
            moving = np.hypot(e[:, 3], e[:, 4]) > 1.0
            self.assertTrue(np.all(e[moving, 3] > 0.9), s["token"])
            self.assertLess(np.abs(e[moving, 4]).max(initial=0.0), 0.3, s["token"])
        for log, scenes in self.by_log().items():
            speeds = np.concatenate([np.hypot(s["ego"][:, 3], s["ego"][:, 4]) for s in scenes])
            self.assertLess(speeds.max(), 15.0, log)
            path = np.concatenate([s["ego"][:, :2] for s in scenes])
            self.assertTrue(35 < np.hypot(*(path.max(0) - path.min(0))) < 100, log)  # 40-88 m per log
        speeds = np.array([np.hypot(*a["state"][s["num_history"], 3:5]) for s in self.scenes for a in s["agents"]
                           if a["valid"][s["num_history"]]])
        self.assertLess(np.percentile(speeds, 99), 20.0)
        self.assertGreater(speeds.max(), 5.0)  # moving traffic, velocities from track differences
        statics = [np.hypot(*a["state"][s["num_history"], 3:5]) for s in self.scenes for a in s["agents"]
                   if a["type"] == 3 and a["valid"][s["num_history"]]]
        self.assertLess(np.median(statics), 0.2)  # bollards and cones stand still: little jitter


# Adds a rider box on every BICYCLE box of a log (same sweep, same cuboid, as AV2 annotates a
# ridden bicycle) and writes the table back as an uncompressed Feather file with Apache Arrow.
ADD_RIDERS = """
import { readFileSync, writeFileSync } from 'node:fs';
import { tableFromIPC, tableToIPC, tableFromArrays, compressionRegistry, CompressionType } from 'apache-arrow';
import lz4 from 'lz4js';
compressionRegistry.set(CompressionType.LZ4_FRAME, { decode: (d) => lz4.decompress(d) });
const [src, dst] = process.argv.slice(1);
const t = tableFromIPC(readFileSync(src));
const cols = {};
for (const f of t.schema.fields) cols[f.name] = Array.from(t.getChild(f.name).toArray());
const n = cols.category.length;
for (let i = 0; i < n; i++) {
  if (cols.category[i] !== 'BICYCLE') continue;
  for (const k of Object.keys(cols)) {
    cols[k].push(k === 'category' ? 'BICYCLIST' : k === 'track_uuid' ? 'rider-' + cols[k][i] : cols[k][i]);
  }
}
const arrays = {};
for (const [k, v] of Object.entries(cols)) {
  arrays[k] = typeof v[0] === 'bigint' ? BigInt64Array.from(v) : typeof v[0] === 'number' ? Float64Array.from(v) : v;
}
writeFileSync(dst, tableToIPC(tableFromArrays(arrays), 'file'));
"""


@unittest.skipUnless(LOGS, "the Argoverse 2 logs of ../shared are absent")
class RiderTest(unittest.TestCase):
    def test_riders_are_dropped_and_uncompressed_feather_reads(self):
        d = tempfile.mkdtemp()
        try:
            src = [l for l in LOGS if l.endswith("7fab2350-7eaf-3b7e-a39d-6937a4c1bede")][0]
            log = os.path.join(d, os.path.basename(src))
            shutil.copytree(src, log)
            ann = os.path.join(log, "annotations.feather")
            node = shutil.which("node") or shutil.which("nodejs")
            r = subprocess.run([node, "--input-type=module", "-e", ADD_RIDERS, ann, ann], capture_output=True,
                               text=True, cwd=os.path.join(ROOT, "scripts", "node"))
            self.assertEqual(r.returncode, 0, r.stderr)
            r = run("--out", os.path.join(d, "s"), "--quiet", log)
            self.assertEqual(r.returncode, 0, r.stderr)
            reader = StoreReader(os.path.join(d, "s"))
            ids = {}
            for t in reader.tokens:
                for a in reader.read_token(t)["agents"]:
                    ids.setdefault(a["category"], set()).add(a["id"])
            self.assertFalse(any(i.startswith("rider-") for v in ids.values() for i in v), ids.keys())
            self.assertEqual(len(ids[5]), 8)  # the 8 bicycles, each once
        finally:
            shutil.rmtree(d)


@unittest.skipUnless(LOGS, "the Argoverse 2 logs of ../shared are absent")
class BadLogTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def copy_log(self):
        log = os.path.join(self.dir, os.path.basename(LOGS[-1]))
        shutil.copytree(LOGS[-1], log)
        return log

    def assert_fails(self, log, *needles):
        out = os.path.join(self.dir, "s")
        r = run("--out", out, log)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        for n in (log,) + needles:
            self.assertIn(n, r.stderr)
        self.assertFalse(os.path.exists(out), "a partial store was left")

    def test_missing_map(self):
        log = self.copy_log()
        shutil.rmtree(os.path.join(log, "map"))
        self.assert_fails(log, "map/log_map_archive_*.json")

    def test_corrupt_feather(self):
        log = self.copy_log()
        with open(os.path.join(log, "city_SE3_egovehicle.feather"), "wb") as f:
            f.write(b"ARROW1\0\0not really")
        self.assert_fails(log, "city_SE3_egovehicle.feather", "not a readable Arrow IPC")

    def test_not_a_log(self):
        self.assert_fails(self.dir, "no annotations.feather")


if __name__ == "__main__":
    unittest.main(verbosity=2)
