// Internal to the train module: OUT/metrics.csv, the training's metrics.jsonl as one table that
// plots in one line (pandas.read_csv(...).plot(x="step")), written when a training finishes.
#pragma once

#include <string>

namespace autoscale::train {

// One row per JSON line of `jsonl` (lines cut by a kill are skipped), one column per key in the
// order keys first appear, `step` first; a key a line lacks (validation L2 between validations)
// is an empty cell. Written atomically to `csv`.
void write_metrics_csv(const std::string& jsonl, const std::string& csv);

}  // namespace autoscale::train
