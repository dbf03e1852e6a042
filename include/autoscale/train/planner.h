// Learned planners (LibTorch behind a pimpl; callers pass plain vectors):
//   ego_mlp      NAVSIM's Ego-Status MLP baseline: speed, acceleration and command -> 8 poses.
//   transformer  the main planner: a transformer encoder over the scene's tokens (ego status and
//                past, agents with history, lane polylines with route/connector/speed/red-light
//                flags) and the route centerline; the ego token's output decodes the 8 poses
//                as a correction of driving the centerline at the current speed (as PDM-Hybrid
//                corrects PDM-Closed), so an untrained model already follows its lane.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/eval/metric_cache.h"
#include "autoscale/train/dataset.h"

namespace autoscale::train {

struct PlannerOptions {
  std::string kind = "transformer";  // transformer | ego_mlp
  int64_t d_model = 128;
  int64_t layers = 3;
  int64_t heads = 4;
  int64_t feedforward = 256;
  double dropout = 0.1;              // transformer: dropout in the encoder layers (training only)
  int64_t mlp_hidden = 512;          // ego_mlp hidden width (NAVSIM: 512)

  void visit(ConfigVisitor& v);
};

class Planner {
 public:
  // device: auto (CUDA when present) | cpu | cuda.
  Planner(PlannerOptions options, encode::GraphOptions graph, uint64_t seed, const std::string& device = "auto");
  ~Planner();
  Planner(Planner&&) noexcept;
  Planner& operator=(Planner&&) noexcept;

  // Model file: options, graph options and weights (what `autoscale eval --agent FILE` loads).
  static Planner load(const std::string& path, const std::string& device = "auto");
  void save(const std::string& path) const;  // atomic

  // rows x kTargetSize floats: (x, y, yaw) per pose in the rear-axle frame at t = 0.
  std::vector<float> predict(const PlannerDataset& data, const std::vector<int64_t>& rows, int64_t batch = 256) const;

  const PlannerOptions& options() const;
  const encode::GraphOptions& graph() const;
  std::string device() const;
  int64_t parameters() const;

  struct Impl;
  Impl& impl() { return *impl_; }
  const Impl& impl() const { return *impl_; }

 private:
  explicit Planner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The planner's plans for the rows, keyed by scene token, as the evaluator takes them.
std::unordered_map<std::string, eval::Plan> predict_plans(const Planner& planner, const PlannerDataset& data,
                                                          const std::vector<int64_t>& rows);

// Open-loop displacement error at 1, 2, 3 and 4 s (poses 2, 4, 6, 8), averaged over rows.
std::vector<double> l2_at_seconds(const PlannerDataset& data, const std::vector<int64_t>& rows,
                                  const std::vector<float>& predictions);

}  // namespace autoscale::train
