// Private to loop: what the engine and the comparison table share. The table itself
// (write_comparison, compare_across_runs) is declared in engine.h and lives in comparison.cpp.
#pragma once

#include <cstdint>
#include <vector>

#include "autoscale/loop/engine.h"

namespace autoscale::loop {

// A test window is "solvable and non-trivial" (NAVSIM filters navtest this way) when the human
// trajectory scores ≥ kSolvable and constant velocity < kTrivial: only there can data matter.
// FOLD/reference_scores.json holds both agents' scores per window.
constexpr double kSolvable = 0.9, kTrivial = 0.9;

// The plan's folds: 0..folds-1, or {-1} for a plain split (defined in engine.cpp).
std::vector<int64_t> fold_ids(const RunPlan& plan);

}  // namespace autoscale::loop
