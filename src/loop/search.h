// Internal to the loop module: the iterative methods, which search for cluster weights with
// proxy trainings (offline) or between the stages of one training (online):
//   autoscale  Cluster-GA on closed-loop feedback, failure-guided retrieval (mixture-design 4.4-4.6)
//   doge       Cluster-GA with only the gradient-alignment signal, random picks within clusters
//   doremi     group DRO on the excess loss over a real-only reference model
//   odm        an EXP3 bandit over clusters rewarded by the training loss
// and two searches that are not iterative: autoscale_v2 (evidence-gated, autoscale_v2.cpp) and
// random_best_of (best_of_random.cpp), which return their final selection at once.
// A search's state is plain JSON, saved after every iteration, so a killed run resumes it.
#pragma once

#include <memory>

#include "job_context.h"

namespace autoscale::loop {

class Search {
 public:
  virtual ~Search() = default;
  // Before the first iteration (DoReMi trains its reference model here).
  virtual void prepare(const JobContext& /*ctx*/) {}
  // The synthetic scenes iteration t trains on.
  virtual Selection select(const JobContext& ctx, int64_t t) = 0;
  // What iteration t's model says: updates the weights; returns the signals for iteration.json.
  // val: the model's validation scores (row order of ExperimentData::val).
  virtual nlohmann::json update(const JobContext& ctx, int64_t t, const train::Planner& planner,
                                const eval::EvalReport& val) = 0;
  // The final training's selection (offline mode).
  virtual Selection final_selection(const JobContext& ctx) = 0;
  virtual std::vector<double> weights() const = 0;
  virtual nlohmann::json save() const = 0;
  virtual void load(const nlohmann::json& state, const std::filesystem::path& file) = 0;
  // Seconds spent outside trainings and evaluation (gradients, losses, reference model).
  double extra_seconds = 0;
};

// The iterative searches (the method table, methods.cpp, names them). guided: AutoScale v1's
// failure-guided retrieval and closed-loop feedback; otherwise DoGE's alignment-only variant.
std::unique_ptr<Search> make_cluster_ga_search(const JobContext& ctx, bool guided);
std::unique_ptr<Search> make_doremi_search(const JobContext& ctx);
std::unique_ptr<Search> make_odm_search(const JobContext& ctx);

// A search that is not iterative (AutoScale v2, random_best_of): the final selection and what
// finding it cost.
struct FoundSelection {
  Selection selection;
  double search_seconds = 0;
};
FoundSelection autoscale_v2_selection(const JobContext& ctx);
// random_best_of (best_of_random.cpp): the best of loop.iterations random selections by proxy
// validation PDMS, compute-matched to AutoScale v1's search.
FoundSelection best_of_random_selection(const JobContext& ctx);

}  // namespace autoscale::loop
