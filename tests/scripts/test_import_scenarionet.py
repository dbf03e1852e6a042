#!/usr/bin/python3
"""The ScenarioNet importer on the real nuScenes-mini samples in ../shared, and its restricted
unpickler against a malicious pickle."""
import glob
import math
import os
import pickle
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
SCRIPT = os.path.join(ROOT, "scripts", "import_scenarionet.py")
SHARED = os.environ.get("AUTOSCALE_SHARED_DIR", os.path.join(ROOT, "..", "shared"))
SAMPLES = sorted(glob.glob(os.path.join(SHARED, "data-samples", "nuscenes-scenarionet", "*.pkl")))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from autoscale_store import StoreReader  # noqa: E402


def run(*args):
    return subprocess.run(["/usr/bin/python3", SCRIPT] + list(args), capture_output=True, text=True)


class Exploit:
    """Unpickling this with the default loader would run a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch %s" % self.marker,))


class BadInputTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_forbidden_class_is_rejected_not_executed(self):
        marker = os.path.join(self.dir, "pwned")
        evil = os.path.join(self.dir, "evil.pkl")
        with open(evil, "wb") as f:
            pickle.dump({"metadata": Exploit(marker)}, f)
        r = run("--out", os.path.join(self.dir, "s"), evil)
        self.assertEqual(r.returncode, 1)
        self.assertIn("forbidden class posix.system", r.stderr)
        self.assertIn(evil, r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertFalse(os.path.exists(marker), "the payload ran")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "s")), "a partial store was left")

    def test_empty_truncated_and_foreign_files(self):
        empty = os.path.join(self.dir, "empty.pkl")
        open(empty, "wb").close()
        r = run("--out", os.path.join(self.dir, "s"), empty)
        self.assertEqual(r.returncode, 1)
        self.assertIn("empty.pkl: empty file", r.stderr)
        if SAMPLES:
            data = open(SAMPLES[0], "rb").read()
            trunc = os.path.join(self.dir, "trunc.pkl")
            with open(trunc, "wb") as f:
                f.write(data[: len(data) // 3])
            r = run("--out", os.path.join(self.dir, "s"), trunc)
            self.assertEqual(r.returncode, 1)
            self.assertIn("trunc.pkl: not a readable pickle", r.stderr)
        foreign = os.path.join(self.dir, "list.pkl")
        with open(foreign, "wb") as f:
            pickle.dump([1, 2, 3], f)
        r = run("--out", os.path.join(self.dir, "s"), foreign)
        self.assertIn("not a ScenarioNet scenario", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "s")))
        # An OpenScene log has the same extension: the error says which format it is.
        openscene = os.path.join(self.dir, "log.pkl")
        with open(openscene, "wb") as f:
            pickle.dump([{"token": "t0", "timestamp": 0, "ego2global_translation": [0.0, 0.0, 0.0]}], f)
        r = run("--out", os.path.join(self.dir, "s"), openscene)
        self.assertEqual(r.returncode, 1)
        self.assertIn("log.pkl: an OpenScene / NAVSIM log", r.stderr)
        self.assertIn("import.format=navsim", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "s")))

    def test_nan_coordinates_are_rejected(self):
        if not SAMPLES:
            self.skipTest("SKIPPED: nuScenes samples absent")
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        import import_scenarionet as imp
        d = imp.load_pickle(SAMPLES[0])
        d["tracks"][d["metadata"]["sdc_id"]]["state"]["position"][7, 0] = np.nan
        bad = os.path.join(self.dir, "nan.pkl")
        with open(bad, "wb") as f:
            pickle.dump(d, f)
        r = run("--out", os.path.join(self.dir, "s"), bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("nan.pkl: ego position: value at (7, 0) is nan", r.stderr)

    def test_malformed_scenarios_are_one_error_line(self):
        """Inputs of the wrong shape (issue 23, finding 7) give one error line naming the file,
        exit 1 and no store; the traceback only with --debug."""
        if not SAMPLES:
            self.skipTest("SKIPPED: nuScenes samples absent")
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        import import_scenarionet as imp
        cases = {}
        d = imp.load_pickle(SAMPLES[0])
        sdc = d["metadata"]["sdc_id"]
        d["tracks"][sdc]["state"]["position"] = np.array([["a", "b", "c"]] * 10)
        cases["strings.pkl"] = ("malformed scenario (ValueError: could not convert string to float", d)
        d = imp.load_pickle(SAMPLES[0])
        d["tracks"][sdc]["state"]["length"] = np.array([])
        cases["nolength.pkl"] = ("malformed scenario (ValueError: zero-size array", d)
        d = imp.load_pickle(SAMPLES[0])
        for k in ("position", "heading", "velocity", "valid", "length", "width"):
            d["tracks"][sdc]["state"][k] = d["tracks"][sdc]["state"][k][:3]
        cases["short.pkl"] = ("no scene could be cut from the inputs", d)
        for name, (message, data) in cases.items():
            path = os.path.join(self.dir, name)
            with open(path, "wb") as f:
                pickle.dump(data, f)
            out = os.path.join(self.dir, "s-" + name)
            r = run("--out", out, "--quiet", path)
            self.assertEqual(r.returncode, 1, name)
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertTrue(r.stderr.startswith("error: "), r.stderr)
            self.assertIn(message, r.stderr)
            self.assertFalse(os.path.exists(out), "a store was left for " + name)
        r = run("--out", os.path.join(self.dir, "s-debug"), "--quiet", "--debug", os.path.join(self.dir, "strings.pkl"))
        self.assertIn("Traceback", r.stderr)
        # A length field of 2^60 bytes: refused before anything is allocated.
        huge = os.path.join(self.dir, "huge.pkl")
        with open(huge, "wb") as f:
            f.write(b"\x80\x04\x8e" + (1 << 60).to_bytes(8, "little") + b"abc")
        r = run("--out", os.path.join(self.dir, "s-huge"), huge)
        self.assertEqual(r.returncode, 1)
        self.assertIn("huge.pkl: not a readable pickle (a length field claims more", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)


@unittest.skipUnless(SAMPLES, "SKIPPED: nuScenes samples absent from ../shared/data-samples")
class NuscenesImportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.store = os.path.join(cls.dir, "nusc")
        r = run("--out", cls.store, "--quiet", *SAMPLES)
        assert r.returncode == 0, r.stderr
        cls.reader = StoreReader(cls.store)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def test_windows_per_recording(self):
        # 19.5-20 s recordings, 1.5 s history, >= 4 s future, every 0.5 s: 29-30 windows each.
        self.assertEqual(len(self.reader), 208)  # the 7 nuScenes-mini recordings of ../shared
        logs = {}
        for tok, log, *_ in self.reader.entries:
            logs[log] = logs.get(log, 0) + 1
        self.assertEqual(sorted(logs.values()), [29, 29, 30, 30, 30, 30, 30])

    def test_ego_size_swap_fixed_and_frames(self):
        s = self.reader.read(0)
        length, width = s["ego_size"]
        self.assertAlmostEqual(length, 4.08)
        self.assertAlmostEqual(width, 1.73)
        self.assertEqual(s["num_history"], 15)
        ego = s["ego"]
        # Velocity is in the ego frame: forward speed positive, lateral small.
        self.assertGreater(ego[15, 3], 1.0)
        self.assertLess(abs(ego[15, 4]), 0.5)

    def test_ego_centre_on_the_drivable_area(self):
        bad = 0
        total = 0
        drivable = {}
        for i in range(len(self.reader)):
            s = self.reader.read(i)
            if s["map_id"] not in drivable:
                m = self.reader.map(s["map_id"])
                shapes = [Polygon(rb["polygon"][0]) for rb in m["roadblocks"] if not rb["connector"]]
                shapes += [Polygon(a["polygon"][0]) for a in m["areas"]]
                drivable[s["map_id"]] = prep(unary_union(shapes))
            area = drivable[s["map_id"]]
            d = 4.08 * 1.461 / 5.176
            for x, y, h in s["ego"][s["num_history"]:, :3][::5]:
                total += 1
                bad += not area.contains(Point(x + d * math.cos(h), y + d * math.sin(h)))
        self.assertEqual(bad, 0, "%d of %d ego centres off the drivable area" % (bad, total))

    def test_routes_and_agents(self):
        s = self.reader.read(10)
        self.assertTrue(s["route"])
        m = self.reader.map(s["map_id"])
        ids = {rb["id"] for rb in m["roadblocks"]}
        self.assertTrue(set(s["route"]) <= ids)
        self.assertTrue(s["agents"])
        for a in s["agents"]:
            self.assertEqual(len(a["state"]), len(s["ego"]))
            self.assertTrue(a["valid"].any())
        types = {a["type"] for i in range(len(self.reader)) for a in self.reader.read(i)["agents"]}
        self.assertEqual(types, {0, 1, 2, 3})


if __name__ == "__main__":
    unittest.main()
