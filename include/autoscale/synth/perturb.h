// Perturbed starts of real scenes (as SimScale does for NAVSIM): the ego begins from a shifted,
// turned, faster or slower state, the recorded agents stay, and a pseudo-expert (PDM-Closed, in
// eval) labels the new future. This part draws the perturbation and moves the ego's past; the
// future is left empty for the labeller.
#pragma once

#include <cstdint>
#include <string>

#include "autoscale/core/config.h"
#include "autoscale/scene/types.h"

namespace autoscale::scene {

struct PerturbOptions {
  double max_lateral_m = 1.5;      // lateral offset drawn from [-max, max]
  double max_heading_rad = 0.15;   // heading offset drawn from [-max, max]
  double min_speed_factor = 0.7;   // speed scaled by a factor drawn from [min, max]
  double max_speed_factor = 1.3;
  int64_t samples_per_scene = 2;   // perturbed copies of each real scene
  double min_pdms = 0.8;           // pseudo-expert futures scoring below are dropped
  double future_s = 4.0;           // length of the pseudo-expert future (the simulated 4 s)

  void visit(ConfigVisitor& v);
  void validate() const;
};

struct Perturbation {
  double lateral = 0, heading = 0, speed_factor = 1;
  uint64_t seed = 0;  // the draw's own seed, recorded in the scene's provenance
};

// Deterministic in (run seed, token, k): a scene gets the same perturbations whatever the shard
// or thread that draws it.
Perturbation draw_perturbation(const PerturbOptions& options, uint64_t run_seed, const std::string& token, int k);

// The real scene with its ego past and present moved rigidly (about the current rear axle) by
// the perturbation and the current speed scaled; the future is cut (num_future = 0), the agents
// keep their recorded tracks over the original window. Token, domain, provenance and
// source_log are set for a synthetic scene.
Scene perturb_start(const Scene& real, const Perturbation& p, int k);

// After the future is labelled: every agent gets exactly one state per ego state again, and no
// light keeps future states past the new future.
void fit_agents_to_ego(Scene& scene);

}  // namespace autoscale::scene
