// `autoscale synth perturb` as a pipeline: every real scene of a store (or of one shard of it)
// perturbed `samples_per_scene` times, each sample given a future by a labeller (PDM-Closed, from
// eval, which this module may not name), kept when the label scores at least min_pdms, and
// written in input order whatever the thread timing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "autoscale/synth/perturb.h"
#include "autoscale/store/store.h"

namespace autoscale::scene {

struct PerturbLabel {
  std::vector<EgoState> future;  // the states after the current one
  double pdms = 0;               // the label's own score in the scene
  bool dac_ok = false;           // drivable-area compliance of the label
  bool nc_ok = false;            // no at-fault collision of the label
};
// Throws Error when the scene cannot be labelled (the sample is counted as failed).
using PerturbLabeller = std::function<PerturbLabel(const Scene& scene, std::shared_ptr<const Map> map)>;

struct PerturbStats {
  size_t inputs = 0;     // real scenes of the shard
  size_t labelled = 0;   // samples with a label
  size_t failed = 0;     // samples the labeller could not plan
  size_t kept = 0;       // written (label PDMS >= min_pdms)
  size_t dac_ok = 0, nc_ok = 0;  // among the labelled
  double seconds = 0;
};

// Reads the real scenes of rows shard, shard + shards, ... of `input`; adds the kept samples and
// their maps to `writer` (not closed).
PerturbStats perturb_store(const SceneStore& input, size_t shard, size_t shards, const PerturbOptions& options,
                           uint64_t seed, const PerturbLabeller& label, SceneStoreWriter& writer);

}  // namespace autoscale::scene
