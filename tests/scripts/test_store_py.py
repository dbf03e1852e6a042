#!/usr/bin/python3
"""The Python store module: round trip, append, duplicate tokens, NaN rejection, atomicity."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from autoscale_store import SceneDataset, StoreError, StoreReader, StoreWriter, ego_future, ego_status  # noqa: E402


def square_map(map_id="m"):
    ring = [[0, -2], [100, -2], [100, 2], [0, 2]]
    return dict(id=map_id, lanes=[dict(id="l1", roadblock="rb1", connector=False, speed_limit=13.4, left="", right="",
                                       centerline=[[0, 0], [100, 0]], polygon=ring, successors=[], predecessors=[])],
                roadblocks=[dict(id="rb1", connector=False, polygon=[ring])],
                areas=[dict(id="a", kind=3, polygon=[[[-5, -5], [105, -5], [105, 5], [-5, 5]],
                                                    [[40, 1], [41, 1], [41, 2], [40, 2]]])])


def scene(token, k=0, steps=12):
    ego = np.array([[t + k, 0.5, 0.01 * t, 10, 0, 0.1, 0] for t in range(steps)], dtype=float)
    state = np.array([[20 + t, 3, 0, 8, 0] for t in range(steps)], dtype=float)
    valid = np.array([t % 4 != 1 for t in range(steps)])
    return dict(token=token, log="log-%d" % (k % 2), map_id="m", domain=k % 2, timestamp_us=1000 * k, command=1,
                num_history=3, ego_size=(4.5, 1.9), generator="test", generator_params='{"k": %d}' % k, seed=k,
                source_log="", ego=ego, agents=[dict(id="a1", type=0, size=[4, 1.8, 1.5], state=state, valid=valid)],
                route=["rb1"], traffic_lights=[("l1", 3)], traffic_light_future=[[3, 3, 1] if k % 2 else []])


class StoreTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "store")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_round_trip_and_append(self):
        with StoreWriter(self.path, shard_size=2) as w:
            w.add_map(square_map())
            for k in range(5):
                w.add_scene(scene("t%d" % k, k))
            self.assertEqual(w.close(), 5)
        r = StoreReader(self.path)
        self.assertEqual(len(r), 5)
        self.assertEqual(len(r.shard_files), 3)
        s = r.read_token("t3")
        np.testing.assert_array_equal(s["ego"], scene("t3", 3)["ego"])
        np.testing.assert_array_equal(s["agents"][0]["valid"], scene("t3", 3)["agents"][0]["valid"])
        self.assertEqual(s["traffic_lights"], [("l1", 3)])
        self.assertEqual(s["traffic_light_future"], [[3, 3, 1] if 3 % 2 else []])
        self.assertEqual(r.read_token("t2")["traffic_light_future"], [[]])
        self.assertEqual(s["generator_params"], '{"k": 3}')
        m = r.map("m")
        self.assertEqual(len(m["areas"][0]["polygon"]), 2)  # exterior + hole
        with StoreWriter(self.path, append=True) as w:
            w.add_map(square_map())  # identical: reused
            w.add_scene(scene("t9", 9))
            with self.assertRaisesRegex(StoreError, "scene t1: duplicate token"):
                w.add_scene(scene("t1", 1))
            changed = square_map()
            changed["lanes"][0]["speed_limit"] = 1.0
            with self.assertRaisesRegex(StoreError, "map 'm' already exists with different content"):
                w.add_map(changed)
            w.close()
        self.assertEqual(len(StoreReader(self.path)), 6)

    def test_the_end_of_a_with_block_commits(self):
        with StoreWriter(self.path) as w:  # no close(): leaving the block cleanly commits
            w.add_map(square_map())
            w.add_scene(scene("t0"))
        self.assertEqual(list(StoreReader(self.path).tokens), ["t0"])

    def test_rejects_nan_naming_token_field_row(self):
        with StoreWriter(self.path) as w:
            w.add_map(square_map())
            bad = scene("bad")
            bad["ego"][4, 1] = np.nan
            with self.assertRaisesRegex(StoreError, "scene bad: ego state row 4 column y is nan"):
                w.add_scene(bad)
            bad = scene("bad2")
            bad["agents"][0]["state"][2, 3] = np.inf  # row 2 is valid
            with self.assertRaisesRegex(StoreError, "scene bad2: agent a1 state row 2 column vx is inf"):
                w.add_scene(bad)
            bad = scene("bad3")  # 12 states, 3 of history: 8 future steps
            bad["traffic_light_future"] = [[3] * 9]
            with self.assertRaisesRegex(StoreError, "scene bad3: light on lane l1: 9 future states"):
                w.add_scene(bad)
            bad["traffic_light_future"] = [[3, 7]]
            with self.assertRaisesRegex(StoreError, "scene bad3: light on lane l1: 2 future states .* each 0..3"):
                w.add_scene(bad)
            ok = scene("ok")
            ok["agents"][0]["state"][1, 0] = np.nan  # row 1 is not valid: allowed
            w.add_scene(ok)
            w.close()

    def test_failed_new_store_leaves_nothing(self):
        with self.assertRaises(RuntimeError):
            with StoreWriter(self.path, shard_size=1) as w:
                w.add_map(square_map())
                w.add_scene(scene("a"))
                w.add_scene(scene("b"))  # two shards written
                raise RuntimeError("importer died")
        self.assertFalse(os.path.exists(self.path))

    def test_failed_append_leaves_store_unchanged(self):
        with StoreWriter(self.path) as w:
            w.add_map(square_map())
            w.add_scene(scene("keep"))
            w.close()
        before = sorted(os.listdir(self.path))
        with self.assertRaises(RuntimeError):
            with StoreWriter(self.path, shard_size=1, append=True) as w:
                w.add_scene(scene("x"))
                raise RuntimeError("killed")
        self.assertEqual(sorted(os.listdir(self.path)), before)
        self.assertEqual(StoreReader(self.path).tokens, ["keep"])

    def test_scene_dataset_and_ego_frame_targets(self):
        a, b = os.path.join(self.dir, "ds-a"), os.path.join(self.dir, "ds-b")
        for path, ks in ((a, (0, 1, 2)), (b, (3, 4))):
            with StoreWriter(path) as w:
                w.add_map(square_map())
                for k in ks:
                    w.add_scene(scene("t%d" % k, k, steps=60))
                w.close()
        data = SceneDataset([a, b])
        self.assertEqual(len(data), 5)
        self.assertEqual([data[i]["token"] for i in range(5)], ["t0", "t1", "t2", "t3", "t4"])
        picked = SceneDataset([a, b], tokens=["t4", "t1"], transform=lambda s: (ego_status(s), ego_future(s)))
        status, future = picked[0]
        np.testing.assert_allclose(status, [10, 0, 0.1, 0])
        # ego x = t + k, y = 0.5, heading 0.01 t, from t = num_history = 3: in its own frame the
        # pose 0.5 s ahead is 5 steps along a line turned by -0.03 rad, heading +0.05.
        self.assertEqual(future.shape, (8, 3))
        c, s = np.cos(0.03), np.sin(0.03)
        np.testing.assert_allclose(future[0], [5 * c, -5 * s, 0.05], atol=1e-12)
        np.testing.assert_allclose(future[:, 2], 0.05 * np.arange(1, 9), atol=1e-12)
        self.assertIsNone(ego_future(SceneDataset(a)[0], poses=12))  # 3 + 60 steps > 60 states
        with self.assertRaises(StoreError) as e:
            SceneDataset([a], tokens=["t3"])
        self.assertIn("token t3 is in none of the stores", str(e.exception))

    def test_installs_as_a_module_offline(self):
        venv = os.path.join(self.dir, "venv")
        run = lambda *cmd: subprocess.run(cmd, capture_output=True, text=True)  # noqa: E731
        r = run("/usr/bin/python3", "-m", "venv", "--system-site-packages", venv)
        self.assertEqual(r.returncode, 0, r.stderr)
        # From a copy: a setuptools build writes build/ and *.egg-info beside the sources.
        src = os.path.join(self.dir, "src")
        os.makedirs(src)
        for name in ("pyproject.toml", "autoscale_store.py"):
            shutil.copy(os.path.join(ROOT, "scripts", name), src)
        r = run(os.path.join(venv, "bin", "python"), "-m", "pip", "install", "-q", "--no-index", "--no-build-isolation",
                "--no-deps", src)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run([os.path.join(venv, "bin", "python"), "-c",
                            "import autoscale_store, os; print(os.path.basename(autoscale_store.__file__), "
                            "autoscale_store.SceneDataset.__name__)"], capture_output=True, text=True, cwd=self.dir)
        self.assertEqual(r.stdout.split(), ["autoscale_store.py", "SceneDataset"], r.stderr)

    def test_refuses_non_empty_directory(self):
        os.makedirs(self.path)
        open(os.path.join(self.path, "x"), "w").close()
        with self.assertRaisesRegex(StoreError, "already exists and is not empty"):
            StoreWriter(self.path)


if __name__ == "__main__":
    unittest.main()
