// Closed-loop scores of a learned planner on rows of the run's samples: plans are predicted in
// batches, then every scene is scored by the PDM scorer (parallel over scenes).
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/eval/agents.h"
#include "autoscale/eval/evaluate.h"
#include "autoscale/loop/experiment.h"
#include "autoscale/train/planner.h"

namespace autoscale::loop {

// Whether the scored rows will be scored again (validation, test and search windows: kept in
// data.scoring_cache) or not (the pool's labels, scored once per run: a kept scene costs
// memory, see `autoscale bench score`).
enum class Rescored { kYes, kNo };

// One result per row, in row order; scenes the scorer rejects are invalid (error says why).
// Scored with the run's eval options; rows already in data.scoring_cache are not prepared again.
eval::EvalReport score_agent(const eval::Agent& agent, const ExperimentData& data, const std::vector<int64_t>& rows,
                             bool show_progress, Rescored rescored = Rescored::kYes);
// Several agents on the same rows (one report per agent).
std::vector<eval::EvalReport> score_agents(const std::vector<const eval::Agent*>& agents, const ExperimentData& data,
                                           const std::vector<int64_t>& rows, bool show_progress,
                                           Rescored rescored = Rescored::kYes);
eval::EvalReport score_planner(const train::Planner& planner, const ExperimentData& data,
                               const std::vector<int64_t>& rows, bool show_progress);

// Fills data.label_pdms for the pool: each synthetic scene's own label scored as a plan (the
// human agent). Scores are kept by token in `cache_file` (JSON), shared by the folds and seeds of
// a run, so each scene is scored once; only missing tokens are scored.
void attach_label_scores(const ExperimentConfig& config, ExperimentData& data, const std::string& cache_file);

}  // namespace autoscale::loop
