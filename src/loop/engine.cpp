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
#include "job_context.h"
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
                        {"clusters", d ? d->clusters() : cfg.kmeans.k},
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

// Where every scene sits on the first two principal axes (a seeded sample when there are many).
void write_embedding_map(const ExperimentConfig& cfg, const ExperimentData& d, const fs::path& dir) {
  const fs::path path = dir / "embedding_map.json";
  if (fs::exists(path)) return;
  std::vector<int64_t> all(d.data.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  auto rows = mixture::random_subset(all, kMapPoints, derive_seed(cfg.seed, "map"));
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

std::string json_line(const nlohmann::json& j) { return j.dump() + "\n"; }

std::vector<int64_t> fold_ids(const RunPlan& plan) {
  if (plan.folds <= 0) return {-1};
  std::vector<int64_t> ids;
  for (int64_t k = 0; k < plan.folds; ++k) ids.push_back(k);
  return ids;
}

std::string real_syn(double real_share) {
  const int real = static_cast<int>(std::lround(100 * real_share));
  return fmt::format("{}:{}", real, 100 - real);
}

// Mean over runs, with ± std only when there are seeds to disagree.
std::string pm(const std::vector<double>& x, bool with_std) {
  if (!std::isfinite(mean(x))) return "–";
  return with_std ? fmt::format("{:.3f} ± {:.3f}", mean(x), stddev(x)) : fmt::format("{:.3f}", mean(x));
}

// FOLD/reference_scores.json: the human (logged) trajectory's and constant velocity's PDMS on
// every test window. A window is "solvable and non-trivial" (NAVSIM filters navtest this way)
// when the human scores ≥ 0.9 and constant velocity < 0.9: only there can data matter.
constexpr double kSolvable = 0.9, kTrivial = 0.9;

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

// The solvable, non-trivial test windows over every fold's reference scores.
std::set<std::string> hard_windows(const RunPlan& plan, const fs::path& dir) {
  std::set<std::string> tokens;
  for (int64_t fold : fold_ids(plan)) {
    const fs::path file = (fold < 0 ? dir : dir / fmt::format("fold{}", fold)) / "reference_scores.json";
    if (!fs::exists(file)) continue;
    const auto j = read_json(file);
    const auto& cv = j.at("constant_velocity");
    for (const auto& [token, human] : j.at("human").items()) {
      if (human.get<double>() >= kSolvable && cv.contains(token) && cv.at(token).get<double>() < kTrivial) {
        tokens.insert(token);
      }
    }
  }
  return tokens;
}

// The windows of `runs` in `keep`.
std::vector<ScoredRun> restrict_to(const std::vector<ScoredRun>& runs, const std::set<std::string>& keep) {
  std::vector<ScoredRun> out;
  for (const auto& r : runs) {
    ScoredRun k{r.fold, r.seed, {}, {}, {}};
    for (size_t i = 0; i < r.tokens.size(); ++i) {
      if (!keep.count(r.tokens[i])) continue;
      k.tokens.push_back(r.tokens[i]), k.logs.push_back(r.logs[i]), k.values.push_back(r.values[i]);
    }
    if (!k.values.empty()) out.push_back(std::move(k));
  }
  return out;
}

// A result's test windows as a run of the two-level bootstrap.
ScoredRun scored_run(const JobResult& r) { return {r.spec.fold, r.spec.seed, r.test_tokens, r.test_logs, r.test_pdms}; }

nlohmann::json effect_json(const Effect& e) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"mean", num(e.mean)}, {"lo", num(e.lo)},       {"hi", num(e.hi)},     {"se", num(e.se)},
          {"mde", num(e.mde)},   {"has_ci", e.has_ci},    {"folds", e.folds},    {"seeds", e.seeds},
          {"logs", e.logs},      {"windows", e.windows}};
}

