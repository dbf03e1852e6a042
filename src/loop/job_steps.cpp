#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/mixture/allocation.h"
#include "autoscale/mixture/baselines.h"
#include "autoscale/train/trainer.h"
#include "job_context.h"
#include "autoscale/core/seeds.h"
#include "autoscale/loop/scoring.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Selection random_within_clusters(const JobContext& ctx, const std::vector<double>& weights, uint64_t seed) {
  const auto& d = ctx.data;
  Selection s;
  s.weights = weights;
  s.quotas = mixture::allocate(ctx.spec.budget, weights, pool_sizes(d));
  for (size_t k = 0; k < s.quotas.size(); ++k) {
    const auto picked = mixture::random_subset(d.pool_by_cluster[k], s.quotas[k], derive_seed(seed, "cluster", {k}));
    s.rows.insert(s.rows.end(), picked.begin(), picked.end());
  }
  return s;
}

void write_selection(const JobContext& ctx, const fs::path& dir, const Selection& s) {
  nlohmann::json tokens = nlohmann::json::array();
  for (int64_t r : s.rows) tokens.push_back(ctx.data.data.info(static_cast<size_t>(r)).token);
  fs::create_directories(dir);
  write_json(dir / "selection.json", {{"tokens", tokens}, {"weights", s.weights}, {"quotas", s.quotas}});
}

Selection read_selection(const JobContext& ctx, const fs::path& dir) {
  const fs::path path = dir / "selection.json";
  const auto j = read_json(path);
  std::unordered_map<std::string, int64_t> row_of;
  for (int64_t r : ctx.data.pool) row_of.emplace(ctx.data.data.info(static_cast<size_t>(r)).token, r);
  Selection s;
  for (const auto& token : field<std::vector<std::string>>(j, "tokens", path)) {
    const auto it = row_of.find(token);
    AUTOSCALE_CHECK(it != row_of.end(), "{}: scene {} is not in the run's synthetic pool (were the stores changed?)",
                    path.string(), quote(token));
    s.rows.push_back(it->second);
  }
  s.weights = field<std::vector<double>>(j, "weights", path);
  s.quotas = field<std::vector<int64_t>>(j, "quotas", path);
  return s;
}

train::MixtureSpec training_mixture(const JobContext& ctx, const std::vector<int64_t>& synthetic_rows) {
  return training_mixture(ctx, ctx.data.real_train, synthetic_rows);
}

train::MixtureSpec training_mixture(const JobContext& ctx, const std::vector<int64_t>& real_rows,
                                    const std::vector<int64_t>& synthetic_rows) {
  train::MixtureSpec mix{{"real", "synthetic"}, {real_rows, synthetic_rows}, {}};
  const double share = ctx.config.data.synthetic_share;
  const double n_real = static_cast<double>(real_rows.size());
  const double n_syn = static_cast<double>(synthetic_rows.size());
  if (share < 0 || n_syn == 0) {
    mix.weights = {n_real, n_syn};
  } else {
    mix.weights = {1 - share, share};
  }
  return mix;
}

Training train_selection(const JobContext& ctx, const fs::path& dir, const Selection& selection, int64_t steps,
                         uint64_t seed, const TrainingPlan& plan) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto& cfg = ctx.config;
  Training t;
  t.planner = plan.start.empty()
                  ? std::make_unique<train::Planner>(cfg.train.planner, cfg.encode.graph, seed, cfg.train.device)
                  : std::make_unique<train::Planner>(train::Planner::load(plan.start, cfg.train.device));
  auto options = cfg.train;
  options.steps = steps;
  options.checkpoint_every = std::min(options.checkpoint_every, std::max<int64_t>(1, steps / 4));
  train::TrainRun run;
  run.out_dir = dir.string();
  run.seed = seed;
  run.resume = true;  // a checkpoint in the directory can only be this step's, from a killed run
  run.schedule_offset = plan.schedule_offset;
  run.schedule_total = plan.schedule_total;
  run.show_progress = cfg.show_progress;
  if (plan.validation_rows && !plan.validation_rows->empty()) {
    run.validation = &ctx.data.data;
    run.validation_rows = *plan.validation_rows;
  }
  const auto& real = plan.real_rows ? *plan.real_rows : ctx.data.real_train;
  const auto report = train::train_planner(*t.planner, ctx.data.data, training_mixture(ctx, real, selection.rows), options, run);
  spdlog::info("{}: trained {} steps on {} real + {} synthetic scenes (loss {:.4f}, {:.0f} samples/s)",
               ctx.spec.name(), report.steps, real.size(), selection.rows.size(), report.last_loss,
               report.samples_per_s);
  t.seconds = seconds_since(t0);
  return t;
}

