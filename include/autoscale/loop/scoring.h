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

// One result per row, in row order; scenes the scorer rejects are invalid (error says why).
eval::EvalReport score_agent(const eval::Agent& agent, const ExperimentData& data, const std::vector<int64_t>& rows,
                             const eval::EvalOptions& options, bool show_progress);
eval::EvalReport score_planner(const train::Planner& planner, const ExperimentData& data,
                               const std::vector<int64_t>& rows, const eval::EvalOptions& options,
                               bool show_progress);

}  // namespace autoscale::loop
