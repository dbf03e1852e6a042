#include "autoscale/loop/engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/termination.h"
#include "autoscale/loop/run_dir.h"
#include "autoscale/mixture/baselines.h"
#include "autoscale/mixture/projection.h"
#include "autoscale/loop/scoring.h"
#include "autoscale/loop/statistics.h"
#include "comparison.h"
#include "job_context.h"
#include "scene_picture.h"
#include "autoscale/core/seeds.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMapPoints = 4000;  // points on the report's embedding map

// The synthetic budget of a method's main job.
int64_t main_budget(const std::string& method, int64_t budget, int64_t pool_size) {
  switch (method_info(method).budget) {
    case MethodBudget::kNone: return 0;
    case MethodBudget::kWholePool: return pool_size;
    case MethodBudget::kBudget: return budget;
  }
  return budget;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

nlohmann::json data_json(const ExperimentData& d) {
  std::vector<int64_t> pool_k, val_k;
  for (const auto& r : d.pool_by_cluster) pool_k.push_back(static_cast<int64_t>(r.size()));
  for (const auto& r : d.val_by_cluster) val_k.push_back(static_cast<int64_t>(r.size()));
  return {{"real_train", d.real_train.size()}, {"val", d.val.size()},   {"test", d.test.size()},
          {"pool", d.pool.size()},             {"leaked", d.leaked},    {"pool_per_cluster", pool_k},
          {"val_per_cluster", val_k}};
}

nlohmann::json split_json(const ExperimentData& d) {
  nlohmann::json split = {{"train", nlohmann::json::array()}, {"val", nlohmann::json::array()},
                          {"test", nlohmann::json::array()}};
  for (const auto& [log, s] : d.splits) split[scene::split_name(s)].push_back(log);
  return split;
}

// RUN/config.yaml and RUN/run.json (the plan), written before any data is loaded (d null) so
// that a run stopped while preparing resumes; without folds, run.json then gets the data counts
// and RUN/split.json the split (d given). A resumed run must see the data it started with.
void write_run_files(const ExperimentConfig& cfg, const RunPlan& plan, const ExperimentData* d, const fs::path& dir) {
  const fs::path run_json = dir / "run.json";
  if (fs::exists(run_json)) {
    if (!d) return;
    auto run = read_json(run_json);
    if (run.contains("data") && !run.at("data").is_null()) {
      AUTOSCALE_CHECK(run.at("data") == data_json(*d),
                      "{}: the scene stores or split changed since the run started (data counts differ); start a new "
                      "run",
                      run_json.string());
      return;
    }
    write_json(dir / "split.json", split_json(*d));
    run["clusters"] = d->clusters();
    run["data"] = data_json(*d);
    write_json(run_json, run);  // last: the data counts mark the preparation done
    return;
  }
  write_file_atomic((dir / "config.yaml").string(), "# " + cfg.command_line + "\n" + cfg.config_yaml);
  if (d) write_json(dir / "split.json", split_json(*d));
  nlohmann::json run = {{"format", "autoscale-run/1"},
                        {"command", cfg.command_line},
                        {"plan", plan.command},
                        {"created", utc_now()},
                        {"mode", cfg.loop.budget_mode},
                        {"iterations", cfg.loop.iterations},
                        {"steps", cfg.train.steps},
                        {"synthetic_budget", plan.budget},
                        {"clusters", d ? d->clusters() : cfg.mixture.kmeans.k},
                        {"methods", plan.methods},
                        {"seeds", plan.seeds},
                        {"budgets", plan.curve_budgets},
                        {"data", d ? data_json(*d) : nlohmann::json(nullptr)}};
  if (plan.folds > 0) run["folds"] = plan.folds;
  if (!plan.planners.empty()) run["planners"] = plan.planners;
  write_json(run_json, run);
}

// RUN/fold<k>/data.json and split.json: a fold's counts and split, checked on resume.
void write_fold_files(const ExperimentData& d, const fs::path& fold_dir) {
  const fs::path file = fold_dir / "data.json";
  if (fs::exists(file)) {
    AUTOSCALE_CHECK(read_json(file) == data_json(d),
                    "{}: the scene stores or split changed since the run started (data counts differ); start a new run",
                    file.string());
    return;
  }
  write_json(fold_dir / "split.json", split_json(d));
  write_json(file, data_json(d));
}

// Drops what scattered reads left in memory: the pool samples a job built and the shards its reads
// opened (each open shard keeps its inflated chunks; 32 of them were ~500 MiB of a 110k run).
void release_reads(const ExperimentData& d) {
  d.data.release_deferred();
  for (const auto& store : d.stores) store.close_shards();
}

// Where every scene sits on the first two principal axes (a seeded sample when there are many).
void write_embedding_map(const ExperimentConfig& cfg, const ExperimentData& d, const fs::path& dir) {
  const fs::path path = dir / "embedding_map.json";
  if (fs::exists(path)) return;
  std::vector<int64_t> all(d.data.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  auto rows = mixture::random_subset(all, kMapPoints, derive_seed(cfg.seed(), "map"));
  std::sort(rows.begin(), rows.end());
  if (rows.size() < 2) return;
  std::vector<int64_t> z_rows;
  for (int64_t r : rows) z_rows.push_back(d.embedding_row[static_cast<size_t>(r)]);
  const auto p = mixture::pca_2d(d.embeddings.z, d.embeddings.dim, z_rows);
  std::vector<char> pooled(d.data.size(), 0);
  for (int64_t r : d.pool) pooled[static_cast<size_t>(r)] = 1;
  nlohmann::json points = nlohmann::json::array();
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto r = static_cast<size_t>(rows[i]);
    const auto& info = d.data.info(r);
    const bool real = info.domain == scene::Domain::kReal;
    std::string split = "pool";
    if (real) {
      const auto it = d.splits.find(info.log);
      split = it == d.splits.end() ? "train" : scene::split_name(it->second);
    } else if (!pooled[r]) {
      split = "leaked";
    }
    points.push_back({{"x", std::round(p.xy[2 * i] * 1000) / 1000}, {"y", std::round(p.xy[2 * i + 1] * 1000) / 1000},
                      {"cluster", d.cluster[r]}, {"domain", real ? "real" : "synthetic"}, {"split", split}});
  }
  write_json(path, {{"explained", {p.explained[0], p.explained[1]}}, {"points", points}});
}

// RUN/clusters/cluster-K-J.svg: what each scene type looks like (the report's scene types).
// Pictures are for people: a failure to draw them must not fail the run.
void write_cluster_exemplars(const ExperimentData& d, const fs::path& dir) {
  if (fs::exists(dir / "cluster-0-1.svg")) return;  // a resumed run drew them
  try {
    write_cluster_pictures(d, dir);
  } catch (const std::exception& e) {
    spdlog::warn("no pictures of the scene types: {}", e.what());
  }
}

std::string json_line(const nlohmann::json& j) { return j.dump() + "\n"; }


// FOLD/reference_scores.json: the human (logged) trajectory's and constant velocity's PDMS on
// every test window, which tell the solvable, non-trivial windows (comparison.h).

void write_reference_scores(const ExperimentConfig& cfg, const ExperimentData& d, const fs::path& fold_dir) {
  const fs::path file = fold_dir / "reference_scores.json";
  if (fs::exists(file)) return;
  nlohmann::json out = {{"solvable_min_human", kSolvable}, {"trivial_min_constant_velocity", kTrivial}};
  for (const char* name : {"human", "constant_velocity"}) {
    const auto report = score_agent(*eval::make_agent(name), d, d.test, false);
    nlohmann::json scores = nlohmann::json::object();
    for (const auto& s : report.scenes) {
      if (s.valid) scores[s.token] = s.scores.score;
    }
    out[name] = scores;
  }
  write_json(file, out);
}

// RUN/metrics.jsonl: one line per completed iteration and job, rebuilt from their files after
// every job (so it is never half-written and a resumed run lists each step once).
void write_metrics(const fs::path& dir, const std::vector<JobSpec>& jobs) {
  std::string lines;
  for (const auto& spec : jobs) {
    const fs::path job = dir / "jobs" / spec.name();
    for (int t = 0; fs::exists(job / fmt::format("iter{}", t) / "iteration.json"); ++t) {
      const auto it = read_json(job / fmt::format("iter{}", t) / "iteration.json");
      lines += json_line({{"job", spec.name()}, {"event", "iteration"}, {"iteration", t}, {"val", it.at("val")},
                          {"weights", it.at("weights")}, {"quotas", it.at("quotas")}, {"seconds", it.at("seconds")}});
    }
    if (!fs::exists(job / "result.json")) continue;
    const auto r = read_json(job / "result.json");
    lines += json_line({{"job", spec.name()}, {"event", "final"}, {"test", r.at("test")}, {"val", r.at("val")},
                        {"n_syn", r.at("n_syn")}, {"search_seconds", r.at("search_seconds")},
                        {"train_seconds", r.at("train_seconds")}});
  }
  write_file_atomic((dir / "metrics.jsonl").string(), lines);
}

}  // namespace

