// Scoring an agent on every scene of a store: per-token sub-scores (the devkit's CSV columns)
// and the summary table. Parallel over scenes; results are independent of the thread count.
#pragma once

#include <string>
#include <vector>

#include "autoscale/eval/agents.h"
#include "autoscale/eval/metric_cache.h"
#include "autoscale/eval/scoring_cache.h"
#include "autoscale/store/store.h"

namespace autoscale::eval {

struct SceneResult {
  std::string token;
  bool valid = false;     // false when the scene could not be scored (error says why)
  std::string error;
  SubScores scores;
};

struct EvalReport {
  PdmsVersion version = PdmsVersion::kV1;
  std::string agent;
  std::vector<SceneResult> scenes;  // store order
  size_t valid() const;
  SubScores mean() const;  // per sub-score mean over valid scenes; score = mean of per-scene scores
};

// `limit` = 0 scores every scene.
EvalReport evaluate_store(const scene::SceneStore& store, const Agent& agent, const EvalOptions& options,
                          size_t limit = 0, bool show_progress = true);
// Only the given store rows, in that order (a split, a shard).
EvalReport evaluate_store(const scene::SceneStore& store, const Agent& agent, const EvalOptions& options,
                          const std::vector<size_t>& rows, bool show_progress = true);

// Several agents on the same rows: each scene's metric cache (PDM-Closed included, the costly
// part) is built once and scores every agent's plan. One report per agent, in agent order, each
// equal to what the single-agent call returns.
std::vector<EvalReport> evaluate_store(const scene::SceneStore& store, const std::vector<const Agent*>& agents,
                                       const EvalOptions& options, const std::vector<size_t>& rows,
                                       bool show_progress = true);
// The same, scoring with the cache's options and taking each scene from `cache` when it holds
// it (else reading and preparing it, then offering it to the cache): the scores are identical
// to the uncached call's.
std::vector<EvalReport> evaluate_store(const scene::SceneStore& store, const std::vector<const Agent*>& agents,
                                       const std::vector<size_t>& rows, ScoringCache& cache,
                                       bool show_progress = true);

// The devkit's per-token CSV (v1: no_at_fault_collisions, drivable_area_compliance, ...).
std::string report_csv(const EvalReport& report);
// NAVSIM's last row, appended to a per-token CSV: token "average", valid = every row valid, and
// each sub-score's mean over the rows where it is a number (pandas' mean(skipna=True)). Computed
// from the CSV text itself, so a merged CSV gets the same row as one evaluation's.
std::string with_average_row(const std::string& csv);
// The summary table printed after an evaluation.
std::string report_table(const EvalReport& report);

}  // namespace autoscale::eval
