#include "metrics_csv.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <vector>

#include "autoscale/core/atomic_file.h"

namespace autoscale::train {

void write_metrics_csv(const std::string& jsonl, const std::string& csv) {
  std::ifstream in(jsonl);
  std::vector<nlohmann::json> rows;
  std::vector<std::string> columns{"step"};
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;
    for (const auto& [key, value] : j.items()) {
      if (std::find(columns.begin(), columns.end(), key) == columns.end()) columns.push_back(key);
    }
    rows.push_back(std::move(j));
  }
  std::string out;
  for (size_t c = 0; c < columns.size(); ++c) out += (c ? "," : "") + columns[c];
  out += "\n";
  for (const auto& row : rows) {
    for (size_t c = 0; c < columns.size(); ++c) {
      if (c) out += ",";
      const auto it = row.find(columns[c]);
      if (it == row.end() || it->is_null()) continue;
      if (it->is_number_integer()) out += fmt::format("{}", it->get<int64_t>());
      else if (it->is_number()) out += fmt::format("{}", it->get<double>());
      else out += it->dump();  // strings and flags as JSON literals (quoted: CSV-safe)
    }
    out += "\n";
  }
  write_file_atomic(csv, out);
}

}  // namespace autoscale::train
