#include "autoscale/eval/evaluate.h"

#include <fmt/format.h>

#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/core/progress.h"
#include "autoscale/core/threads.h"

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

EvalReport evaluate_store(const scene::SceneStore& store, const Agent& agent, const EvalOptions& options, size_t limit,
                          bool show_progress) {
  EvalReport report;
  report.version = options.version;
  report.agent = agent.name();
  const size_t n = limit ? std::min(limit, store.size()) : store.size();
  report.scenes.resize(n);
  Progress progress("eval " + agent.name(), n, show_progress);
  for (size_t first = 0; first < n; first += kBlock) {
    const size_t count = std::min(kBlock, n - first);
    std::vector<scene::Scene> scenes(count);
    for (size_t i = 0; i < count; ++i) scenes[i] = store.read(first + i);
    parallel_for(count, [&](size_t i) {
      const scene::Scene& s = scenes[i];
      SceneResult& r = report.scenes[first + i];
      r.token = s.token;
      try {
        const auto cache = MetricCache::build(inputs_from_scene(s, store.map(s.map_id)), options);
        r.scores = cache.score(agent.plan(s, cache)).scores;
        r.valid = true;
      } catch (const Error& e) {
        // As the devkit: a scene that cannot be scored is invalid (NaN) and left out of the mean.
        r.error = e.what();
      }
      progress.advance();
    });
  }
  progress.finish();
  return report;
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
