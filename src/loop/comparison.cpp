// The comparison of a run's methods (RUN/compare.json, RUN/summary.md) and of methods across
// runs (`autoscale paired`): two-level bootstrap CIs, paired deltas, MDEs, the solvable
// non-trivial subset, the PDMS-vs-N_syn curve and the selections' sources.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"
#include "autoscale/loop/engine.h"
#include "autoscale/loop/methods.h"
#include "autoscale/loop/statistics.h"
#include "comparison.h"
#include "job_context.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

namespace {

std::string real_syn(double real_share) {
  const int real = static_cast<int>(std::lround(100 * real_share));
  return fmt::format("{}:{}", real, 100 - real);
}

// Mean over runs, with ± std only when there are seeds to disagree.
std::string pm(const std::vector<double>& x, bool with_std) {
  if (!std::isfinite(mean(x))) return "–";
  return with_std ? fmt::format("{:.3f} ± {:.3f}", mean(x), stddev(x)) : fmt::format("{:.3f}", mean(x));
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

// A row of the table: a method (with its planner when planners are compared) at a budget.
using RowKey = std::pair<std::string, int64_t>;

// The results grouped by row, rows in plan order (main-budget rows first, then the curve's).
struct Rows {
  std::vector<RowKey> keys;
  std::map<RowKey, std::vector<const JobResult*>> groups;
  std::map<RowKey, const JobSpec*> specs;
};

Rows group_rows(const std::vector<JobResult>& results) {
  auto label = [&](const JobSpec& s) { return s.planner.empty() ? s.method : s.method + " (" + s.planner + ")"; };
  Rows rows;
  for (const auto& r : results) {
    const auto key = std::pair{label(r.spec), r.spec.budget};
    if (!rows.groups.count(key)) rows.keys.push_back(key), rows.specs[key] = &r.spec;
    rows.groups[key].push_back(&r);
  }
  return rows;
}

std::vector<ScoredRun> runs_of(const std::vector<const JobResult*>& group) {
  std::vector<ScoredRun> runs;
  for (const auto* r : group) runs.push_back(scored_run(*r));
  return runs;
}

// What every delta is measured against: loop.compare.reference at the main budget (real_only
// and vanilla_all have their own), when several methods or planners are compared.
struct Reference {
  std::string name;   // "" when there is none
  std::string label;  // with the first planner when planners are compared
  const std::vector<const JobResult*>* group = nullptr;
  std::vector<ScoredRun> runs;
};

Reference find_reference(const ExperimentConfig& cfg, const RunPlan& plan, const Rows& rows) {
  Reference ref;
  const bool several = plan.methods.size() > 1 || plan.planners.size() > 1;
  ref.name = several ? cfg.loop.compare.reference : "";
  ref.label = plan.planners.empty() ? ref.name : ref.name + " (" + plan.planners.front() + ")";
  for (const auto& key : rows.keys) {
    if (key.first == ref.label && (!ref.group || key.second == plan.budget)) ref.group = &rows.groups.at(key);
  }
  if (ref.group) ref.runs = runs_of(*ref.group);
  return ref;
}

// The bootstrap's settings, shared by every row.
// How every row of the table is measured.
struct RowSettings {
  int64_t resamples;           // bootstrap resamples
  uint64_t seed;               // the bootstrap's seed
  std::set<std::string> hard;  // the solvable, non-trivial windows
  bool v2 = false;             // EPDMS: also its own sub-scores TLC, LK, HC, EC
};

// One row of the table: its JSON, its markdown line, its selection shares line ("" when the
// results carry no sources) and its MDE against the reference (when it has an interval).
struct RowOut {
  nlohmann::json json;
  std::string md, sources_md;
  std::optional<double> mde;
};

// Mean share of the selection per generator, over the row's runs.
std::map<std::string, double> selection_sources(const std::vector<const JobResult*>& g) {
  std::map<std::string, double> sources;
  for (const auto* r : g) {
    int64_t total = 0;
    for (const auto& [name, n] : r->selection_sources) total += n;
    for (const auto& [name, n] : r->selection_sources) {
      sources[name] += static_cast<double>(n) / static_cast<double>(total) / static_cast<double>(g.size());
    }
  }
  return sources;
}

RowOut compare_row(const RowKey& key, const std::vector<const JobResult*>& g, const JobSpec& spec,
                   const Reference& ref, const RowSettings& boot) {
  RowOut out;
  std::map<std::string, std::vector<double>> v;
  std::vector<double> n_syn, share, search;
  for (const auto* r : g) {
    v["pdms"].push_back(r->test.score), v["nc"].push_back(r->test.nc), v["dac"].push_back(r->test.dac);
    v["ddc"].push_back(r->test.ddc);
    v["ttc"].push_back(r->test.ttc), v["c"].push_back(r->test.c), v["ep"].push_back(r->test.ep);
    if (boot.v2) {
      v["tlc"].push_back(r->test.tlc), v["lk"].push_back(r->test.lk), v["hc"].push_back(r->test.hc);
      v["ec"].push_back(r->test.ec);
    }
    n_syn.push_back(static_cast<double>(r->n_syn)), share.push_back(r->real_share), search.push_back(r->search_seconds);
  }
  const auto sources = selection_sources(g);
  if (!sources.empty()) {
    std::string shares;
    for (const auto& [name, s] : sources) shares += fmt::format("{}{} {:.3f}", shares.empty() ? "" : ", ", name, s);
    out.sources_md = fmt::format("| {} | {} | {} |\n", key.first, key.second, shares);
  }
  const auto runs = runs_of(g);
  const Effect pdms = two_level_bootstrap(runs, boot.resamples, boot.seed);
  const bool seeds = pdms.seeds >= 2;
  nlohmann::json m, sd;
  for (const auto& [name, x] : v) {
    m[name] = mean(x);
    sd[name] = seeds ? nlohmann::json(stddev(x)) : nlohmann::json(nullptr);
  }
  nlohmann::json delta = nullptr, delta_hard = nullptr, pdms_hard = nullptr;
  std::string delta_md = "–", mde_md = "–", hard_md = "–";
  const auto hard_runs = restrict_to(runs, boot.hard);
  if (!hard_runs.empty()) pdms_hard = effect_json(two_level_bootstrap(hard_runs, boot.resamples, boot.seed));
  if (ref.group && &g != ref.group) {
    const auto pairs = pair_runs(runs, ref.runs);
    size_t windows = 0;
    for (const auto& p : pairs) windows += p.values.size();
    if (windows > 0) {
      const Effect d = two_level_bootstrap(pairs, boot.resamples, boot.seed);
      delta = effect_json(d);
      delta_md = effect_md(d, true);
      if (d.has_ci) mde_md = fmt::format("{:.3f}", d.mde), out.mde = d.mde;
      const auto hard_pairs = restrict_to(pairs, boot.hard);
      if (!hard_pairs.empty()) {
        const Effect h = two_level_bootstrap(hard_pairs, boot.resamples, boot.seed);
        delta_hard = effect_json(h);
        hard_md = effect_md(h, true);
      }
    }
  }
  out.json = {{"method", spec.method}, {"planner", spec.planner}, {"label", key.first},
              {"synthetic_budget", key.second}, {"seeds", pdms.seeds},
              {"folds", pdms.folds}, {"runs", g.size()}, {"n_syn", mean(n_syn)}, {"real_share", mean(share)},
              {"search_seconds", mean(search)}, {"mean", m}, {"std", sd}, {"pdms", effect_json(pdms)},
              {"delta", delta}, {"pdms_hard", pdms_hard}, {"delta_hard", delta_hard},
              {"selection_sources", sources}};
  std::string subscores;
  for (const char* k : {"nc", "dac", "ddc", "ttc", "c", "ep", "tlc", "lk", "hc", "ec"}) {
    if (v.count(k)) subscores += pm(v[k], seeds) + " | ";
  }
  out.md = fmt::format("| {} | {:.0f} | {} | {} × {} | {}{} | {} | {} | {} | {:.1f} |\n", key.first, mean(n_syn),
                       real_syn(mean(share)), pdms.folds, pdms.seeds, subscores, effect_md(pdms, false), delta_md,
                       mde_md, hard_md, mean(search));
  return out;
}

// PDMS against N_syn for the methods on the curve (the first planner), where a method has two
// or more budgets.
nlohmann::json curve_json(const RunPlan& plan, const Rows& rows) {
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& info : methods()) {
    if (!info.on_curve) continue;
    const std::string& method = info.name;
    std::vector<std::pair<int64_t, std::vector<double>>> points;
    for (const auto& key : rows.keys) {
      const JobSpec& spec = *rows.specs.at(key);
      if (spec.method != method || spec.planner != (plan.planners.empty() ? "" : plan.planners.front())) continue;
      std::vector<double> p;
      for (const auto* r : rows.groups.at(key)) p.push_back(r->test.score);
      points.push_back({key.second, p});
    }
    std::sort(points.begin(), points.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    if (points.size() < 2) continue;
    for (const auto& [budget, p] : points) {
      curve.push_back({{"method", method}, {"synthetic_budget", budget}, {"pdms_mean", mean(p)},
                       {"pdms_std", p.size() >= 2 ? nlohmann::json(stddev(p)) : nlohmann::json(nullptr)}});
    }
  }
  return curve;
}

// RUN/summary.md: what was measured and how, the MDE and the subset's size, then the tables.
std::string summary_text(const ExperimentConfig& cfg, const RunPlan& plan, const std::string& table,
                         const std::string& sources_md, std::vector<double> mdes, size_t hard_windows) {
  std::sort(mdes.begin(), mdes.end());
  const std::string hard_line = fmt::format(
      "Solvable non-trivial test windows (human PDMS ≥ {}, constant velocity < {}): {}.\n", kSolvable, kTrivial,
      hard_windows);
  const std::string mde_line =
      mdes.empty() ? "No interval: every fold needs two or more seeds to measure seed noise.\n"
                   : fmt::format("Minimal detectable ΔPDMS (5% two-sided, 80% power): {:.3f} (median over methods).\n",
                                 mdes[mdes.size() / 2]);
  return fmt::format(
             "Test PDMS on {} ({} steps each; {}). CIs: two-level bootstrap over test logs within folds, then seeds; "
             "ΔPDMS paired by fold and seed on the same test windows.\n{}{}\n{}",
             cfg.eval.options().version == eval::PdmsVersion::kV1 ? "NAVSIM v1 PDMS" : "EPDMS", cfg.train.steps,
             plan.folds > 0 ? fmt::format("{} cross-fitted folds", plan.folds) : std::string("one split"), mde_line,
             hard_line, table) +
         (sources_md.empty() ? "" : "\nSynthetic selection by source (mean share over runs):\n\n| Method | N_syn | "
                                    "shares |\n|---|---|---|\n" + sources_md);
}

}  // namespace

std::string write_comparison(const ExperimentConfig& cfg, const RunPlan& plan, const std::vector<JobResult>& results,
                             const std::string& run_dir) {
  const Rows rows = group_rows(results);
  const Reference ref = find_reference(cfg, plan, rows);
  const bool v2 = cfg.eval.options().version == eval::PdmsVersion::kV2;
  const RowSettings boot{cfg.loop.compare.bootstrap, derive_seed(cfg.seed(), "bootstrap"), hard_windows(plan, run_dir), v2};
  nlohmann::json json_rows = nlohmann::json::array();
  std::string table = fmt::format(
      "| Method | N_syn | Real:Syn | Folds × seeds | NC | DAC | DDC | TTC | C | EP | {}PDMS [95% CI] | ΔPDMS vs {} "
      "[95% CI] | MDE | ΔPDMS, solvable non-trivial | Search (s) |\n"
      "|---|---|---|---|---|---|---|---|---|---|{}---|---|---|---|---|\n",
      v2 ? "TLC | LK | HC | EC | " : "", ref.name.empty() ? "–" : ref.label, v2 ? "---|---|---|---|" : "");
  std::vector<double> mdes;
  std::string sources_md;
  for (const auto& key : rows.keys) {
    RowOut row = compare_row(key, rows.groups.at(key), *rows.specs.at(key), ref, boot);
    json_rows.push_back(std::move(row.json));
    table += row.md;
    sources_md += row.sources_md;
    if (row.mde) mdes.push_back(*row.mde);
  }
  const fs::path dir(run_dir);
  write_json(dir / "compare.json", {{"reference", ref.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(ref.label)},
                                    {"statistics", "two-level bootstrap: test logs within folds, then seeds"},
                                    {"rows", json_rows}, {"curve", curve_json(plan, rows)}});
  const std::string text = summary_text(cfg, plan, table, sources_md, std::move(mdes), boot.hard.size());
  write_file_atomic((dir / "summary.md").string(), text);
  return text;
}

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

}  // namespace autoscale::loop
