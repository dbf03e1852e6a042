#include "autoscale/eval/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <map>
#include <memory>
#include <optional>

#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/threads.h"
#include "autoscale/eval/comfort.h"

namespace autoscale::eval {
namespace {
constexpr size_t kBlock = 256;  // scenes read together, then scored in parallel

std::string csv_value(double v) { return std::isnan(v) ? "nan" : fmt::format("{}", v); }
}  // namespace

size_t EvalReport::valid() const {
  size_t n = 0;
  for (const auto& s : scenes) n += s.valid;
  return n;
}

SubScores EvalReport::mean() const {
  SubScores m{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  size_t n = 0, n_ec = 0;
  for (const auto& r : scenes) {
    if (!r.valid) continue;
    const SubScores& s = r.scores;
    m.nc += s.nc, m.dac += s.dac, m.ddc += s.ddc, m.ttc += s.ttc, m.ep += s.ep, m.c += s.c;
    m.tlc += s.tlc, m.lk += s.lk, m.hc += s.hc, m.progress += s.progress, m.score += s.score;
    if (!std::isnan(s.ec)) m.ec += s.ec, ++n_ec;
    ++n;
  }
  if (n == 0) return SubScores{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  for (double* v : {&m.nc, &m.dac, &m.ddc, &m.ttc, &m.ep, &m.c, &m.tlc, &m.lk, &m.hc, &m.progress, &m.score}) *v /= n;
  m.ec = n_ec ? m.ec / n_ec : kNaN;
  return m;
}

namespace {

// What two-frame extended comfort needs to pair a scene with the one 0.5 s before it.
struct FrameKey {
  std::string log;
  int64_t timestamp_us = 0;
  scene::Vec2 now;        // ego rear axle at the current frame
  scene::Vec2 in_half_s;  // ... and 0.5 s later (the next frame's "now", for the same vehicle)
  std::vector<sim::State> simulated;
};

// v2 EC: each scene is compared with the scene of the same log and vehicle 0.5 s earlier (the
// one-stage script's pairing); scenes without such a predecessor keep EC = NaN, which drops
// its weight from the score.
void apply_extended_comfort(EvalReport& report, const std::vector<FrameKey>& keys) {
  std::map<std::pair<std::string, int64_t>, std::vector<size_t>> by_time;
  for (size_t i = 0; i < keys.size(); ++i) by_time[{keys[i].log, keys[i].timestamp_us}].push_back(i);
  for (size_t i = 0; i < keys.size(); ++i) {
    SceneResult& r = report.scenes[i];
    if (!r.valid) continue;
    const auto it = by_time.find({keys[i].log, keys[i].timestamp_us - 500000});
    if (it == by_time.end()) continue;
    for (size_t j : it->second) {
      const bool same_vehicle = std::hypot(keys[j].in_half_s.x - keys[i].now.x, keys[j].in_half_s.y - keys[i].now.y) < 0.01;
      if (!report.scenes[j].valid || !same_vehicle) continue;
      r.scores.ec = extended_comfort(keys[i].simulated, keys[j].simulated, 5) ? 1.0 : 0.0;
      finalize_score(r.scores, PdmsVersion::kV2);
      break;
    }
  }
}

}  // namespace

EvalReport evaluate_store(const scene::SceneStore& store, const Agent& agent, const EvalOptions& options, size_t limit,
                          bool show_progress) {
  std::vector<size_t> rows(limit ? std::min(limit, store.size()) : store.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  return evaluate_store(store, agent, options, rows, show_progress);
}

EvalReport evaluate_store(const scene::SceneStore& store, const Agent& agent, const EvalOptions& options,
                          const std::vector<size_t>& rows, bool show_progress) {
  return std::move(evaluate_store(store, std::vector<const Agent*>{&agent}, options, rows, show_progress).front());
}

namespace {

// The prepared scenes of rows [first, first + count): from `cache` where it has them, the rest
// read in order (the store's reads are serial) and prepared in parallel, then offered to it.
std::vector<std::shared_ptr<const PreparedScene>> prepare_block(const scene::SceneStore& store,
                                                                const std::vector<size_t>& rows, size_t first,
                                                                size_t count, const EvalOptions& options,
                                                                ScoringCache* cache) {
  std::vector<std::shared_ptr<const PreparedScene>> prepared(count);
  std::vector<size_t> missing;
  std::vector<scene::Scene> scenes;
  for (size_t i = 0; i < count; ++i) {
    if (cache) prepared[i] = cache->find(store, rows[first + i]);
    if (prepared[i]) continue;
    missing.push_back(i);
    scenes.push_back(store.read(rows[first + i]));
  }
  parallel_for(missing.size(), [&](size_t k) {
    const size_t i = missing[k];
    auto p = std::make_shared<const PreparedScene>(PreparedScene::prepare(std::move(scenes[k]), store, options));
    if (cache) cache->offer(store, rows[first + i], p);
    prepared[i] = std::move(p);
  });
  return prepared;
}

std::vector<EvalReport> evaluate_prepared(const scene::SceneStore& store, const std::vector<const Agent*>& agents,
                                          const EvalOptions& options, const std::vector<size_t>& rows,
                                          ScoringCache* cache, bool show_progress) {
  AUTOSCALE_CHECK(!agents.empty(), "evaluate_store({}): no agents to score", store.dir());
  const size_t n = rows.size(), m = agents.size();
  std::vector<EvalReport> reports(m);
  std::string names;
  for (size_t a = 0; a < m; ++a) {
    reports[a].version = options.version;
    reports[a].agent = agents[a]->name();
    reports[a].scenes.resize(n);
    names += (a ? "+" : "") + agents[a]->name();
  }
  std::vector<std::vector<FrameKey>> keys(m, std::vector<FrameKey>(options.version == PdmsVersion::kV2 ? n : 0));
  Progress progress("eval " + names, n, show_progress);
  for (size_t first = 0; first < n; first += kBlock) {
    const size_t count = std::min(kBlock, n - first);
    const auto prepared = prepare_block(store, rows, first, count, options, cache);
    parallel_for(count, [&](size_t i) {
      const scene::Scene& s = prepared[i]->scene;
      const auto& metric_cache = prepared[i]->cache;
      for (auto& report : reports) {
        report.scenes[first + i].token = s.token;
        report.scenes[first + i].error = prepared[i]->error;
      }
      for (size_t a = 0; a < m && metric_cache; ++a) {
        SceneResult& r = reports[a].scenes[first + i];
        try {
          auto scored = metric_cache->score(agents[a]->plan(s, *metric_cache));
          r.scores = scored.scores;
          r.valid = true;
          if (!keys[a].empty()) {
            const auto& e = s.current_ego();
            const auto& later = s.ego[std::min<size_t>(s.current_index() + 5, s.ego.size() - 1)];
            keys[a][first + i] = {s.log, s.timestamp_us, {e.x, e.y}, {later.x, later.y}, std::move(scored.simulated)};
          }
        } catch (const Error& e) {
          r.error = e.what();
        }
      }
      progress.advance();
    });
  }
  progress.finish();
  for (size_t a = 0; a < m; ++a) {
    if (!keys[a].empty()) apply_extended_comfort(reports[a], keys[a]);
  }
  return reports;
}

}  // namespace

std::vector<EvalReport> evaluate_store(const scene::SceneStore& store, const std::vector<const Agent*>& agents,
                                       const EvalOptions& options, const std::vector<size_t>& rows,
                                       bool show_progress) {
  return evaluate_prepared(store, agents, options, rows, nullptr, show_progress);
}

std::vector<EvalReport> evaluate_store(const scene::SceneStore& store, const std::vector<const Agent*>& agents,
                                       const std::vector<size_t>& rows, ScoringCache& cache, bool show_progress) {
  return evaluate_prepared(store, agents, cache.options(), rows, &cache, show_progress);
}

std::string report_csv(const EvalReport& r) {
  std::string out;
  if (r.version == PdmsVersion::kV1) {
    out = "token,valid,no_at_fault_collisions,drivable_area_compliance,driving_direction_compliance,ego_progress,"
          "time_to_collision_within_bound,comfort,score\n";
  } else {
    out = "token,valid,no_at_fault_collisions,drivable_area_compliance,driving_direction_compliance,"
          "traffic_light_compliance,ego_progress,time_to_collision_within_bound,lane_keeping,history_comfort,"
          "two_frame_extended_comfort,score\n";
  }
  for (const auto& s : r.scenes) {
    const SubScores& x = s.valid ? s.scores : SubScores{kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
    if (r.version == PdmsVersion::kV1) {
      out += fmt::format("{},{},{},{},{},{},{},{},{}\n", s.token, s.valid ? "True" : "False", csv_value(x.nc),
                         csv_value(x.dac), csv_value(x.ddc), csv_value(x.ep), csv_value(x.ttc), csv_value(x.c),
                         csv_value(x.score));
    } else {
      out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", s.token, s.valid ? "True" : "False", csv_value(x.nc),
                         csv_value(x.dac), csv_value(x.ddc), csv_value(x.tlc), csv_value(x.ep), csv_value(x.ttc),
                         csv_value(x.lk), csv_value(x.hc), csv_value(x.ec), csv_value(x.score));
    }
  }
  return out;
}

std::string with_average_row(const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  AUTOSCALE_CHECK(std::getline(in, line) && line.rfind("token,valid,", 0) == 0, "not a per-token score CSV");
  const size_t columns = static_cast<size_t>(std::count(line.begin(), line.end(), ',')) - 1;  // after token, valid
  std::vector<double> sum(columns, 0.0);
  std::vector<size_t> count(columns, 0);
  bool all_valid = true;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream cells(line);
    std::string token, valid, cell;
    std::getline(cells, token, ',');
    std::getline(cells, valid, ',');
    all_valid = all_valid && valid == "True";
    for (size_t c = 0; c < columns && std::getline(cells, cell, ','); ++c) {
      const double v = std::strtod(cell.c_str(), nullptr);
      if (std::isfinite(v)) sum[c] += v, ++count[c];
    }
  }
  std::string out = csv + "average," + (all_valid ? "True" : "False");
  for (size_t c = 0; c < columns; ++c) out += "," + csv_value(count[c] ? sum[c] / double(count[c]) : kNaN);
  return out + "\n";
}

std::string report_table(const EvalReport& r) {
  const SubScores m = r.mean();
  std::string out = fmt::format("agent {}  ({} of {} scenes valid, PDMS {})\n", r.agent, r.valid(), r.scenes.size(),
                                to_string(r.version));
  if (r.version == PdmsVersion::kV1) {
    out += "    NC    DAC    DDC    TTC     EP      C |  PDMS\n";
    out += fmt::format("{:6.3f} {:6.3f} {:6.3f} {:6.3f} {:6.3f} {:6.3f} | {:6.3f}\n", m.nc, m.dac, m.ddc, m.ttc, m.ep,
                       m.c, m.score);
  } else {
    out += "    NC    DAC    DDC    TLC     EP    TTC     LK     HC     EC | EPDMS\n";
    out += fmt::format("{:6.3f} {:6.3f} {:6.3f} {:6.3f} {:6.3f} {:6.3f} {:6.3f} {:6.3f} {:6.3f} | {:6.3f}\n", m.nc,
                       m.dac, m.ddc, m.tlc, m.ep, m.ttc, m.lk, m.hc, m.ec, m.score);
  }
  for (const auto& s : r.scenes) {
    if (!s.valid) out += fmt::format("invalid {}: {}\n", s.token, s.error);
  }
  return out;
}

}  // namespace autoscale::eval