std::vector<int64_t> fold_ids(const RunPlan& plan) {
  if (plan.folds <= 0) return {-1};
  std::vector<int64_t> ids;
  for (int64_t k = 0; k < plan.folds; ++k) ids.push_back(k);
  return ids;
}

RunPlan plan_for_run(const ExperimentConfig& cfg) {
  RunPlan p;
  p.command = "run";
  p.methods = {cfg.loop.method};
  p.seeds = {cfg.seed()};
  p.budget = cfg.loop.synthetic_budget;
  return p;
}

RunPlan plan_for_compare(const ExperimentConfig& cfg) {
  const auto& c = cfg.loop.compare;
  AUTOSCALE_CHECK(!c.methods.empty(), "loop.compare.methods: no methods to compare");
  RunPlan p;
  p.command = "compare";
  p.methods = c.methods;
  for (int64_t s = 0; s < c.seeds; ++s) p.seeds.push_back(cfg.seed() + static_cast<uint64_t>(s));
  p.budget = cfg.loop.synthetic_budget;
  for (double b : c.curve_budgets) {
    const auto n = static_cast<int64_t>(std::llround(b));
    if (n != p.budget && std::find(p.curve_budgets.begin(), p.curve_budgets.end(), n) == p.curve_budgets.end()) {
      p.curve_budgets.push_back(n);
    }
  }
  AUTOSCALE_CHECK(c.folds == 0 || cfg.data.split.folds > 0, "loop.compare.folds: {} needs cross-fitting (data.split.folds)",
                  c.folds);
  AUTOSCALE_CHECK(c.folds <= cfg.data.split.folds, "loop.compare.folds: {} of data.split.folds {}", c.folds,
                  cfg.data.split.folds);
  p.folds = c.folds > 0 ? c.folds : cfg.data.split.folds;
  p.planners = c.planners;
  return p;
}