std::string effect_md(const Effect& e, bool signed_mean) {
  const std::string m = signed_mean ? fmt::format("{:+.3f}", e.mean) : fmt::format("{:.3f}", e.mean);
  if (!e.has_ci) return m;
  return signed_mean ? fmt::format("{} [{:+.3f}, {:+.3f}]", m, e.lo, e.hi) : fmt::format("{} [{:.3f}, {:.3f}]", m, e.lo, e.hi);
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

RunPlan plan_for_run(const ExperimentConfig& cfg) {
  RunPlan p;
  p.command = "run";
  p.methods = {cfg.loop.method};
  p.seeds = {cfg.seed};
  p.budget = cfg.loop.synthetic_budget;
  return p;
}

RunPlan plan_for_compare(const ExperimentConfig& cfg) {
  const auto& c = cfg.loop.compare;
  AUTOSCALE_CHECK(!c.methods.empty(), "loop.compare.methods: no methods to compare");
  RunPlan p;
  p.command = "compare";
  p.methods = c.methods;
  for (int64_t s = 0; s < c.seeds; ++s) p.seeds.push_back(cfg.seed + static_cast<uint64_t>(s));
  p.budget = cfg.loop.synthetic_budget;
  for (double b : c.curve_budgets) {
    const auto n = static_cast<int64_t>(std::llround(b));
    if (n != p.budget && std::find(p.curve_budgets.begin(), p.curve_budgets.end(), n) == p.curve_budgets.end()) {
      p.curve_budgets.push_back(n);
    }
  }
  AUTOSCALE_CHECK(c.folds == 0 || cfg.split.folds > 0, "loop.compare.folds: {} needs cross-fitting (data.split.folds)",
                  c.folds);
  AUTOSCALE_CHECK(c.folds <= cfg.split.folds, "loop.compare.folds: {} of data.split.folds {}", c.folds,
                  cfg.split.folds);
  p.folds = c.folds > 0 ? c.folds : cfg.split.folds;
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
    if (fold >= 0) fold_cfg.split.fold = fold;
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
    if (fold <= 0) write_embedding_map(cfg, data, dir);
    write_reference_scores(fold_cfg, data, fdir);
    const auto jobs = fold_jobs(plan, fold, static_cast<int64_t>(data.pool.size()));
    all_jobs.insert(all_jobs.end(), jobs.begin(), jobs.end());
    for (size_t i = 0; i < jobs.size() && !stopped; ++i) {
      if (slice.job >= 0 && first + i != static_cast<size_t>(slice.job)) continue;
      spdlog::info("[{}/{}] {}", first + i + 1, summary.jobs_total, jobs[i].name());
      const auto result = run_job(fold_cfg, data, jobs[i], (dir / "jobs" / jobs[i].name()).string(), budget);
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

CrossRunDelta compare_across_runs(const std::string& run_a, const std::string& method_a, const std::string& run_b,
                                  const std::string& method_b, int64_t resamples, uint64_t seed) {
  auto runs_of = [](const std::string& run, const std::string& method_at) {
    // "method" at the run's main budget, or "method@N" at budget N (a curve's jobs).
    const auto at = method_at.find('@');
    const std::string method = method_at.substr(0, at);
    int64_t budget = -1;
    if (at != std::string::npos) {
      try {
        size_t used = 0;
        budget = std::stoll(method_at.substr(at + 1), &used);
        AUTOSCALE_CHECK(used == method_at.size() - at - 1 && budget >= 0, "bad budget");
      } catch (const std::exception&) {
        AUTOSCALE_THROW("{}: expected METHOD or METHOD@BUDGET, got {}", run, quote(method_at));
      }
    }
    const fs::path jobs = fs::path(run) / "jobs";
    AUTOSCALE_CHECK(fs::is_directory(jobs), "{}: not a run directory (no jobs/)", run);
    const RunPlan plan = read_run_plan(run);  // the main budget and first planner: a curve's jobs are not it
    const std::string planner = plan.planners.empty() ? "" : plan.planners.front();
    std::vector<ScoredRun> runs;
    std::set<std::pair<int64_t, uint64_t>> seen;
    std::set<std::string> names;  // sorted: the same order on every file system
    for (const auto& e : fs::directory_iterator(jobs)) {
      if (fs::exists(e.path() / "result.json")) names.insert(e.path().string());
    }
    for (const auto& dir : names) {
      const auto r = read_job_result(dir);
      if (r.spec.method != method) continue;
      const bool main_budget = budget >= 0 ? r.spec.budget == budget
                                           : method_info(method).budget != MethodBudget::kBudget || r.spec.budget == plan.budget;
      if (!main_budget || (!planner.empty() && r.planner != planner)) continue;
      AUTOSCALE_CHECK(seen.insert({r.spec.fold, r.spec.seed}).second, "{}: two jobs of {} for fold {} seed {}", run,
                      quote(method), r.spec.fold, r.spec.seed);
      runs.push_back(scored_run(r));
    }
    AUTOSCALE_CHECK(!runs.empty(), "{}: no finished job of {}", run, quote(method_at));
    return runs;
  };
  CrossRunDelta out;
  const auto pairs = pair_runs(runs_of(run_a, method_a), runs_of(run_b, method_b));
  AUTOSCALE_CHECK(!pairs.empty(), "{} {} and {} {}: no run of the same fold and seed in both", run_a, method_a, run_b,
                  method_b);
  out.pairs = pairs.size();
  out.delta = two_level_bootstrap(pairs, resamples, seed);
  return out;
}

std::string write_comparison(const ExperimentConfig& cfg, const RunPlan& plan, const std::vector<JobResult>& results,
                             const std::string& run_dir) {
  // Rows: (method, budget) in plan order; main-budget rows first, then the curve's.
  // A row is a method (with its planner when planners are compared) at a budget.
  auto label = [&](const JobSpec& s) { return s.planner.empty() ? s.method : s.method + " (" + s.planner + ")"; };
  std::vector<std::pair<std::string, int64_t>> keys;
  std::map<std::pair<std::string, int64_t>, std::vector<const JobResult*>> groups;
  std::map<std::pair<std::string, int64_t>, const JobSpec*> specs;
  for (const auto& r : results) {
    const auto key = std::pair{label(r.spec), r.spec.budget};
    if (!groups.count(key)) keys.push_back(key), specs[key] = &r.spec;
    groups[key].push_back(&r);
  }
  const bool several = plan.methods.size() > 1 || plan.planners.size() > 1;
  const std::string reference = several ? cfg.loop.compare.reference : "";
  const std::string ref_label =
      plan.planners.empty() ? reference : reference + " (" + plan.planners.front() + ")";
  const std::vector<const JobResult*>* ref = nullptr;
  for (const auto& key : keys) {  // the reference at the main budget (real_only, vanilla_all have their own)
    if (key.first == ref_label && (!ref || key.second == plan.budget)) ref = &groups[key];
  }
  auto runs_of = [](const std::vector<const JobResult*>& g) {
    std::vector<ScoredRun> runs;
    for (const auto* r : g) runs.push_back(scored_run(*r));
    return runs;
  };
  const auto ref_runs = ref ? runs_of(*ref) : std::vector<ScoredRun>{};
  const int64_t resamples = cfg.loop.compare.bootstrap;
  const std::set<std::string> hard = hard_windows(plan, fs::path(run_dir));
  const uint64_t boot_seed = derive_seed(cfg.seed, "bootstrap");

  nlohmann::json rows = nlohmann::json::array();
  std::string md = fmt::format(
      "| Method | N_syn | Real:Syn | Folds × seeds | NC | DAC | TTC | C | EP | PDMS [95% CI] | ΔPDMS vs {} [95% CI] "
      "| MDE | ΔPDMS, solvable non-trivial | Search (s) |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
      reference.empty() ? "–" : ref_label);
  std::vector<double> mdes;
  std::string sources_md;  // the selections' shares per synthetic source (exact, per row)
  for (const auto& key : keys) {
    const auto& g = groups[key];
    std::map<std::string, std::vector<double>> v;
    std::vector<double> n_syn, share, search;
    for (const auto* r : g) {
      v["pdms"].push_back(r->test.score), v["nc"].push_back(r->test.nc), v["dac"].push_back(r->test.dac);
      v["ttc"].push_back(r->test.ttc), v["c"].push_back(r->test.c), v["ep"].push_back(r->test.ep);
      n_syn.push_back(static_cast<double>(r->n_syn)), share.push_back(r->real_share), search.push_back(r->search_seconds);
    }
    std::map<std::string, double> sources;  // mean share of the selection per generator
    for (const auto* r : g) {
      int64_t total = 0;
      for (const auto& [name, n] : r->selection_sources) total += n;
      for (const auto& [name, n] : r->selection_sources) {
        sources[name] += static_cast<double>(n) / static_cast<double>(total) / static_cast<double>(g.size());
      }
    }
    if (!sources.empty()) {
      std::string shares;
      for (const auto& [name, s] : sources) shares += fmt::format("{}{} {:.3f}", shares.empty() ? "" : ", ", name, s);
      sources_md += fmt::format("| {} | {} | {} |\n", key.first, key.second, shares);
    }
    const auto runs = runs_of(g);
    const Effect pdms = two_level_bootstrap(runs, resamples, boot_seed);
    const bool seeds = pdms.seeds >= 2;
    nlohmann::json m, sd;
    for (const auto& [name, x] : v) {
      m[name] = mean(x);
      sd[name] = seeds ? nlohmann::json(stddev(x)) : nlohmann::json(nullptr);
    }
    nlohmann::json delta = nullptr, delta_hard = nullptr, pdms_hard = nullptr;
    std::string delta_md = "–", mde_md = "–", hard_md = "–";
    const auto hard_runs = restrict_to(runs, hard);
    if (!hard_runs.empty()) pdms_hard = effect_json(two_level_bootstrap(hard_runs, resamples, boot_seed));
    if (ref && &g != ref) {
      const auto pairs = pair_runs(runs, ref_runs);
      size_t windows = 0;
      for (const auto& p : pairs) windows += p.values.size();
      if (windows > 0) {
        const Effect d = two_level_bootstrap(pairs, resamples, boot_seed);
        delta = effect_json(d);
        delta_md = effect_md(d, true);
        if (d.has_ci) mde_md = fmt::format("{:.3f}", d.mde), mdes.push_back(d.mde);
        const auto hard_pairs = restrict_to(pairs, hard);
        if (!hard_pairs.empty()) {
          const Effect h = two_level_bootstrap(hard_pairs, resamples, boot_seed);
          delta_hard = effect_json(h);
          hard_md = effect_md(h, true);
        }
      }
    }
    rows.push_back({{"method", specs[key]->method}, {"planner", specs[key]->planner}, {"label", key.first},
                    {"synthetic_budget", key.second}, {"seeds", pdms.seeds},
                    {"folds", pdms.folds}, {"runs", g.size()}, {"n_syn", mean(n_syn)}, {"real_share", mean(share)},
                    {"search_seconds", mean(search)}, {"mean", m}, {"std", sd}, {"pdms", effect_json(pdms)},
                    {"delta", delta}, {"pdms_hard", pdms_hard}, {"delta_hard", delta_hard},
                    {"selection_sources", sources}});
    md += fmt::format("| {} | {:.0f} | {} | {} × {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1f} |\n",
                      key.first, mean(n_syn), real_syn(mean(share)), pdms.folds, pdms.seeds, pm(v["nc"], seeds),
                      pm(v["dac"], seeds), pm(v["ttc"], seeds), pm(v["c"], seeds), pm(v["ep"], seeds),
                      effect_md(pdms, false), delta_md, mde_md, hard_md, mean(search));
  }
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& info : methods()) {
    if (!info.on_curve) continue;
    const std::string& method = info.name;
    std::vector<std::pair<int64_t, std::vector<double>>> points;
    for (const auto& key : keys) {
      if (specs[key]->method != method || specs[key]->planner != (plan.planners.empty() ? "" : plan.planners.front())) {
        continue;
      }
      std::vector<double> p;
      for (const auto* r : groups[key]) p.push_back(r->test.score);
      points.push_back({key.second, p});
    }
    std::sort(points.begin(), points.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    if (points.size() < 2) continue;
    for (const auto& [budget, p] : points) {
      curve.push_back({{"method", method}, {"synthetic_budget", budget}, {"pdms_mean", mean(p)},
                       {"pdms_std", p.size() >= 2 ? nlohmann::json(stddev(p)) : nlohmann::json(nullptr)}});
    }
  }
  const fs::path dir(run_dir);
  write_json(dir / "compare.json", {{"reference", reference.empty() ? nlohmann::json(nullptr) : nlohmann::json(ref_label)},
                                    {"statistics", "two-level bootstrap: test logs within folds, then seeds"},
                                    {"rows", rows}, {"curve", curve}});
  std::sort(mdes.begin(), mdes.end());
  const std::string hard_line = fmt::format(
      "Solvable non-trivial test windows (human PDMS ≥ {}, constant velocity < {}): {}.\n", kSolvable, kTrivial,
      hard.size());
  const std::string mde_line =
      mdes.empty() ? "No interval: every fold needs two or more seeds to measure seed noise.\n"
                   : fmt::format("Minimal detectable ΔPDMS (5% two-sided, 80% power): {:.3f} (median over methods).\n",
                                 mdes[mdes.size() / 2]);
  const std::string text = fmt::format(
      "Test PDMS on {} ({} steps each; {}). CIs: two-level bootstrap over test logs within folds, then seeds; "
      "ΔPDMS paired by fold and seed on the same test windows.\n{}{}\n{}",
      cfg.eval.version == eval::PdmsVersion::kV1 ? "NAVSIM v1 PDMS" : "EPDMS", cfg.train.steps,
      plan.folds > 0 ? fmt::format("{} cross-fitted folds", plan.folds) : std::string("one split"), mde_line, hard_line,
      md) + (sources_md.empty() ? "" : "\nSynthetic selection by source (mean share over runs):\n\n| Method | N_syn | "
                                       "shares |\n|---|---|---|\n" + sources_md);
  write_file_atomic((dir / "summary.md").string(), text);
  return text;
}

}  // namespace autoscale::loop
