#include "autoscale/eval/trajectory_file.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "autoscale/core/error.h"

namespace autoscale::eval {
namespace {

using json = nlohmann::json;

// NAVSIM's two samplings: 8 poses over 4 s, or 40 over 4 s.
double interval_for(size_t poses, const std::string& where) {
  if (poses == 8) return 0.5;
  if (poses == 40) return 0.1;
  AUTOSCALE_THROW("{}: {} poses and no interval: give \"interval\" (JSON) or a t column (CSV), or 8 poses at 0.5 s "
                  "or 40 at 0.1 s as NAVSIM does",
                  where, poses);
}

void add(TrajectoryFile& f, const std::string& token, Plan plan, const std::string& where) {
  AUTOSCALE_CHECK(!token.empty(), "{}: empty token", where);
  AUTOSCALE_CHECK(!plan.poses.empty(), "{}: token {} has no poses", where, quote(token));
  // The scorer interpolates on integer microseconds over a horizon of seconds: a step outside
  // 10 ms .. 10 s is a unit mistake (ms, us), not a plan.
  AUTOSCALE_CHECK(plan.interval >= 0.01 && plan.interval <= 10, "{}: token {}: interval {} s, expected 0.01 .. 10 s",
                  where, quote(token), plan.interval);
  AUTOSCALE_CHECK(plan.poses.size() <= 1000, "{}: token {}: {} poses, expected at most 1000", where, quote(token),
                  plan.poses.size());
  AUTOSCALE_CHECK(f.plans.emplace(token, std::move(plan)).second, "{}: token {} is given twice", where, quote(token));
  f.tokens.push_back(token);
}

double finite(const json& v, const std::string& where) {
  AUTOSCALE_CHECK(v.is_number(), "{}: expected a number, got {}", where, quote(v.dump()));
  const double d = v.get<double>();
  AUTOSCALE_CHECK(std::isfinite(d), "{}: expected a finite number, got {}", where, d);
  return d;
}

void read_jsonl(std::istream& in, const std::string& path, TrajectoryFile& f) {
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, n);
    json j;
    try {
      j = json::parse(line);
    } catch (const json::exception& e) {
      AUTOSCALE_THROW("{}: not a JSON object: {}", where, e.what());
    }
    AUTOSCALE_CHECK(j.is_object(), "{}: expected an object {{\"token\": ..., \"poses\": ...}}, got {}", where, j.type_name());
    AUTOSCALE_CHECK(j.contains("token") && j["token"].is_string(), "{}: field token: missing or not a string", where);
    AUTOSCALE_CHECK(j.contains("poses") && j["poses"].is_array(), "{}: field poses: missing or not a list", where);
    Plan plan;
    const auto& poses = j["poses"];
    for (size_t i = 0; i < poses.size(); ++i) {
      const std::string at = fmt::format("{}: poses[{}]", where, i);
      AUTOSCALE_CHECK(poses[i].is_array() && poses[i].size() == 3, "{}: expected [x, y, heading], got {}", at,
                      quote(poses[i].dump()));
      plan.poses.push_back({finite(poses[i][0], at), finite(poses[i][1], at), finite(poses[i][2], at)});
    }
    if (j.contains("interval") && !j["interval"].is_null()) {
      plan.interval = finite(j["interval"], where + ": interval");
      AUTOSCALE_CHECK(plan.interval > 0, "{}: interval: expected a positive number of seconds, got {}", where, plan.interval);
    } else {
      plan.interval = interval_for(plan.poses.size(), where);
    }
    add(f, j["token"].get<std::string>(), std::move(plan), where);
  }
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) {
    while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' ')) cell.pop_back();
    while (!cell.empty() && cell.front() == ' ') cell.erase(cell.begin());
    cells.push_back(cell);
  }
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

double csv_number(const std::string& cell, const std::string& where) {
  char* end = nullptr;
  const double d = std::strtod(cell.c_str(), &end);
  AUTOSCALE_CHECK(!cell.empty() && end && *end == '\0', "{}: expected a number, got {}", where, quote(cell));
  AUTOSCALE_CHECK(std::isfinite(d), "{}: expected a finite number, got {}", where, quote(cell));
  return d;
}

