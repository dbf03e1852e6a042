// Mixture sampling: each batch slot picks a group (the real data, a synthetic cluster) with the
// mixture weights, then the group's next sample in a per-epoch permutation (every sample of a
// group is seen once before any repeats). The stream is a pure function of (seed, groups,
// weights), and state() captures it mid-run so a resumed run draws exactly the same batches.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace autoscale::train {

class MixtureSampler {
 public:
  // groups: sample indices per group; weights: one per group (normalised over non-empty groups).
  MixtureSampler(std::vector<std::vector<int64_t>> groups, std::vector<double> weights, int64_t batch, uint64_t seed);

  std::vector<int64_t> next();  // one batch of sample indices
  int64_t step() const { return step_; }
  const std::vector<double>& probabilities() const { return probabilities_; }
  // Samples drawn from each group so far.
  const std::vector<int64_t>& drawn() const { return drawn_; }

  std::string state() const;              // a text snapshot of everything that moves
  void restore(const std::string& state);  // Error when it does not fit these groups

 private:
  int64_t draw_from(size_t group);
  void shuffle(size_t group);

  std::vector<std::vector<int64_t>> groups_;
  std::vector<double> probabilities_, cumulative_;
  int64_t batch_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  int64_t step_ = 0;
  std::vector<int64_t> cursor_, epoch_, drawn_;
  std::vector<std::vector<int64_t>> order_;  // the current epoch's permutation per group
};

}  // namespace autoscale::train