RunPlan read_run_plan(const std::string& run_dir) {
  const fs::path path = fs::path(run_dir) / "run.json";
  const fs::path config = fs::path(run_dir) / "config.yaml";
  AUTOSCALE_CHECK(fs::exists(path) || !fs::exists(config),
                  "{}: the run was stopped before it wrote run.json, so there is nothing to resume; start it again "
                  "with `--config {} -o {}`",
                  run_dir, config.string(), run_dir);
  AUTOSCALE_CHECK(fs::exists(path), "{}: not a run directory (no run.json)", run_dir);
  const auto j = read_json(path);
  RunPlan p;
  p.command = field<std::string>(j, "plan", path);
  p.methods = field<std::vector<std::string>>(j, "methods", path);
  p.seeds = field<std::vector<uint64_t>>(j, "seeds", path);
  p.budget = field<int64_t>(j, "synthetic_budget", path);
  p.curve_budgets = field<std::vector<int64_t>>(j, "budgets", path);
  p.folds = j.contains("folds") ? field<int64_t>(j, "folds", path) : 0;
  p.planners = j.contains("planners") ? field<std::vector<std::string>>(j, "planners", path) : std::vector<std::string>{};
  return p;
}

std::vector<JobSpec> fold_jobs(const RunPlan& plan, int64_t fold, int64_t pool_size) {
  std::vector<JobSpec> jobs;
  const std::vector<std::string> planners = plan.planners.empty() ? std::vector<std::string>{""} : plan.planners;
  for (uint64_t seed : plan.seeds) {
    for (const auto& m : plan.methods) {
      for (const auto& planner : planners) jobs.push_back({m, main_budget(m, plan.budget, pool_size), seed, fold, planner});
    }
    for (int64_t b : plan.curve_budgets) {  // the curve with the first planner
      for (const auto& info : methods()) {  // in table order, so job indices do not depend on the config's order
        const bool planned = std::find(plan.methods.begin(), plan.methods.end(), info.name) != plan.methods.end();
        if (info.on_curve && planned) jobs.push_back({info.name, b, seed, fold, planners.front()});
      }
    }
  }
  return jobs;
}

