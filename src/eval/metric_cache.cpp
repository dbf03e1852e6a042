#include "autoscale/eval/metric_cache.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <unordered_set>

#include "autoscale/core/error.h"
#include "autoscale/eval/history.h"
#include "autoscale/sim/trajectory.h"

namespace autoscale::eval {
namespace {
constexpr int kObservationStepsV1 = 51;  // v1 observes 0 .. 5 s

// A vehicle of the recorded size with the Pacifica's proportions (overhangs, wheelbase).
sim::VehicleParams scaled_vehicle(double length, double width) {
  const sim::VehicleParams pacifica;
  const double r = length / pacifica.length;
  sim::VehicleParams v = pacifica;
  v.length = length;
  v.width = width;
  v.rear_length = pacifica.rear_length * r;
  v.front_length = pacifica.front_length * r;
  v.wheel_base = pacifica.wheel_base * r;
  v.cog_position_from_rear_axle = pacifica.cog_position_from_rear_axle * r;
  return v;
}

// NAVSIM scores against its 2 Hz scene frames, sample-and-hold: frame k (t = 0.5 k s) covers
// steps 5k .. 5k + 4 of the 0.1 s horizon.
constexpr size_t kStepsPerFrame = 5;
constexpr size_t kScoredFrames = (sim::kNumStates - 1) / kStepsPerFrame + 1;  // t = 0 .. 4 s

// A light's state in frame k: the current one at k = 0, else the future step at t = 0.5 k s;
// past what the source knows, the last known state holds.
scene::LightState state_in_frame(const scene::TrafficLight& light, size_t k) {
  if (k == 0 || light.future.empty()) return light.state;
  return light.future[std::min(k * kStepsPerFrame, light.future.size()) - 1];
}

size_t light_frames(const std::vector<scene::TrafficLight>& lights) {
  const bool any_future = std::any_of(lights.begin(), lights.end(), [](const auto& l) { return !l.future.empty(); });
  return any_future ? kScoredFrames : 1;
}
}

MetricCache MetricCache::build(SceneInputs inputs, const EvalOptions& options) {
  return with_context("scene " + inputs.token, [&] {
    AUTOSCALE_CHECK(inputs.map != nullptr, "no map");
    MetricCache c;
    c.options_ = options;
    c.inputs_ = std::move(inputs);
    if (options.recorded_ego_size && c.inputs_.ego_length > 0 && c.inputs_.ego_width > 0) {
      c.options_.sim.vehicle = scaled_vehicle(c.inputs_.ego_length, c.inputs_.ego_width);
    }
    const auto& in = c.inputs_;
    const sim::VehicleParams& vehicle = c.options_.sim.vehicle;
    c.route_ = plan_route(*in.map, in.route, in.initial.pose(), vehicle);
    AUTOSCALE_CHECK(!c.route_.centerline.empty(), "the route has no centerline (lanes without centerlines?)");
    const Box ego0 = ego_box(in.initial.pose(), vehicle);
    c.map_ = ScoringMap(*in.map, ego0.center, c.route_.lanes);
    if (options.version == PdmsVersion::kV1) {
      c.observation_ = Observation::from_tracks(in.tracks, kObservationStepsV1);
    } else {  // v2 log replay: 4 s, minus tracks overlapping the ego at t = 0
      c.observation_ = Observation::from_tracks(in.tracks, sim::kNumStates).without_objects_touching(ego0);
    }
    // Red lane connectors: PDM-Closed plans against those of the corrected route; the v2 scorer
    // (TLC) uses those of the logged route (metric_cache_processor._load_route_dicts on the
    // frame's roadblock ids, not the corrected ones).
    // PDM-Closed sees t = 0's states only; TLC sees every 2 Hz frame whose states are known.
    std::unordered_set<std::string> logged_roadblocks(in.route.begin(), in.route.end());
    std::vector<RedLight> red;
    c.red_lights_.assign(light_frames(in.lights), {});
    for (const auto& light : in.lights) {
      const bool ever_red = light.state == scene::LightState::kRed ||
                            std::find(light.future.begin(), light.future.end(), scene::LightState::kRed) !=
                                light.future.end();
      if (!ever_red) continue;  // most lights: no map lookups
      const scene::Polygon* poly = c.map_.lane_polygon(light.lane);
      if (!poly) continue;
      if (light.state == scene::LightState::kRed && c.route_.lanes.count(light.lane)) red.push_back({light.lane, poly});
      const auto lane = std::find_if(in.map->lanes.begin(), in.map->lanes.end(),
                                     [&](const scene::Lane& l) { return l.id == light.lane; });
      if (lane == in.map->lanes.end() || !logged_roadblocks.count(lane->roadblock)) continue;
      for (size_t k = 0; k < c.red_lights_.size(); ++k) {
        if (state_in_frame(light, k) == scene::LightState::kRed) c.red_lights_[k].push_back(poly);
      }
    }
    if (in.reference) {
      c.reference_global_ = sim::relative_to_absolute(in.initial.pose(), in.reference->poses);
      const auto ref = sim::interpolate_plan(in.initial.pose(), c.reference_global_, in.reference->interval);
      c.reference_simulated_ = sim::simulate(in.initial, ref, c.options_.sim);
      if (in.reference->interval != 0.1) {  // keep the 0.1 s grid for reference_plan()
        c.reference_global_.assign(ref.begin() + 1, ref.end());
      }
    } else {
      PdmClosedParams pdm_params = options.pdm_closed;
      pdm_params.scorer_version = options.version;  // metric caching ranks with its version's scorer
      const auto pdm = pdm_closed(in.initial, c.route_, c.map_, in.tracks, red, pdm_params, c.options_.sim);
      c.reference_global_ = pdm.trajectory;
      const std::vector<sim::Pose> first(pdm.trajectory.begin(),
                                         pdm.trajectory.begin() + std::min<size_t>(sim::kSimSteps, pdm.trajectory.size()));
      // NAVSIM samples its cached PDM-Closed trajectory from t = 0, where the pose is the path
      // pose at the ego's projection (PDMGenerator._initialize_states), not the ego's own pose.
      c.reference_simulated_ =
          sim::simulate(in.initial, sim::interpolate_plan(pdm.start, first, 0.1), c.options_.sim);
    }
    {  // The reference is scored once; plans are then scored alone against its progress.
      ScorerParams p;
      p.version = options.version;
      p.vehicle = vehicle;
      ScoringScene s{&c.map_, &c.observation_, &c.route_.centerline, c.red_lights_, in.history};
      c.reference_bound_ = progress_bound(score_proposals({c.reference_simulated_}, s, p)[0], options.version);
    }
    if (options.version == PdmsVersion::kV2 && options.human_filter && in.human && !in.human->poses.empty()) {
      ScorerParams p;
      p.version = PdmsVersion::kV2;
      p.vehicle = vehicle;
      ScoringScene s{&c.map_, &c.observation_, &c.route_.centerline, c.red_lights_, {}};
      c.human_scores_ = score_proposals({c.simulate_plan(*in.human)}, s, p)[0];
    }
    return c;
  });
}

std::vector<sim::State> MetricCache::simulate_plan(const Plan& plan) const {
  const auto global = sim::relative_to_absolute(inputs_.initial.pose(), plan.poses);
  return sim::simulate(inputs_.initial, sim::interpolate_plan(inputs_.initial.pose(), global, plan.interval),
                       options_.sim);
}

PlanScore MetricCache::score(const Plan& plan, ScoreTimings* timings, double* simulate_s) const {
  AUTOSCALE_CHECK(!plan.poses.empty() && plan.interval > 0, "scene {}: empty plan", inputs_.token);
  PlanScore out;
  const auto t0 = std::chrono::steady_clock::now();
  out.simulated = simulate_plan(plan);
  if (simulate_s) *simulate_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ScorerParams p;
  p.version = options_.version;
  p.vehicle = options_.sim.vehicle;
  ScoringScene s{&map_, &observation_, &route_.centerline, red_lights_, inputs_.history, timings};
  out.scores = score_proposals({out.simulated}, s, p, reference_bound_)[0];
  if (human_scores_) apply_human_filter(out.scores, *human_scores_);
  return out;
}

Plan MetricCache::reference_plan() const {
  return {0.1, sim::absolute_to_relative(inputs_.initial.pose(), reference_global_)};
}

SceneInputs inputs_from_scene(const scene::Scene& s, std::shared_ptr<const scene::Map> map) {
  AUTOSCALE_CHECK(!s.ego.empty(), "scene {}: empty scene (no ego states)", s.token);
  SceneInputs in;
  in.token = s.token;
  in.ego_length = s.ego_length;
  in.ego_width = s.ego_width;
  const auto& e = s.current_ego();
  in.initial.x = e.x;
  in.initial.y = e.y;
  in.initial.heading = e.heading;
  in.initial.vx = e.vx;
  in.initial.vy = e.vy;
  in.initial.ax = e.ax;
  in.initial.ay = e.ay;
  in.map = std::move(map);
  in.route = s.route;
  in.tracks = tracks_from_scene(s, 5.0);
  in.lights = s.traffic_lights;
  // v2 history comfort: NAVSIM's past trajectory is the logged states at -1.5, -1.0, -0.5 and
  // 0 s (as far back as the scene goes), resampled at 0.1 s (history_states).
  const int c = s.current_index();
  std::vector<HistorySample> logged;
  for (int back = 15; back >= 0; back -= 5) {
    if (c - back < 0) continue;
    const auto& h = s.ego[c - back];
    HistorySample sample;
    sample.t = -0.1 * back;
    sim::State& st = sample.state;
    st.x = h.x, st.y = h.y, st.heading = h.heading, st.vx = h.vx, st.vy = h.vy, st.ax = h.ax, st.ay = h.ay;
    logged.push_back(sample);
  }
  in.history = history_states(logged);
  // The logged future at 0.5 s (NAVSIM's 8 poses over 4 s), for the human filter.
  if (s.domain == scene::Domain::kReal && s.num_future() >= 40) {
    Plan human;
    human.interval = 0.5;
    std::vector<sim::Pose> global;
    for (int k = 5; k <= 40; k += 5) global.push_back({s.ego[c + k].x, s.ego[c + k].y, s.ego[c + k].heading});
    human.poses = sim::absolute_to_relative(in.initial.pose(), global);
    in.human = human;
  }
  return in;
}

}  // namespace autoscale::eval
