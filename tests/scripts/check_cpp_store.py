#!/usr/bin/python3
"""check_cpp_store.py STORE EXPECTED.json: reads a store written by the C++ SceneStoreWriter with
h5py only (as docs/data-format.md tells h5py users to) and compares every scene with the values
the C++ test wrote to EXPECTED.json. Exit 0 on a match, 1 naming the first mismatch."""
import json
import os
import sys

import h5py
import numpy as np


def fail(message):
    print("mismatch: " + message, file=sys.stderr)
    sys.exit(1)


def close(a, b, what):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or not np.allclose(a, b, rtol=0, atol=1e-9):
        fail("%s: %s != %s" % (what, a.tolist(), b.tolist()))


def main(store, expected_path):
    expected = json.load(open(expected_path))
    idx = h5py.File(os.path.join(store, "index.h5"), "r")
    if idx.attrs["format"] != "autoscale-scene-store" or int(idx.attrs["schema_version"]) != 1:
        fail("index header %s" % dict(idx.attrs))
    tokens = list(idx["scenes/token"].asstr()[...])
    if sorted(tokens) != sorted(expected):
        fail("tokens %s != %s" % (tokens, sorted(expected)))
    shards = list(idx["shards/file"].asstr()[...])
    for i, tok in enumerate(tokens):
        want = expected[tok]
        shard, row = int(idx["scenes/shard"][i]), int(idx["scenes/row"][i])
        with h5py.File(os.path.join(store, shards[shard]), "r") as f:
            if f["scenes/token"].asstr()[row] != tok:
                fail("%s: index points at row holding %s" % (tok, f["scenes/token"].asstr()[row]))
            for key in ("log", "map_id"):
                if f["scenes/" + key].asstr()[row] != want[key]:
                    fail("%s: %s" % (tok, key))
            if int(f["scenes/domain"][row]) != want["domain"] or int(f["scenes/num_history"][row]) != want["num_history"]:
                fail("%s: domain/num_history" % tok)
            e0, e1 = f["scenes/ego_offset"][row:row + 2]
            close(f["ego/state"][e0:e1], want["ego"], tok + " ego")
            a0, a1 = f["scenes/agent_offset"][row:row + 2]
            so = f["agents/state_offset"][a0:a1 + 1]
            if a1 - a0 != len(want["agents"]):
                fail("%s: %d agents, expected %d" % (tok, a1 - a0, len(want["agents"])))
            for k, agent in enumerate(want["agents"]):
                if f["agents/id"].asstr()[a0 + k] != agent["id"] or int(f["agents/type"][a0 + k]) != agent["type"]:
                    fail("%s: agent %d id/type" % (tok, k))
                close(f["agents/size"][a0 + k], agent["size"], tok + " agent size")
                close(f["agents/state"][so[k]:so[k + 1]], agent["state"], tok + " agent state")
                close(f["agents/valid"][so[k]:so[k + 1]], agent["valid"], tok + " agent valid")
            r0, r1 = f["scenes/route_offset"][row:row + 2]
            if list(f["route/roadblock"].asstr()[r0:r1]) != want["route"]:
                fail("%s: route" % tok)
            l0, l1 = f["scenes/light_offset"][row:row + 2]
            lights = [[l, int(s)] for l, s in zip(f["traffic_lights/lane"].asstr()[l0:l1], f["traffic_lights/state"][l0:l1])]
            if lights != want["traffic_lights"]:
                fail("%s: traffic lights %s != %s" % (tok, lights, want["traffic_lights"]))
    print("ok: %d scenes match" % len(tokens))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
