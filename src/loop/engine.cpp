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
#include "autoscale/mixture/baselines.h"
#include "autoscale/mixture/projection.h"
#include "autoscale/loop/statistics.h"
#include "job_context.h"
#include "autoscale/core/seeds.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMapPoints = 4000;  // points on the report's embedding map

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

void write_run_files(const ExperimentConfig& cfg, const RunPlan& plan, const ExperimentData& d, const fs::path& dir) {
  const fs::path run_json = dir / "run.json";
  const auto data = data_json(d);
  if (fs::exists(run_json)) {  // resuming: the data must be what the run started with
    const auto old = read_json(run_json);
    AUTOSCALE_CHECK(old.contains("data") && old.at("data") == data,
                    "{}: the scene stores or split changed since the run started (data counts differ); start a new run",
                    run_json.string());
    return;
  }
  write_file_atomic((dir / "config.yaml").string(), "# " + cfg.command_line + "\n" + cfg.config_yaml);
  nlohmann::json split = {{"train", nlohmann::json::array()}, {"val", nlohmann::json::array()},
                          {"test", nlohmann::json::array()}};
  for (const auto& [log, s] : d.splits) split[scene::split_name(s)].push_back(log);
  write_json(dir / "split.json", split);
  write_json(run_json, {{"format", "autoscale-run/1"},
                        {"command", cfg.command_line},
                        {"plan", plan.command},
                        {"created", utc_now()},
                        {"mode", cfg.loop.budget_mode},
                        {"iterations", cfg.loop.iterations},
                        {"steps", cfg.train.steps},
                        {"synthetic_budget", plan.budget},
                        {"clusters", d.clusters()},
                        {"methods", plan.methods},
                        {"seeds", plan.seeds},
                        {"budgets", plan.curve_budgets},
                        {"data", data}});
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

std::string real_syn(double real_share) {
  const int real = static_cast<int>(std::lround(100 * real_share));
  return fmt::format("{}:{}", real, 100 - real);
}

std::string pm(const std::vector<double>& x) {
  return std::isfinite(mean(x)) ? fmt::format("{:.3f} ± {:.3f}", mean(x), stddev(x)) : "–";
}

// Per test token, the PDMS averaged over the given results (seeds).
std::map<std::string, double> per_scene_mean(const std::vector<const JobResult*>& results) {
  std::map<std::string, std::pair<double, int>> acc;
  for (const auto* r : results) {
    for (size_t i = 0; i < r->test_tokens.size(); ++i) {
      auto& a = acc[r->test_tokens[i]];
      a.first += r->test_pdms[i], ++a.second;
    }
  }
  std::map<std::string, double> out;
  for (const auto& [token, a] : acc) {
    if (a.second == static_cast<int>(results.size())) out[token] = a.first / a.second;
  }
  return out;
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
  return p;
}

RunPlan read_run_plan(const std::string& run_dir) {
  const fs::path path = fs::path(run_dir) / "run.json";
  AUTOSCALE_CHECK(fs::exists(path), "{}: not a run directory (no run.json)", run_dir);
  const auto j = read_json(path);
  RunPlan p;
  p.command = field<std::string>(j, "plan", path);
  p.methods = field<std::vector<std::string>>(j, "methods", path);
  p.seeds = field<std::vector<uint64_t>>(j, "seeds", path);
  p.budget = field<int64_t>(j, "synthetic_budget", path);
  p.curve_budgets = field<std::vector<int64_t>>(j, "budgets", path);
  return p;
}

std::vector<JobSpec> plan_jobs(const RunPlan& plan, int64_t pool_size) {
  std::vector<JobSpec> jobs;
  for (uint64_t seed : plan.seeds) {
    for (const auto& m : plan.methods) {
      const int64_t n = m == "real_only" ? 0 : m == "vanilla_all" ? pool_size : plan.budget;
      jobs.push_back({m, n, seed});
    }
    for (int64_t b : plan.curve_budgets) {
      for (const char* m : {"vanilla_random", "autoscale"}) {
        if (std::find(plan.methods.begin(), plan.methods.end(), m) != plan.methods.end()) jobs.push_back({m, b, seed});
      }
    }
  }
  return jobs;
}

RunSummary run_experiment(const ExperimentConfig& cfg, const RunPlan& plan, const std::string& run_dir,
                          const RunSlice& slice) {
  const fs::path dir(run_dir);
  fs::create_directories(dir);
  const auto t0 = std::chrono::steady_clock::now();
  const ExperimentData data = ExperimentData::load(cfg, run_dir);
  spdlog::info("run data loaded in {:.1f} s", seconds_since(t0));
  write_run_files(cfg, plan, data, dir);
  write_embedding_map(cfg, data, dir);
  RunSummary summary;
  const auto jobs = plan_jobs(plan, static_cast<int64_t>(data.pool.size()));
  summary.jobs_total = jobs.size();
  AUTOSCALE_CHECK(slice.job < static_cast<int64_t>(jobs.size()), "{}: job {} of a plan with {} jobs (0..{})", run_dir,
                  slice.job, jobs.size(), jobs.size() - 1);
  StepBudget budget(slice.max_steps);
  for (size_t i = 0; i < jobs.size(); ++i) {
    if (slice.job >= 0 && static_cast<int64_t>(i) != slice.job) continue;
    spdlog::info("[{}/{}] {}", i + 1, jobs.size(), jobs[i].name());
    const auto result = run_job(cfg, data, jobs[i], (dir / "jobs" / jobs[i].name()).string(), budget);
    if (!result) break;  // the step budget is spent: the rest waits for --resume
    write_metrics(dir, jobs);
  }
  write_metrics(dir, jobs);
  // The comparison needs every job; with parallel array tasks the last one to finish writes it
  // (all would write the same file, atomically).
  for (const auto& job : jobs) {
    const std::string job_dir = (dir / "jobs" / job.name()).string();
    if (!fs::exists(fs::path(job_dir) / "result.json")) return summary;
    summary.results.push_back(read_job_result(job_dir));
  }
  summary.table = write_comparison(cfg, plan, summary.results, run_dir);
  summary.complete = true;
  return summary;
}

bool run_complete(const std::string& run_dir) { return fs::exists(fs::path(run_dir) / "compare.json"); }

std::string write_comparison(const ExperimentConfig& cfg, const RunPlan& plan, const std::vector<JobResult>& results,
                             const std::string& run_dir) {
  // Rows: (method, budget) in plan order; main-budget rows first, then the curve's.
  std::vector<std::pair<std::string, int64_t>> keys;
  std::map<std::pair<std::string, int64_t>, std::vector<const JobResult*>> groups;
  for (const auto& r : results) {
    const auto key = std::pair{r.spec.method, r.spec.budget};
    if (!groups.count(key)) keys.push_back(key);
    groups[key].push_back(&r);
  }
  const std::string reference = plan.methods.size() > 1 ? cfg.loop.compare.reference : "";
  const std::vector<const JobResult*>* ref = nullptr;
  for (const auto& key : keys) {  // the reference at the main budget (real_only, vanilla_all have their own)
    if (key.first == reference && (!ref || key.second == plan.budget)) ref = &groups[key];
  }
  const auto ref_scenes = ref ? per_scene_mean(*ref) : std::map<std::string, double>{};

  nlohmann::json rows = nlohmann::json::array();
  std::string md = fmt::format(
      "| Method | N_syn | Real:Syn | Seeds | NC | DAC | TTC | C | EP | PDMS | ΔPDMS vs {} [95% CI] | Search (s) |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
      reference.empty() ? "–" : reference);
  for (const auto& key : keys) {
    const auto& g = groups[key];
    std::map<std::string, std::vector<double>> v;
    std::vector<double> n_syn, share, search;
    for (const auto* r : g) {
      v["pdms"].push_back(r->test.score), v["nc"].push_back(r->test.nc), v["dac"].push_back(r->test.dac);
      v["ttc"].push_back(r->test.ttc), v["c"].push_back(r->test.c), v["ep"].push_back(r->test.ep);
      n_syn.push_back(static_cast<double>(r->n_syn)), share.push_back(r->real_share), search.push_back(r->search_seconds);
    }
    nlohmann::json m, s;
    for (const auto& [name, x] : v) m[name] = mean(x), s[name] = stddev(x);
    nlohmann::json delta = nullptr;
    std::string delta_md = "–";
    if (ref && &g != ref) {
      const auto mine = per_scene_mean(g);
      std::vector<double> a, b;
      for (const auto& [token, p] : mine) {
        const auto it = ref_scenes.find(token);
        if (it != ref_scenes.end()) a.push_back(p), b.push_back(it->second);
      }
      if (a.size() >= 2) {
        const auto d = paired_bootstrap(a, b, cfg.loop.compare.bootstrap, derive_seed(cfg.seed, "bootstrap"));
        delta = {{"mean", d.mean}, {"lo", d.lo}, {"hi", d.hi}, {"scenes", d.scenes}};
        delta_md = fmt::format("{:+.3f} [{:+.3f}, {:+.3f}]", d.mean, d.lo, d.hi);
      }
    }
    rows.push_back({{"method", key.first}, {"synthetic_budget", key.second}, {"seeds", g.size()},
                    {"n_syn", mean(n_syn)}, {"real_share", mean(share)}, {"search_seconds", mean(search)},
                    {"mean", m}, {"std", s}, {"delta", delta}});
    md += fmt::format("| {} | {:.0f} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1f} |\n", key.first, mean(n_syn),
                      real_syn(mean(share)), g.size(), pm(v["nc"]), pm(v["dac"]), pm(v["ttc"]), pm(v["c"]), pm(v["ep"]),
                      pm(v["pdms"]), delta_md, mean(search));
  }
  nlohmann::json curve = nlohmann::json::array();
  for (const char* method : {"vanilla_random", "autoscale"}) {
    std::vector<std::pair<int64_t, std::vector<double>>> points;
    for (const auto& key : keys) {
      if (key.first != method) continue;
      std::vector<double> p;
      for (const auto* r : groups[key]) p.push_back(r->test.score);
      points.push_back({key.second, p});
    }
    std::sort(points.begin(), points.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    if (points.size() < 2) continue;
    for (const auto& [budget, p] : points) {
      curve.push_back({{"method", method}, {"synthetic_budget", budget}, {"pdms_mean", mean(p)}, {"pdms_std", stddev(p)}});
    }
  }
  const fs::path dir(run_dir);
  write_json(dir / "compare.json", {{"reference", reference.empty() ? nlohmann::json(nullptr) : nlohmann::json(reference)},
                                    {"rows", rows}, {"curve", curve}});
  const std::string text = fmt::format("Test PDMS on {} (mean ± std over seeds, {} steps each)\n\n{}",
                                       cfg.eval.version == eval::PdmsVersion::kV1 ? "NAVSIM v1 PDMS" : "EPDMS", cfg.train.steps, md);
  write_file_atomic((dir / "summary.md").string(), text);
  return text;
}

}  // namespace autoscale::loop