namespace {
eval::EvalReport write_scores(eval::EvalReport report, const fs::path& csv_path) {
  fs::create_directories(csv_path.parent_path());
  write_file_atomic(csv_path.string(), eval::report_csv(report));
  return report;
}
}  // namespace

eval::EvalReport score_and_write(const JobContext& ctx, const train::Planner& planner, const std::vector<int64_t>& rows,
                                 const fs::path& csv_path) {
  return write_scores(score_planner(planner, ctx.data, rows, ctx.config.show_progress), csv_path);
}

eval::EvalReport score_and_write(const JobContext& ctx, const eval::Agent& agent, const std::vector<int64_t>& rows,
                                 const fs::path& csv_path) {
  return write_scores(score_agent(agent, ctx.data, rows, ctx.config.show_progress), csv_path);
}

std::vector<int64_t> label_gated_pool(const JobContext& ctx) {
  const auto& d = ctx.data;
  const double gate = ctx.config.loop.v2.label_min_pdms;
  if (gate <= 0) return d.pool;
  AUTOSCALE_CHECK(d.label_pdms.size() == d.data.size(),
                  "loop.v2.label_min_pdms: {} needs the pool's label scores (attach_label_scores was not run)", gate);
  std::vector<int64_t> kept;
  for (int64_t r : d.pool) {
    if (d.label_pdms[static_cast<size_t>(r)] >= gate) kept.push_back(r);
  }
  return kept;
}

std::vector<float> embedding_rows(const ExperimentData& d, const std::vector<int64_t>& rows) {
  const auto& e = d.embeddings;
  std::vector<float> z;
  z.reserve(rows.size() * static_cast<size_t>(e.dim));
  for (int64_t r : rows) {
    const auto first = e.z.begin() + d.embedding_row[static_cast<size_t>(r)] * e.dim;
    z.insert(z.end(), first, first + e.dim);
  }
  return z;
}

std::vector<int64_t> pool_sizes(const ExperimentData& d) {
  std::vector<int64_t> n;
  for (const auto& rows : d.pool_by_cluster) n.push_back(static_cast<int64_t>(rows.size()));
  return n;
}

nlohmann::json number_json(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json numbers_json(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(number_json(x));
  return a;
}

std::vector<double> read_numbers(const nlohmann::json& j, const char* name, const fs::path& file) {
  AUTOSCALE_CHECK(j.is_object() && j.contains(name) && j.at(name).is_array(), "{}: field {} is missing or not an array",
                  file.string(), name);
  std::vector<double> v;
  for (const auto& x : j.at(name)) {
    AUTOSCALE_CHECK(x.is_null() || x.is_number(), "{}: field {} holds {}, not a number", file.string(), name, x.dump());
    v.push_back(x.is_null() ? std::numeric_limits<double>::quiet_NaN() : x.get<double>());
  }
  return v;
}

nlohmann::json scores_json(const eval::SubScores& s, size_t scenes, bool v2) {
  const auto num = number_json;
  nlohmann::json j = {{"pdms", num(s.score)}, {"nc", num(s.nc)}, {"dac", num(s.dac)}, {"ddc", num(s.ddc)},
                      {"ttc", num(s.ttc)},    {"c", num(s.c)},   {"ep", num(s.ep)},   {"scenes", scenes}};
  if (v2) j.update({{"tlc", num(s.tlc)}, {"lk", num(s.lk)}, {"hc", num(s.hc)}, {"ec", num(s.ec)}});
  return j;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  AUTOSCALE_CHECK(in.good(), "{}: cannot open", path.string());
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", path.string(), e.what()));
  }
}

void write_json(const fs::path& path, const nlohmann::json& j) { write_file_atomic(path.string(), j.dump(1) + "\n"); }

}  // namespace autoscale::loop
