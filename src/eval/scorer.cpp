#include "autoscale/eval/scorer.h"

#include <algorithm>
#include <chrono>
#include <unordered_set>

#include "autoscale/core/error.h"
#include "autoscale/eval/comfort.h"

namespace autoscale::eval {

PdmsVersion parse_version(const std::string& text) {
  if (text == "v1" || text == "v1.1") return PdmsVersion::kV1;
  if (text == "v2") return PdmsVersion::kV2;
  AUTOSCALE_THROW("PDMS version: expected v1 or v2, got {}", quote(text));
}

const char* to_string(PdmsVersion v) { return v == PdmsVersion::kV1 ? "v1" : "v2"; }

namespace {

constexpr int kCenter = 4;

// Adds the time since the last lap to one of the ScoreTimings buckets (no-op without timings).
class Laps {
 public:
  explicit Laps(ScoreTimings* t) : t_(t), last_(std::chrono::steady_clock::now()) {}
  void lap(double ScoreTimings::*bucket) {
    if (!t_) return;
    const auto now = std::chrono::steady_clock::now();
    t_->*bucket += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  ScoreTimings* t_;
  std::chrono::steady_clock::time_point last_;
};

// Per-step facts about one simulated trajectory that several metrics share.
struct EgoArea {
  std::vector<Box> boxes;
  std::vector<bool> multiple_lanes, non_drivable, oncoming, center_in_intersection, rear_in_intersection;
};

EgoArea ego_area(const std::vector<sim::State>& states, const ScoringMap& map, const sim::VehicleParams& vehicle) {
  const size_t n = states.size();
  EgoArea a;
  a.boxes.reserve(n);
  a.multiple_lanes.resize(n);
  a.non_drivable.resize(n);
  a.oncoming.resize(n);
  a.center_in_intersection.resize(n);
  a.rear_in_intersection.resize(n);
  PointInfo info[5];
  for (size_t t = 0; t < n; ++t) {
    a.boxes.push_back(ego_box(states[t].pose(), vehicle));
    const Box& b = a.boxes.back();
    for (int i = 0; i < 4; ++i) map.query(b.corners[i], info[i]);
    map.query(b.center, info[kCenter]);
    // MULTIPLE_LANES: corners in more than one lane, and no single lane holds all four.
    int lanes[32];
    int counts[32];
    int distinct = 0;
    for (int i = 0; i < 4; ++i) {
      for (int k = 0; k < info[i].num_lanes; ++k) {
        int j = 0;
        while (j < distinct && lanes[j] != info[i].lanes[k]) ++j;
        if (j == distinct) lanes[distinct] = info[i].lanes[k], counts[distinct++] = 0;
        ++counts[j];
      }
    }
    const bool one_holds_all = std::any_of(counts, counts + distinct, [](int c) { return c == 4; });
    a.multiple_lanes[t] = distinct > 1 && !one_holds_all;
    a.non_drivable[t] = !(info[0].drivable && info[1].drivable && info[2].drivable && info[3].drivable);
    a.oncoming[t] = !info[kCenter].on_route_lane;
    a.center_in_intersection[t] = info[kCenter].intersection;
    PointInfo rear;
    map.query({states[t].x, states[t].y}, rear);
    a.rear_in_intersection[t] = rear.intersection;
  }
  return a;
}

double speed(const sim::State& s) { return std::hypot(s.vx, s.vy); }

double no_at_fault_collisions(const std::vector<sim::State>& states, const EgoArea& area, const Observation& obs,
                              const ScorerParams& p) {
  double score = 1.0;
  std::unordered_set<uint32_t> ignored;
  const int steps = std::min<int>(states.size(), obs.num_steps());
  for (int t = 0; t < steps; ++t) {
    const Box& ego = area.boxes[t];
    for (const ObjectBox* ob = obs.begin(t); ob != obs.end(t); ++ob) {
      if (ignored.count(ob->object) || !intersects(ego, ob->box)) continue;
      const TrackedObject& obj = obs.objects()[ob->object];
      bool at_fault;
      if (speed(states[t]) <= p.stopped_speed_collision) {
        at_fault = false;  // STOPPED_EGO
      } else if (obj.is_stopped()) {
        at_fault = true;  // STOPPED_TRACK
      } else if (is_agent_behind(states[t].pose(), ob->box.center)) {
        at_fault = false;  // ACTIVE_REAR
      } else if (segment_intersects(ego.corners[0], ego.corners[3], ob->box)) {
        at_fault = true;  // ACTIVE_FRONT: the front bumper FL-FR hits it
      } else {
        at_fault = area.multiple_lanes[t] || area.non_drivable[t];  // ACTIVE_LATERAL
      }
      if (at_fault) {
        score = std::min(score, obj.is_agent() ? 0.0 : 0.5);
      } else {
        ignored.insert(ob->object);
      }
    }
  }
  return score;
}

double time_to_collision(const std::vector<sim::State>& states, const EgoArea& area, const Observation& obs,
                         const ScorerParams& p) {
  const int horizon = static_cast<int>(std::lround(p.ttc_horizon_s / 0.1));
  std::vector<int> offsets;
  for (int k = 0; k < horizon; k += 3) offsets.push_back(k);
  // v1 checks every step (its observations reach t + 9); v2 only the first 40 - 9 + 1
  // (n_proposal_steps_to_evaluate), whatever the observation's length.
  const int num_states = static_cast<int>(states.size());
  const int evaluated = p.version == PdmsVersion::kV1 ? num_states : num_states - offsets.back();
  const int last = std::min(evaluated, obs.num_steps() - offsets.back());
  std::unordered_set<uint32_t> ignored;
  for (int t = 0; t < last; ++t) {
    const double v = speed(states[t]);
    if (v < p.stopped_speed_ttc) continue;
    const sim::Pose rear = states[t].pose();
    const bool exposed = area.multiple_lanes[t] || area.non_drivable[t] || area.rear_in_intersection[t];
    for (int k : offsets) {
      const double d = v * k * 0.1;
      const Box moved = translate(area.boxes[t], d * std::cos(rear.heading), d * std::sin(rear.heading));
      for (const ObjectBox* ob = obs.begin(t + k); ob != obs.end(t + k); ++ob) {
        if (ignored.count(ob->object) || !intersects(moved, ob->box)) continue;
        if (is_agent_ahead(rear, ob->box.center) || (exposed && !is_agent_behind(rear, ob->box.center))) return 0.0;
        ignored.insert(ob->object);
      }
    }
  }
  return 1.0;
}

double driving_direction(const EgoArea& area, const ScorerParams& p) {
  const int window = static_cast<int>(p.ddc_horizon_s / 0.1);
  const size_t n = area.boxes.size();
  std::vector<double> oncoming(n, 0.0);
  for (size_t t = 1; t < n; ++t) {
    const bool counts = area.oncoming[t] && !(p.version == PdmsVersion::kV2 && area.center_in_intersection[t]);
    if (counts) {
      oncoming[t] = std::hypot(area.boxes[t].center.x - area.boxes[t - 1].center.x,
                               area.boxes[t].center.y - area.boxes[t - 1].center.y);
    }
  }
  double worst = 0;
  for (size_t t = 0; t < n; ++t) {
    double sum = 0;
    for (size_t j = t >= static_cast<size_t>(window) ? t - window : 0; j <= t; ++j) sum += oncoming[j];
    worst = std::max(worst, sum);
  }
  if (worst < p.ddc_thresholds[0]) return 1.0;
  if (worst < p.ddc_thresholds[1]) return 0.5;
  return 0.0;
}

double traffic_light_compliance(const EgoArea& area, const ScoringScene& scene) {
  if (scene.red_lights.empty()) return 1.0;
  constexpr size_t kStepsPerFrame = 5;  // 0.5 s frames on the 0.1 s grid
  for (size_t t = 0; t < area.boxes.size(); ++t) {
    for (const auto* poly : scene.red_lights[std::min(t / kStepsPerFrame, scene.red_lights.size() - 1)]) {
      if (polygon_intersects_box(*poly, area.boxes[t])) return 0.0;
    }
  }
  return 1.0;
}

double lane_keeping(const EgoArea& area, const Centerline& centerline, const ScorerParams& p) {
  const int limit = static_cast<int>(std::ceil(p.lane_keeping_horizon_s / 0.1 - 1e-9));
  int run = 0;
  for (size_t t = 0; t < area.boxes.size(); ++t) {
    if (area.center_in_intersection[t]) continue;  // skipped without resetting the run
    if (centerline.distance(area.boxes[t].center) > p.lane_keeping_deviation) {
      if (++run >= limit) return 0.0;
    } else {
      run = 0;
    }
  }
  return 1.0;
}

}  // namespace

double progress_bound(const SubScores& s, PdmsVersion version) {
  const double multiplier = version == PdmsVersion::kV1 ? s.nc * s.dac : s.nc * s.dac * s.ddc * s.tlc;
  return s.progress * multiplier;
}

std::vector<SubScores> score_proposals(const std::vector<std::vector<sim::State>>& proposals,
                                       const ScoringScene& scene, const ScorerParams& p, double other_best) {
  AUTOSCALE_CHECK(scene.map && scene.observation && scene.centerline, "internal: incomplete ScoringScene");
  std::vector<SubScores> out(proposals.size());
  std::vector<double> multiplier(proposals.size());
  for (size_t i = 0; i < proposals.size(); ++i) {
    const auto& states = proposals[i];
    Laps laps(scene.timings);
    const EgoArea area = ego_area(states, *scene.map, p.vehicle);
    laps.lap(&ScoreTimings::map_queries_s);
    SubScores& s = out[i];
    s.nc = no_at_fault_collisions(states, area, *scene.observation, p);
    s.ttc = time_to_collision(states, area, *scene.observation, p);
    laps.lap(&ScoreTimings::collisions_s);
    s.dac = std::any_of(area.non_drivable.begin(), area.non_drivable.end(), [](bool b) { return b; }) ? 0.0 : 1.0;
    s.ddc = driving_direction(area, p);
    const double start = scene.centerline->project(area.boxes.front().center);
    const double end = scene.centerline->project(area.boxes.back().center);
    s.progress = std::max(0.0, end - start);
    if (p.version == PdmsVersion::kV1) {
      laps.lap(&ScoreTimings::other_s);
      s.c = comfortable_v1(states) ? 1.0 : 0.0;
      laps.lap(&ScoreTimings::comfort_s);
      multiplier[i] = s.nc * s.dac;
    } else {
      s.tlc = traffic_light_compliance(area, scene);
      s.lk = lane_keeping(area, *scene.centerline, p);
      laps.lap(&ScoreTimings::other_s);
      // Kept for parity with NAVSIM's PDMScorer._calculate_history_comfort: the checks run only
      // when a past trajectory is given (on the past states followed by the simulated ones);
      // without one HC is 1.
      const bool comfortable =
          scene.history.empty() || comfortable_v2(scene.history, states, p.vehicle.rear_axle_to_center());
      s.hc = comfortable ? 1.0 : 0.0;
      laps.lap(&ScoreTimings::comfort_s);
      s.c = s.hc;
      multiplier[i] = s.nc * s.dac * s.ddc * s.tlc;
    }
  }
  // Ego progress, normalised by the best progress among proposals without a multiplicative failure.
  double best = other_best;
  for (size_t i = 0; i < out.size(); ++i) best = std::max(best, out[i].progress * multiplier[i]);
  for (size_t i = 0; i < out.size(); ++i) {
    SubScores& s = out[i];
    if (p.version == PdmsVersion::kV1) {
      s.ep = best > p.progress_threshold ? s.progress * multiplier[i] / best : (multiplier[i] != 0 ? 1.0 : 0.0);
    } else {
      s.ep = best > p.progress_threshold ? std::clamp(s.progress / best, 0.0, 1.0) : 1.0;
    }
    finalize_score(s, p.version);
  }
  return out;
}

double finalize_score(SubScores& s, PdmsVersion version) {
  if (version == PdmsVersion::kV1) {
    s.score = s.nc * s.dac * (5 * s.ttc + 5 * s.ep + 2 * s.c) / 12.0;
  } else {
    const bool has_ec = !std::isnan(s.ec);
    const double weighted = 5 * s.ep + 5 * s.ttc + 2 * s.lk + 2 * s.hc + (has_ec ? 2 * s.ec : 0.0);
    s.score = s.nc * s.dac * s.ddc * s.tlc * weighted / (has_ec ? 16.0 : 14.0);
  }
  return s.score;
}

void apply_human_filter(SubScores& agent, const SubScores& human) {
  for (auto [a, h] : {std::pair{&agent.nc, human.nc}, {&agent.dac, human.dac}, {&agent.ddc, human.ddc},
                      {&agent.tlc, human.tlc}, {&agent.ttc, human.ttc}, {&agent.lk, human.lk},
                      {&agent.ep, human.ep}, {&agent.hc, human.hc}, {&agent.ec, human.ec}}) {
    if (h == 0.0) *a = 1.0;
  }
  finalize_score(agent, PdmsVersion::kV2);
}

}  // namespace autoscale::eval
