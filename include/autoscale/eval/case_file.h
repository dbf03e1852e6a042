// Scoring cases in the `autoscale-case/1` JSON format (spec/case-format.md): one scene, a plan
// to score and optionally the progress reference. It is also the bug-report interchange format,
// so every error names the case token and the field.
#pragma once

#include <string>
#include <vector>

#include "autoscale/eval/metric_cache.h"

namespace autoscale::eval {

struct ScoringCase {
  SceneInputs inputs;
  Plan trajectory;
};

// Reads one case or an array of cases. Throws Error naming the file, the case token and the
// field (e.g. `case case-0001: agents[2].track[3][1]: expected a finite number`).
std::vector<ScoringCase> read_cases(const std::string& path);
std::vector<ScoringCase> parse_cases(const std::string& json_text, const std::string& origin);

// One output line: {"token", "nc", "dac", "ddc", "ttc", "ep", "c", "pdms"} (+ v2 columns).
std::string score_json(const std::string& token, const SubScores& s, PdmsVersion version);

}  // namespace autoscale::eval
