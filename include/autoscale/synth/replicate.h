// Scale-test data: a store of any size made cheaply from a small one. Each copy of a source scene
// gets its own token and log (so splits, folds and leakage guards see as many logs as a large
// dataset has), a shifted timestamp, and its agents moved by a small per-agent offset (so no two
// copies are bit-identical and the encoder, k-means and FAISS see distinct points). The ego, its
// route and the map are kept: every copy stays a scene the scorer and the planners accept.
//
// Only for benchmarks (`autoscale bench scale`): a replica is not new data.
#pragma once

#include <cstdint>

#include "autoscale/store/store.h"

namespace autoscale::scene {

struct ReplicateOptions {
  size_t real = 0;             // real-domain copies to write
  size_t synthetic = 0;        // synthetic-domain copies (generator "replica"), derived from the real copies' logs
  double agent_jitter_m = 0.2; // standard deviation of each agent's constant offset, metres
  uint64_t seed = 0;
};

struct ReplicateStats {
  size_t real = 0, synthetic = 0;
  double seconds = 0;
};

// Streams `source` round after round (copy k of every scene in round k) into `real_out` and, when
// options.synthetic > 0, `synthetic_out` (neither closed). Error when the source holds no scene.
ReplicateStats replicate_store(const SceneStore& source, const ReplicateOptions& options, SceneStoreWriter& real_out,
                               SceneStoreWriter* synthetic_out);

// Copy `copy` of a scene: a real one has its token and log suffixed "~<copy>"; a synthetic one
// (variant `variant` of that round) gets the token "<token>~<copy>s<variant>", the log
// "replica-<log>~<copy>" and that real copy's log as its source. Timestamp shifted by `copy`
// hours, agents offset.
Scene replica(const Scene& scene, size_t copy, size_t variant, Domain domain, double agent_jitter_m, uint64_t seed);

}  // namespace autoscale::scene
