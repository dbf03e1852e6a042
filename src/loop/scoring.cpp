#include "autoscale/loop/scoring.h"

#include <map>

namespace autoscale::loop {

eval::EvalReport score_planner(const train::Planner& planner, const ExperimentData& d, const std::vector<int64_t>& rows,
                               const eval::EvalOptions& options, bool show_progress) {
  const auto agent = eval::make_precomputed_agent("planner:" + planner.options().kind,
                                                  train::predict_plans(planner, d.data, rows));
  return score_agent(*agent, d, rows, options, show_progress);
}

eval::EvalReport score_agent(const eval::Agent& agent_ref, const ExperimentData& d, const std::vector<int64_t>& rows,
                             const eval::EvalOptions& options, bool show_progress) {
  const auto* agent = &agent_ref;
  // The evaluator reads scenes from their store: score store by store, then restore row order.
  std::map<size_t, std::vector<size_t>> positions_by_store;
  for (size_t i = 0; i < rows.size(); ++i) positions_by_store[d.store_of[static_cast<size_t>(rows[i])]].push_back(i);
  eval::EvalReport report;
  report.version = options.version;
  report.agent = agent->name();
  report.scenes.resize(rows.size());
  for (const auto& [store, positions] : positions_by_store) {
    std::vector<size_t> store_rows;
    for (size_t p : positions) store_rows.push_back(d.store_row[static_cast<size_t>(rows[p])]);
    auto part = eval::evaluate_store(d.stores[store], *agent, options, store_rows, show_progress);
    for (size_t j = 0; j < positions.size(); ++j) report.scenes[positions[j]] = std::move(part.scenes[j]);
  }
  return report;
}

}  // namespace autoscale::loop