void read_csv(std::istream& in, const std::string& path, TrajectoryFile& f) {
  std::string line;
  AUTOSCALE_CHECK(std::getline(in, line), "{}: empty file", path);
  const auto header = split_csv(line);
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* name : {"token", "x", "y", "heading"}) {
    AUTOSCALE_CHECK(col.count(name), "{}:1: no column {} (the header needs token, x, y, heading; t optional)", path, name);
  }
  const bool timed = col.count("t") > 0;
  struct Rows {
    Plan plan;
    std::vector<double> t;
    size_t first_line = 0;
  };
  std::vector<std::string> order;
  std::map<std::string, Rows> by_token;
  std::string open;  // the token whose rows are being read: a token's rows must be together
  for (size_t n = 2; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, n);
    const auto cells = split_csv(line);
    AUTOSCALE_CHECK(cells.size() == header.size(), "{}: {} cells, the header has {}", where, cells.size(), header.size());
    const std::string& token = cells[col["token"]];
    AUTOSCALE_CHECK(!token.empty(), "{}: empty token", where);
    if (token != open) {
      AUTOSCALE_CHECK(!by_token.count(token), "{}: token {} continues after other tokens' rows (keep each token's rows "
                      "together, in time order)", where, quote(token));
      order.push_back(token);
      by_token[token].first_line = n;
      open = token;
    }
    auto& r = by_token[token];
    r.plan.poses.push_back({csv_number(cells[col["x"]], where + ": x"), csv_number(cells[col["y"]], where + ": y"),
                            csv_number(cells[col["heading"]], where + ": heading")});
    if (timed) r.t.push_back(csv_number(cells[col["t"]], where + ": t"));
  }
  for (const auto& token : order) {
    auto& r = by_token[token];
    const std::string where = fmt::format("{}:{}", path, r.first_line);
    if (timed) {
      // t = interval, 2 interval, ...: the first pose is one step after now.
      const double step = r.t[0];
      AUTOSCALE_CHECK(step > 0, "{}: token {}: t of the first pose is {}, expected one step after now (> 0)", where,
                      quote(token), step);
      for (size_t k = 0; k < r.t.size(); ++k) {
        AUTOSCALE_CHECK(std::abs(r.t[k] - step * double(k + 1)) < 1e-6 * std::max(1.0, r.t[k]),
                        "{}: token {}: t {} at pose {}, expected {} (uniform steps from t = {})", where, quote(token),
                        r.t[k], k + 1, step * double(k + 1), step);
      }
      r.plan.interval = step;
    } else {
      r.plan.interval = interval_for(r.plan.poses.size(), where + ": token " + quote(token));
    }
    add(f, token, std::move(r.plan), where);
  }
}

}  // namespace

TrajectoryFile read_trajectory_file(const std::string& path) {
  std::ifstream in(path);
  AUTOSCALE_CHECK(in.good(), "{}: cannot open the trajectory file", path);
  TrajectoryFile f;
  const int first = in.peek();
  // A JSON object opens with '{'; anything else is read as CSV (its header names the columns).
  char c = static_cast<char>(first);
  while (first != EOF && std::isspace(static_cast<unsigned char>(c))) {
    in.get();
    const int next = in.peek();
    if (next == EOF) break;
    c = static_cast<char>(next);
  }
  in.clear();
  in.seekg(0);
  if (first == 0xEF) {  // a UTF-8 byte-order mark (some editors write one): skip it, look again
    char bom[3];
    in.read(bom, 3);
    const int next = in.peek();
    c = next == EOF ? ' ' : static_cast<char>(next);
  }
  if (c == '{') {
    read_jsonl(in, path, f);
  } else {
    read_csv(in, path, f);
  }
  AUTOSCALE_CHECK(!f.tokens.empty(), "{}: no trajectories", path);
  return f;
}

std::string trajectory_jsonl(const std::vector<std::string>& tokens, const std::unordered_map<std::string, Plan>& plans) {
  std::string out;
  for (const auto& token : tokens) {
    const auto it = plans.find(token);
    if (it == plans.end()) continue;
    json poses = json::array();
    for (const auto& p : it->second.poses) poses.push_back({p.x, p.y, p.heading});
    // nlohmann writes the shortest decimal that reads back to the same double.
    out += json{{"token", token}, {"interval", it->second.interval}, {"poses", poses}}.dump() + "\n";
  }
  return out;
}

}  // namespace autoscale::eval
