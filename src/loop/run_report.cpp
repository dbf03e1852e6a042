#include "autoscale/loop/run_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "job_context.h"
#include "svg.h"

namespace autoscale::loop {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
main{max-width:1180px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555}table{border-collapse:collapse;margin:8px 0;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid #e4e4e4;text-align:right}th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}tr:nth-child(even) td{background:#f6f6f6}
tr.best td{background:#e3f2e1;font-weight:600}.charts{display:flex;flex-wrap:wrap;gap:12px}
svg{background:#fff;border:1px solid #e4e4e4}svg .t{font-size:13px;font-weight:600;text-anchor:middle}
svg .xt{font-size:10px;text-anchor:middle}svg .yt{font-size:10px;text-anchor:end}svg .xl{font-size:11px;text-anchor:middle}
figure.scene{margin:0}figure.thumb svg{width:372px;height:auto}svg .lg{font-size:11px}svg .c{font-size:10px;text-anchor:middle}svg .g{stroke:#eee}svg .a{stroke:#888}
pre{background:#fff;border:1px solid #e4e4e4;padding:8px;overflow:auto;font-size:12px}
)";

const char* kScores[] = {"nc", "dac", "ttc", "c", "ep", "pdms"};

// A sub-score's key as its column name: "ddc" -> "DDC".
std::string upper(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return key;
}

double number(const json& o, const char* key, const fs::path& file) {
  AUTOSCALE_CHECK(o.is_object() && o.contains(key), "{}: field {} is missing", file.string(), key);
  const auto& v = o.at(key);
  if (v.is_null()) return std::nan("");
  AUTOSCALE_CHECK(v.is_number(), "{}: field {} is {}, not a number", file.string(), key, v.dump());
  return v.get<double>();
}

std::string f3(double v) { return std::isfinite(v) ? fmt::format("{:.3f}", v) : "–"; }

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  AUTOSCALE_CHECK(in.good(), "{}: cannot open (is this a run directory?)", path.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Job {
  std::string name;
  json result;  // null while unfinished
  std::vector<json> iterations;
};

std::vector<Job> read_jobs(const fs::path& dir) {
  std::vector<Job> jobs;
  if (!fs::exists(dir / "jobs")) return jobs;
  for (const auto& e : fs::directory_iterator(dir / "jobs")) {
    if (!e.is_directory()) continue;
    Job j;
    j.name = e.path().filename().string();
    if (fs::exists(e.path() / "result.json")) j.result = read_json(e.path() / "result.json");
    for (int t = 0; fs::exists(e.path() / fmt::format("iter{}", t) / "iteration.json"); ++t) {
      j.iterations.push_back(read_json(e.path() / fmt::format("iter{}", t) / "iteration.json"));
    }
    jobs.push_back(std::move(j));
  }
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.name < b.name; });
  return jobs;
}

// The data counts: run.json's, or in a cross-fitted run the sum over the folds prepared so far.
json data_counts(const json& run, const fs::path& run_file, const fs::path& dir) {
  if (!run.contains("folds")) {
    AUTOSCALE_CHECK(run.contains("data") && run.at("data").is_object(), "{}: field data is missing", run_file.string());
    return run.at("data");
  }
  json sum = {{"real_train", 0}, {"val", 0}, {"test", 0}, {"pool", 0}, {"leaked", 0}};
  for (int64_t k = 0; k < field<int64_t>(run, "folds", run_file); ++k) {
    const fs::path file = dir / fmt::format("fold{}", k) / "data.json";
    if (!fs::exists(file)) continue;
    const auto d = read_json(file);
    for (auto& [key, value] : sum.items()) value = value.get<int64_t>() + field<int64_t>(d, key.c_str(), file);
  }
  return sum;
}

std::string summary_section(const json& run, const fs::path& run_file, const std::vector<Job>& jobs, const fs::path& dir) {
  const auto d = data_counts(run, run_file, dir);
  const bool folds = run.contains("folds");
  std::string s = "<h2>Summary</h2>";
  s += fmt::format("<p class=meta>Command <code>{}</code><br>Mode {}, {} iterations, {} optimiser steps per training, "
                   "N<sub>syn</sub> {}, {} clusters.<br>Real{}: {} training, {} validation, {} test scenes. Synthetic pool "
                   "{} scenes ({} dropped by the leakage guard: derived from held-out logs).</p>",
                   svg::escape(field<std::string>(run, "command", run_file)), svg::escape(field<std::string>(run, "mode", run_file)),
                   field<int64_t>(run, "iterations", run_file), field<int64_t>(run, "steps", run_file),
                   field<int64_t>(run, "synthetic_budget", run_file), field<int64_t>(run, "clusters", run_file),
                   folds ? fmt::format(", summed over {} cross-fitted folds", field<int64_t>(run, "folds", run_file)) : "",
                   field<int64_t>(d, "real_train", run_file), field<int64_t>(d, "val", run_file), field<int64_t>(d, "test", run_file),
                   field<int64_t>(d, "pool", run_file), field<int64_t>(d, "leaked", run_file));
  // Every sub-score the jobs measured: DDC always, EPDMS's own four when the run scored v2.
  std::vector<const char*> keys = {"nc", "dac", "ddc", "ttc", "c", "ep"};
  bool v2 = false;
  for (const auto& j : jobs) v2 = v2 || (!j.result.is_null() && j.result.contains("test") && j.result.at("test").contains("tlc"));
  if (v2) keys.insert(keys.end(), {"tlc", "lk", "hc", "ec"});
  keys.push_back("pdms");
  s += "<table><tr><th>Job</th><th>Method</th><th>Seed</th><th>N_syn</th>";
  for (const char* k : keys) {
    s += "<th>" + (k == std::string("pdms") ? std::string(v2 ? "Test EPDMS" : "Test PDMS") : upper(k)) + "</th>";
  }
  s += "<th>Search (s)</th><th>Train (s)</th></tr>";
  for (const auto& j : jobs) {
    if (j.result.is_null()) {
      s += fmt::format("<tr><td>{}</td><td colspan={}>unfinished ({} iterations done)</td></tr>", svg::escape(j.name),
                       keys.size() + 5, j.iterations.size());
      continue;
    }
    const fs::path file = dir / "jobs" / j.name / "result.json";
    const auto& r = j.result;
    AUTOSCALE_CHECK(r.contains("test"), "{}: field test is missing", file.string());
    const auto& t = r.at("test");
    s += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>", svg::escape(j.name),
                     svg::escape(field<std::string>(r, "method", file)), field<int64_t>(r, "seed", file),
                     field<int64_t>(r, "n_syn", file));
    for (const char* k : keys) s += "<td>" + (t.contains(k) || !v2 ? f3(number(t, k, file)) : std::string("–")) + "</td>";
    s += fmt::format("<td>{:.1f}</td><td>{:.1f}</td></tr>", number(r, "search_seconds", file), number(r, "train_seconds", file));
  }
  return s + "</table>";
}

std::string comparison_section(const fs::path& dir) {
  const fs::path file = dir / "compare.json";
  if (!fs::exists(file)) return "";
  const auto c = read_json(file);
  AUTOSCALE_CHECK(c.contains("rows") && c.at("rows").is_array(), "{}: field rows is missing", file.string());
  const std::string reference = c.contains("reference") && c.at("reference").is_string() ? c.at("reference").get<std::string>() : "";
  std::string s = "<h2>Comparison</h2><p class=meta>Test sub-scores: mean over runs (± std over runs with two or more "
                  "seeds). PDMS and ΔPDMS" + (reference.empty() ? std::string() : " against " + svg::escape(reference)) +
                  ": 95% CI of a two-level bootstrap (test logs within folds, then seeds), ΔPDMS paired by fold and seed "
                  "on the same windows; MDE: the smallest ΔPDMS this run detects at 80% power. No interval with one "
                  "seed. Every method trains the same number of steps.</p>";
  // EPDMS's own sub-scores where the run scored v2.
  bool v2 = false;
  for (const auto& r : c.at("rows")) v2 = v2 || (r.contains("mean") && r.at("mean").contains("tlc"));
  std::vector<const char*> keys = {"nc", "dac", "ddc", "ttc", "c", "ep"};
  if (v2) keys.insert(keys.end(), {"tlc", "lk", "hc", "ec"});
  s += "<table><tr><th>Method</th><th>N_syn</th><th>Real:Syn</th><th>Seeds</th>";
  for (const char* k : keys) s += "<th>" + upper(k) + "</th>";
  s += "<th>PDMS [95% CI]</th><th>ΔPDMS [95% CI]</th><th>MDE</th><th>Search (s)</th></tr>";
  // An effect object of compare.json: "mean [lo, hi]", the interval only where there is one.
  auto effect = [&](const json& e, bool signed_mean) {
    const double m = number(e, "mean", file);
    std::string out = signed_mean ? fmt::format("{:+.3f}", m) : f3(m);
    if (e.value("has_ci", false)) {
      out += signed_mean ? fmt::format(" [{:+.3f}, {:+.3f}]", number(e, "lo", file), number(e, "hi", file))
                         : fmt::format(" [{:.3f}, {:.3f}]", number(e, "lo", file), number(e, "hi", file));
    }
    return out;
  };
  double best = -1;
  for (const auto& r : c.at("rows")) best = std::max(best, number(r.at("mean"), "pdms", file));
  for (const auto& r : c.at("rows")) {
    AUTOSCALE_CHECK(r.contains("mean") && r.contains("std"), "{}: a row lacks mean or std", file.string());
    const double pdms = number(r.at("mean"), "pdms", file);
    const double share = number(r, "real_share", file);
    const int real = static_cast<int>(std::lround(100 * share));
    s += fmt::format("<tr{}><td>{}</td><td>{:.0f}</td><td>{}:{}</td><td>{}</td>", pdms == best ? " class=best" : "",
                     svg::escape(field<std::string>(r, r.contains("label") ? "label" : "method", file)),
                     number(r, "n_syn", file), real, 100 - real,
                     field<int64_t>(r, "seeds", file));
    auto columns = keys;
    if (!r.contains("pdms")) columns.push_back("pdms");  // else shown with its interval below
    for (const char* k : columns) {
      if (!r.at("mean").contains(k)) {  // a compare.json from before DDC was aggregated
        s += "<td>–</td>";
        continue;
      }
      const double sd = number(r.at("std"), k, file);
      s += std::isfinite(sd) ? fmt::format("<td>{} ± {}</td>", f3(number(r.at("mean"), k, file)), f3(sd))
                             : "<td>" + f3(number(r.at("mean"), k, file)) + "</td>";
    }
    if (r.contains("pdms")) s += "<td>" + effect(r.at("pdms"), false) + "</td>";
    const auto& d = r.contains("delta") ? r.at("delta") : json();
    s += d.is_null() ? "<td>–</td><td>–</td>"
                     : "<td>" + effect(d, true) + "</td><td>" + f3(d.contains("mde") ? number(d, "mde", file) : NAN) +
                           "</td>";
    s += fmt::format("<td>{:.1f}</td></tr>", number(r, "search_seconds", file));
  }
  s += "</table>";
  // PDMS against N_syn, one line per method.
  if (c.contains("curve") && c.at("curve").is_array() && !c.at("curve").empty()) {
    std::vector<int64_t> budgets;
    std::map<std::string, std::map<int64_t, std::pair<double, double>>> by_method;
    for (const auto& p : c.at("curve")) {
      const auto b = field<int64_t>(p, "synthetic_budget", file);
      if (std::find(budgets.begin(), budgets.end(), b) == budgets.end()) budgets.push_back(b);
      by_method[field<std::string>(p, "method", file)][b] = {number(p, "pdms_mean", file), number(p, "pdms_std", file)};
    }
    std::sort(budgets.begin(), budgets.end());
    std::vector<std::string> x;
    for (auto b : budgets) x.push_back(std::to_string(b));
    std::vector<svg::Series> series;
    for (const auto& [method, points] : by_method) {
      svg::Series ser{method, {}, {}};
      for (auto b : budgets) {
        const auto it = points.find(b);
        ser.y.push_back(it == points.end() ? std::nan("") : it->second.first);
        ser.err.push_back(it == points.end() ? std::nan("") : it->second.second);
      }
      series.push_back(ser);
    }
    s += "<div class=charts>" + svg::line_chart("Test PDMS against the synthetic budget", "N_syn [scenes]", "PDMS", x, series) +
         "</div>";
  }
  return s;
}

std::string loop_section(const fs::path& dir, const std::vector<Job>& jobs) {
  std::string s;
  std::map<std::string, bool> shown;  // one job per method: the first by name (lowest seed)
  for (const auto& j : jobs) {
    if (j.iterations.empty()) continue;
    const std::string method = j.name.substr(0, j.name.rfind("_n"));
    if (shown[method]) continue;
    shown[method] = true;
    const fs::path file = dir / "jobs" / j.name / "iter0" / "iteration.json";
    std::vector<std::string> x;
    std::vector<svg::Series> scores;
    for (const char* k : kScores) scores.push_back({k == std::string("pdms") ? "PDMS" : k, {}, {}});
    for (size_t t = 0; t < j.iterations.size(); ++t) {
      x.push_back(std::to_string(t));
      AUTOSCALE_CHECK(j.iterations[t].contains("val"), "{}: field val is missing", file.string());
      for (size_t k = 0; k < scores.size(); ++k) scores[k].y.push_back(number(j.iterations[t].at("val"), kScores[k], file));
    }
    s += fmt::format("<h3>{}</h3><div class=charts>", svg::escape(j.name));
    s += svg::line_chart("Validation scores per iteration", "iteration", "score", x, scores);
    // Mixture weights: w^t of each iteration, then the weights it ended with.
    std::vector<std::vector<double>> weights;
    for (const auto& it : j.iterations) weights.push_back(read_numbers(it, "weights", file));
    if (j.iterations.back().contains("next_weights")) weights.push_back(read_numbers(j.iterations.back(), "next_weights", file));
    std::vector<std::string> wx = x;
    if (weights.size() > x.size()) wx.push_back("final");
    std::vector<svg::Series> stacks;
    for (size_t k = 0; k < weights.front().size(); ++k) {
      svg::Series ser{fmt::format("cluster {}", k), {}, {}};
      for (const auto& w : weights) ser.y.push_back(k < w.size() ? w[k] : 0);
      stacks.push_back(ser);
    }
    s += svg::stacked_bars("Synthetic mixture weight per cluster", "iteration", "weight", wx, stacks);
    if (j.iterations.front().contains("cluster_pdms")) {
      std::vector<std::string> rows;
      std::vector<std::vector<double>> values;
      const auto counts = j.iterations.front().contains("cluster_count") ? read_numbers(j.iterations.front(), "cluster_count", file)
                                                                         : std::vector<double>{};
      const size_t K = weights.front().size();
      for (size_t k = 0; k < K; ++k) {
        // A cluster without validation scenes holds only the shrinkage prior: not a measurement,
        // so its cells stay empty instead of showing the prior as if it had been measured.
        const bool unmeasured = k < counts.size() && counts[k] == 0;
        rows.push_back(unmeasured ? fmt::format("cluster {} (no val scenes)", k)
                       : k < counts.size() ? fmt::format("cluster {} ({})", k, static_cast<int64_t>(counts[k]))
                                           : fmt::format("cluster {}", k));
        values.emplace_back();
        for (const auto& it : j.iterations) {
          const auto p = read_numbers(it, "cluster_pdms", file);
          values.back().push_back(k < p.size() && !unmeasured ? p[k] : std::nan(""));
        }
      }
      s += svg::heatmap("Validation PDMS per cluster (shrunk; val scenes)", rows, x, values);
    }
    s += "</div>";
  }
  return s.empty() ? "" : "<h2>Closed loop per iteration</h2>" + s;
}

// The final training's curves from its metrics.jsonl: the loss, and validation L2 at 1–4 s
// where the training measured it; "" without the file (an external planner keeps its own).
std::string training_curves(const fs::path& metrics) {
  if (!fs::exists(metrics)) return "";
  std::vector<std::string> x, val_x;
  svg::Series loss{"training loss", {}, {}};
  std::vector<svg::Series> l2;
  for (int k = 1; k <= 4; ++k) l2.push_back({fmt::format("{} s", k), {}, {}});
  std::ifstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    const auto m = json::parse(line, nullptr, false);
    if (m.is_discarded() || !m.contains("loss") || !m.contains("step")) continue;
    const std::string step = std::to_string(m.at("step").get<int64_t>());
    x.push_back(step);
    loss.y.push_back(m.at("loss").is_number() ? m.at("loss").get<double>() : std::nan(""));
    if (!m.contains("val_l2_1s")) continue;
    val_x.push_back(step);
    for (int k = 1; k <= 4; ++k) {
      const auto& v = m.value("val_l2_" + std::to_string(k) + "s", json());
      l2[static_cast<size_t>(k - 1)].y.push_back(v.is_number() ? v.get<double>() : std::nan(""));
    }
  }
  std::string s;
  if (!x.empty()) s += svg::line_chart("Final training: loss", "step", "L1 loss", x, {loss});
  if (!val_x.empty()) s += svg::line_chart("Final training: validation L2 by horizon", "step", "L2 [m]", val_x, l2);
  return s;
}

// The pictures dir/<pattern> as inline figures, counting from 1 until one is missing; a pattern
// with two counters (selected-I-J) counts both.
std::string figures(const fs::path& dir, const std::string& pattern, const std::string& css_class) {
  const bool two = pattern.find("{}-{}") != std::string::npos;
  std::string s;
  for (int i = 1;; ++i) {
    int drawn = 0;
    for (int j = 1; j == 1 || two; ++j) {
      const fs::path file = dir / (two ? fmt::format(fmt::runtime(pattern), i, j) : fmt::format(fmt::runtime(pattern), i));
      if (!fs::exists(file)) break;
      ++drawn;
      s += "<figure class=\"" + css_class + "\">" + read_text(file) + "</figure>";
      if (!two) break;
    }
    if (!drawn) break;
  }
  return s;
}

// What each scene type looks like: RUN/clusters/cluster-K-J.svg, one row per cluster.
std::string scene_types_section(const fs::path& dir) {
  std::string s;
  for (int k = 0; fs::exists(dir / "clusters" / fmt::format("cluster-{}-1.svg", k)); ++k) {
    s += "<div class=charts>" + figures(dir / "clusters", fmt::format("cluster-{}-{{}}.svg", k), "scene thumb") +
         "</div>";
  }
  return s.empty() ? ""
                   : "<h2>Scene types</h2><p class=meta>Per cluster, the scenes nearest its centroid (from different "
                     "logs where it has them), in the ego frame; dashed: the scene's own logged future.</p>" + s;
}

// Per method (its first finished job): the final training's loss curve and the test scenes where
// the planner scored lowest, drawn from above (final/pictures/worst-K.svg, written by the job).
std::string planner_section(const fs::path& dir, const std::vector<Job>& jobs) {
  std::string s;
  std::map<std::string, bool> shown;
  for (const auto& j : jobs) {
    if (j.result.is_null()) continue;
    const std::string method = j.name.substr(0, j.name.rfind("_n"));
    if (shown[method]) continue;
    shown[method] = true;
    const fs::path final_dir = dir / "jobs" / j.name / "final";
    std::string part;
    part += training_curves(final_dir / "train" / "metrics.jsonl");
    part += figures(final_dir / "pictures", "worst-{}.svg", "scene");
    const std::string chosen = figures(final_dir / "pictures", "selected-{}-{}.svg", "scene thumb");
    if (!chosen.empty()) {
      part += "<p class=meta style=\"flex-basis:100%\">The synthetic scenes it trained on, from the clusters "
              "holding most of its selection (dashed: each scene's own label).</p>" + chosen;
    }
    if (part.empty()) continue;
    s += fmt::format("<h3>{}</h3><div class=charts>{}</div>", svg::escape(j.name), part);
  }
  return s.empty() ? ""
                   : "<h2>What the planner did</h2><p class=meta>The final training's loss and validation L2, and the test scenes "
                     "with the lowest PDMS from above in the ego frame (green: ego, blue: vehicles, orange: "
                     "pedestrians; dashed: the expert's logged future; red: the plan; failing sub-scores in red)."
                     "</p>" + s;
}

// Per scene type: how many real (by split) and synthetic scenes of the map's sample it holds, and the
// two gaps that matter to a mixture: synthetic scenes in types real data hardly has (where they
// would shift the distribution), and test scenes in types with no real training scene (where only
// synthetic data can help).
std::string composition_panel(const json& points, size_t clusters, const fs::path& file) {
  const std::vector<std::string> parts = {"train", "val", "test", "pool", "leaked"};
  std::vector<std::vector<double>> count(parts.size(), std::vector<double>(clusters, 0.0));
  for (const auto& p : points) {
    const auto split = field<std::string>(p, "split", file);
    const auto at = std::find(parts.begin(), parts.end(), split);
    if (at != parts.end()) count[at - parts.begin()][field<size_t>(p, "cluster", file)] += 1;
  }
  double pool = 0, pool_in_gap = 0, test = 0, test_uncovered = 0;
  for (size_t k = 0; k < clusters; ++k) {
    const double real = count[0][k] + count[1][k] + count[2][k], syn = count[3][k];
    pool += syn;
    if (real < 0.05 * (real + syn)) pool_in_gap += syn;
    test += count[2][k];
    if (count[0][k] == 0) test_uncovered += count[2][k];
  }
  std::vector<std::string> x;
  for (size_t k = 0; k < clusters; ++k) x.push_back(std::to_string(k));
  std::vector<svg::Series> stacks = {{"real train", count[0], {}}, {"real validation", count[1], {}},
                                     {"real test", count[2], {}}, {"synthetic pool", count[3], {}},
                                     {"leaked (excluded)", count[4], {}}};
  const auto pct = [](double a, double b) { return b > 0 ? fmt::format("{:.0f}%", 100 * a / b) : std::string("–"); };
  return fmt::format("<p class=meta>{} of the synthetic pool lies in scene types that are under 5% real; {} of the "
                     "real test scenes lie in types with no real training scene.</p><div class=charts>",
                     pct(pool_in_gap, pool), pct(test_uncovered, test)) +
         svg::stacked_bars("Scenes per cluster", "cluster", "scenes (map sample)", x, stacks) + "</div>";
}

std::string map_section(const fs::path& dir) {
  const fs::path file = dir / "embedding_map.json";
  if (!fs::exists(file)) return "";
  const auto m = read_json(file);
  AUTOSCALE_CHECK(m.contains("points") && m.at("points").is_array(), "{}: field points is missing", file.string());
  const auto explained = read_numbers(m, "explained", file);
  std::vector<svg::Point> by_cluster, by_domain;
  size_t clusters = 0;
  for (const auto& p : m.at("points")) {
    const double x = number(p, "x", file), y = number(p, "y", file);
    const auto c = field<size_t>(p, "cluster", file);
    const auto domain = field<std::string>(p, "domain", file);
    const auto split = field<std::string>(p, "split", file);
    clusters = std::max(clusters, c + 1);
    by_cluster.push_back({x, y, c, false});
    by_domain.push_back({x, y, split == "leaked" ? 2u : domain == "real" ? 0u : 1u, split == "leaked"});
  }
  std::vector<std::string> names, colours;
  for (size_t k = 0; k < clusters; ++k) names.push_back(fmt::format("cluster {}", k)), colours.push_back(svg::colour(k));
  if (names.size() > 16) names.resize(16);  // the legend's room; colours cycle
  const std::string axis = fmt::format("PC1 ({:.0f}% of variance)", 100 * (explained.empty() ? 0 : explained[0]));
  const std::string axis2 = fmt::format("PC2 ({:.0f}%)", 100 * (explained.size() < 2 ? 0 : explained[1]));
  return "<h2>Data and domain gap</h2><p class=meta>The first two principal components of the scene embeddings (a sample of "
         "up to 4,000 scenes), and what each scene type holds.</p>" +
         composition_panel(m.at("points"), clusters, file) + "<div class=charts>" +
         svg::scatter("By cluster", axis, axis2, by_cluster, names, colours) +
         svg::scatter("By domain", axis, axis2, by_domain, {"real", "synthetic", "leaked (excluded)"},
                      {"#4477aa", "#ee6677", "#999999"}) +
         "</div>";
}

}  // namespace

std::string report_html(const std::string& run_dir) {
  const fs::path dir(run_dir);
  const fs::path run_file = dir / "run.json";
  AUTOSCALE_CHECK(fs::exists(run_file), "{}: not a run directory (no run.json)", run_dir);
  const auto run = read_json(run_file);
  const std::string config = read_text(dir / "config.yaml");
  const auto jobs = read_jobs(dir);
  std::string html = "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>autoscale run " +
                     svg::escape(dir.filename().string()) + "</title><style>" + kStyle + "</style></head><body><main>";
  html += "<h1>autoscale run: " + svg::escape(fs::absolute(dir).lexically_normal().filename().string()) + "</h1>";
  html += fmt::format("<p class=meta>Created {}.</p>", svg::escape(run.value("created", std::string("?"))));
  html += summary_section(run, run_file, jobs, dir);
  html += comparison_section(dir);
  html += loop_section(dir, jobs);
  html += planner_section(dir, jobs);
  html += map_section(dir);
  html += scene_types_section(dir);
  html += "<h2>Resolved configuration</h2><details><summary>config.yaml</summary><pre>" + svg::escape(config) +
          "</pre></details></main></body></html>\n";
  return html;
}

void write_report(const std::string& run_dir, const std::string& out_html) {
  write_file_atomic(out_html, report_html(run_dir));
}

}  // namespace autoscale::loop
