#include "autoscale/loop/scoring.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "autoscale/core/error.h"
#include "job_context.h"

namespace autoscale::loop {

eval::EvalReport score_planner(const train::Planner& planner, const ExperimentData& d, const std::vector<int64_t>& rows,
                               bool show_progress) {
  const auto agent = eval::make_precomputed_agent("planner:" + planner.options().kind,
                                                  train::predict_plans(planner, d.data, rows));
  return score_agent(*agent, d, rows, show_progress);
}

eval::EvalReport score_agent(const eval::Agent& agent, const ExperimentData& d, const std::vector<int64_t>& rows,
                             bool show_progress, Rescored rescored) {
  return std::move(score_agents({&agent}, d, rows, show_progress, rescored).front());
}

std::vector<eval::EvalReport> score_agents(const std::vector<const eval::Agent*>& agents, const ExperimentData& d,
                                           const std::vector<int64_t>& rows, bool show_progress, Rescored rescored) {
  // The evaluator reads scenes from their store: score store by store, then restore row order.
  std::map<size_t, std::vector<size_t>> positions_by_store;
  for (size_t i = 0; i < rows.size(); ++i) positions_by_store[d.store_of[static_cast<size_t>(rows[i])]].push_back(i);
  std::vector<eval::EvalReport> reports(agents.size());
  for (size_t a = 0; a < agents.size(); ++a) {
    reports[a].version = d.scoring_cache->options().version;
    reports[a].agent = agents[a]->name();
    reports[a].scenes.resize(rows.size());
  }
  for (const auto& [store, positions] : positions_by_store) {
    std::vector<size_t> store_rows;
    for (size_t p : positions) store_rows.push_back(d.store_row[static_cast<size_t>(rows[p])]);
    auto parts = rescored == Rescored::kYes
                     ? eval::evaluate_store(d.stores[store], agents, store_rows, *d.scoring_cache, show_progress)
                     : eval::evaluate_store(d.stores[store], agents, d.scoring_cache->options(), store_rows,
                                            show_progress);
    for (size_t a = 0; a < agents.size(); ++a) {
      for (size_t j = 0; j < positions.size(); ++j) reports[a].scenes[positions[j]] = std::move(parts[a].scenes[j]);
    }
  }
  return reports;
}

void attach_label_scores(const ExperimentConfig& config, ExperimentData& d, const std::string& cache_file) {
  nlohmann::json cache = std::filesystem::exists(cache_file) ? read_json(cache_file) : nlohmann::json::object();
  AUTOSCALE_CHECK(cache.is_object(), "{}: expected an object of token: PDMS", cache_file);
  std::vector<int64_t> missing;
  for (int64_t r : d.pool) {
    if (!cache.contains(d.data.info(static_cast<size_t>(r)).token)) missing.push_back(r);
  }
  if (!missing.empty()) {
    spdlog::info("scoring the labels of {} synthetic scenes (quality gate; cached in {})", missing.size(), cache_file);
    const auto report = score_agent(*eval::make_agent("human"), d, missing, config.show_progress, Rescored::kNo);
    // An unscorable label teaches nothing verifiable: it scores 0 and fails any gate.
    for (const auto& s : report.scenes) cache[s.token] = s.valid ? s.scores.score : 0.0;
    write_json(cache_file, cache);
  }
  d.label_pdms.assign(d.data.size(), std::numeric_limits<double>::quiet_NaN());
  for (int64_t r : d.pool) {
    const auto& v = cache.at(d.data.info(static_cast<size_t>(r)).token);
    AUTOSCALE_CHECK(v.is_number(), "{}: the label score of {} is {}, not a number", cache_file,
                    d.data.info(static_cast<size_t>(r)).token, v.dump());
    d.label_pdms[static_cast<size_t>(r)] = v.get<double>();
  }
}

}  // namespace autoscale::loop