std::vector<JobSpec> plan_jobs(const RunPlan& plan, int64_t pool_size) {
  std::vector<JobSpec> jobs;
  for (int64_t fold : fold_ids(plan)) {
    const auto f = fold_jobs(plan, fold, pool_size);
    jobs.insert(jobs.end(), f.begin(), f.end());
  }
  return jobs;
}

namespace {

RunSummary run_locked(const ExperimentConfig& cfg, const RunPlan& plan, const std::string& run_dir,
                      const RunSlice& slice);

}  // namespace

RunSummary run_experiment(const ExperimentConfig& cfg, const RunPlan& plan, const std::string& run_dir,
                          const RunSlice& slice) {
  const fs::path dir(run_dir);
  const size_t jobs_total = fold_jobs(plan, -1, 0).size() * fold_ids(plan).size();
  AUTOSCALE_CHECK(slice.job < static_cast<int64_t>(jobs_total), "{}: job {} of a plan with {} jobs (0..{})", run_dir,
                  slice.job, jobs_total, jobs_total - 1);
  fs::create_directories(dir);
  const auto lock = lock_run(run_dir, slice.job >= 0);
  const bool fresh = !fs::exists(dir / "run.json");
  write_run_files(cfg, plan, nullptr, dir);
  try {
    return run_locked(cfg, plan, run_dir, slice);
  } catch (const Interrupted&) {
    throw;  // stopped on a signal: the run resumes
  } catch (...) {
    // A run that failed before any of its data was prepared (a missing store, a bad split) is
    // no run: with its run.json gone, the corrected command starts it afresh instead of being
    // told to resume it.
    bool started = !fresh;
    try {
      started = started || run_prepared(run_dir) || fs::exists(dir / "fold0" / "data.json");
    } catch (...) {
      started = true;  // an unreadable run.json: leave it to the user, keep the first error
    }
    if (!started) {
      std::error_code ec;
      fs::remove(dir / "run.json", ec);
      fs::remove(dir / "config.yaml", ec);
    }
    throw;
  }
}

