// Internal to the loop module: what the steps of one job share, and the steps themselves
// (train on a selection, score, write JSON), used by job.cpp and the searches.
#pragma once

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "autoscale/core/error.h"
#include "autoscale/eval/evaluate.h"
#include "autoscale/loop/job.h"
#include "autoscale/train/planner.h"

namespace autoscale::loop {

struct JobContext {
  const ExperimentConfig& config;
  const ExperimentData& data;
  const JobSpec& spec;
  std::filesystem::path dir;
};

// The synthetic part of a training mixture.
struct Selection {
  std::vector<int64_t> rows;      // rows of the run's samples
  std::vector<double> weights;    // cluster weights behind it (empty: none)
  std::vector<int64_t> quotas;    // per-cluster quotas (empty: none)
};

// Per-cluster random picks at the quotas: how stratified, DoReMi, DoGE and ODM fill a quota.
Selection random_within_clusters(const JobContext& ctx, const std::vector<double>& weights, uint64_t seed);

void write_selection(const JobContext& ctx, const std::filesystem::path& dir, const Selection& s);
Selection read_selection(const JobContext& ctx, const std::filesystem::path& dir);  // Error names the file

// The real-to-synthetic sampling weights of a training mixture (natural or data.synthetic_share).
train::MixtureSpec training_mixture(const JobContext& ctx, const std::vector<int64_t>& synthetic_rows);
// ... with these real rows instead of the run's real training scenes (cross-fitted proxies).
train::MixtureSpec training_mixture(const JobContext& ctx, const std::vector<int64_t>& real_rows,
                                    const std::vector<int64_t>& synthetic_rows);

struct Training {
  std::unique_ptr<train::Planner> planner;
  double seconds = 0;
};

// How one training starts and what it measures besides its loss.
struct TrainingPlan {
  std::string start;                 // a planner file to continue (online stages); "" = a fresh planner
  int64_t schedule_offset = 0;       // this training's place in a longer learning-rate schedule ...
  int64_t schedule_total = 0;        // ... of this many steps (0 = its own steps)
  const std::vector<int64_t>* real_rows = nullptr;        // instead of the run's real training scenes
  const std::vector<int64_t>* validation_rows = nullptr;  // validation L2 curve in metrics.jsonl/csv
};

// Trains in `dir` (resuming a killed training there): `steps` steps from a fresh planner seeded
// with `seed`, or as `plan` says.
Training train_selection(const JobContext& ctx, const std::filesystem::path& dir, const Selection& selection,
                         int64_t steps, uint64_t seed, const TrainingPlan& plan = {});

// Scores the planner on rows and writes the per-scene CSV to `csv_path`.
eval::EvalReport score_and_write(const JobContext& ctx, const train::Planner& planner, const std::vector<int64_t>& rows,
                                 const std::filesystem::path& csv_path);
// The same for any agent (an external planner's plans).
eval::EvalReport score_and_write(const JobContext& ctx, const eval::Agent& agent, const std::vector<int64_t>& rows,
                                 const std::filesystem::path& csv_path);

// v2: with EPDMS's own sub-scores (TLC, LK, HC, EC), which v1 does not measure.
nlohmann::json scores_json(const eval::SubScores& s, size_t scenes, bool v2 = false);

// The embeddings of rows of the run's samples, row-major (rows × dim).
std::vector<float> embedding_rows(const ExperimentData& data, const std::vector<int64_t>& rows);

// The pool rows whose own label scores at least loop.v2.label_min_pdms (autoscale_v2's quality
// gate, and gated_random's pool); the whole pool when the gate is 0. Error: the label scores
// were not attached to a gated run.
std::vector<int64_t> label_gated_pool(const JobContext& ctx);

// Synthetic pool size per cluster (what allocate() caps quotas by).
std::vector<int64_t> pool_sizes(const ExperimentData& data);

// NaN-safe JSON numbers: NaN and inf are written as null and read back as NaN. Reading names
// the file and field of a value that is missing or not a number.
nlohmann::json number_json(double v);
nlohmann::json numbers_json(const std::vector<double>& v);
std::vector<double> read_numbers(const nlohmann::json& j, const char* name, const std::filesystem::path& file);
nlohmann::json read_json(const std::filesystem::path& path);  // Error names the file
void write_json(const std::filesystem::path& path, const nlohmann::json& j);  // atomic

// A required field of a JSON object, converted; Error names the file and the field.
template <class T>
T field(const nlohmann::json& j, const char* name, const std::filesystem::path& file) {
  try {
    return j.at(name).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: field {}: {}", file.string(), name, e.what()));
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0);

}  // namespace autoscale::loop