namespace {

RunSummary run_locked(const ExperimentConfig& cfg, const RunPlan& plan, const std::string& run_dir,
                      const RunSlice& slice) {
  const fs::path dir(run_dir);
  const size_t per_fold = fold_jobs(plan, -1, 0).size();
  RunSummary summary;
  summary.jobs_total = per_fold * fold_ids(plan).size();
  StepBudget budget(slice.max_steps);
  std::vector<JobSpec> all_jobs;  // of the folds whose pool size is known
  bool all_known = true, stopped = false;
  size_t first = 0;
  for (int64_t fold : fold_ids(plan)) {
    const fs::path fdir = fold < 0 ? dir : dir / fmt::format("fold{}", fold);
    const bool mine = slice.job < 0 || (static_cast<size_t>(slice.job) >= first &&
                                        static_cast<size_t>(slice.job) < first + per_fold);
    // A prepared fold's jobs are known from its data counts; its data is loaded only to run a
    // job that is not finished (prepare-only slices, max_steps 0, prepare every fold).
    std::vector<JobSpec> known;
    const fs::path data_file = fdir / (fold < 0 ? "run.json" : "data.json");
    if (fs::exists(data_file)) {
      const auto j = read_json(data_file);
      if (fold >= 0 || (j.contains("data") && j.at("data").is_object())) {
        known = fold_jobs(plan, fold, field<int64_t>(fold < 0 ? j.at("data") : j, "pool", data_file));
      }
    }
    const bool finished = !known.empty() && std::all_of(known.begin(), known.end(), [&](const JobSpec& job) {
      return fs::exists(dir / "jobs" / job.name() / "result.json");
    });
    if (!mine || finished || (stopped && slice.max_steps != 0)) {
      all_jobs.insert(all_jobs.end(), known.begin(), known.end());
      all_known = all_known && !known.empty();
      first += per_fold;
      continue;
    }
    fs::create_directories(fdir);
    auto fold_cfg = cfg;
    if (fold >= 0) fold_cfg.data.split.fold = fold;
    const auto t0 = std::chrono::steady_clock::now();
    ExperimentData data = ExperimentData::load(fold_cfg, fdir.string());
    const bool gates = cfg.loop.v2.label_min_pdms > 0 &&
                       std::any_of(plan.methods.begin(), plan.methods.end(),
                                   [](const std::string& m) { return method_info(m).scores_labels; });
    if (gates) attach_label_scores(fold_cfg, data, (dir / "label_scores.json").string());
    spdlog::info("run data{} loaded in {:.1f} s", fold < 0 ? "" : fmt::format(" of fold {}", fold), seconds_since(t0));
    if (fold < 0) {
      write_run_files(cfg, plan, &data, dir);
    } else {
      write_fold_files(data, fdir);
    }
    if (fold <= 0) {
      write_embedding_map(cfg, data, dir);
      write_cluster_exemplars(data, dir / "clusters");
    }
    write_reference_scores(fold_cfg, data, fdir);
    release_reads(data);  // pictures and reference scores read scattered scenes
    const auto jobs = fold_jobs(plan, fold, static_cast<int64_t>(data.pool.size()));
    all_jobs.insert(all_jobs.end(), jobs.begin(), jobs.end());
    for (size_t i = 0; i < jobs.size() && !stopped; ++i) {
      if (slice.job >= 0 && first + i != static_cast<size_t>(slice.job)) continue;
      spdlog::info("[{}/{}] {}", first + i + 1, summary.jobs_total, jobs[i].name());
      const auto result = run_job(fold_cfg, data, jobs[i], (dir / "jobs" / jobs[i].name()).string(), budget);
      release_reads(data);  // the next job draws its own pool samples: memory stays flat over jobs
      if (!result) stopped = true;  // the step budget is spent: the rest waits for --resume
      write_metrics(dir, all_jobs);
    }
    const auto cached = data.scoring_cache->stats();
    spdlog::info("scoring cache{}: {} scenes prepared once, {} rescorings served from them ({} not kept: "
                 "loop.scoring_cache_scenes {})",
                 fold < 0 ? "" : fmt::format(" of fold {}", fold), cached.entries, cached.hits, cached.not_kept,
                 data.scoring_cache->max_scenes());
    first += per_fold;
  }
  write_metrics(dir, all_jobs);
  if (!all_known) return summary;
  // The comparison needs every job; with parallel array tasks the last one to finish writes it
  // (all would write the same file, atomically).
  for (const auto& job : all_jobs) {
    const std::string job_dir = (dir / "jobs" / job.name()).string();
    if (!fs::exists(fs::path(job_dir) / "result.json")) return summary;
    summary.results.push_back(read_job_result(job_dir));
    summary.results.back().spec = job;  // the plan's spec (its planner and fold) names the row
  }
  summary.table = write_comparison(cfg, plan, summary.results, run_dir);
  summary.complete = true;
  return summary;
}

}  // namespace

bool run_complete(const std::string& run_dir) { return fs::exists(fs::path(run_dir) / "compare.json"); }

}  // namespace autoscale::loop
