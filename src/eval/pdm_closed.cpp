#include "autoscale/eval/pdm_closed.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "autoscale/core/error.h"
#include "autoscale/sim/trajectory.h"

namespace autoscale::eval {

std::vector<AgentTrack> forecast_tracks(const std::vector<AgentTrack>& tracks, scene::Vec2 c, double radius,
                                        double horizon_s) {
  struct Candidate {
    double distance;
    const AgentTrack* track;
  };
  std::map<scene::AgentType, std::vector<Candidate>> by_type;
  for (const auto& t : tracks) {
    if (t.samples.empty() || std::abs(t.samples.front().t) > 1e-9) continue;  // not detected now
    const auto& s = t.samples.front();
    const double d = std::hypot(s.x - c.x, s.y - c.y);
    if (d <= radius) by_type[t.type].push_back({d, &t});
  }
  const std::map<scene::AgentType, size_t> caps{{scene::AgentType::kVehicle, 50},
                                                {scene::AgentType::kPedestrian, 25},
                                                {scene::AgentType::kBicycle, 10},
                                                {scene::AgentType::kStatic, 50}};
  std::vector<AgentTrack> out;
  for (auto& [type, list] : by_type) {
    std::stable_sort(list.begin(), list.end(), [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
    for (size_t i = 0; i < list.size() && i < caps.at(type); ++i) {
      const AgentTrack& t = *list[i].track;
      const auto& s = t.samples.front();
      // Constant speed along the heading (reversed when the velocity points backwards).
      const double v = std::hypot(s.vx, s.vy);
      const double dir = (s.vx * std::cos(s.heading) + s.vy * std::sin(s.heading)) < 0 ? s.heading + M_PI : s.heading;
      AgentTrack f{t.id, t.type, t.length, t.width, {}};
      f.samples.push_back({0.0, s.x, s.y, s.heading, v * std::cos(dir), v * std::sin(dir)});
      f.samples.push_back({horizon_s, s.x + v * std::cos(dir) * horizon_s, s.y + v * std::sin(dir) * horizon_s,
                           s.heading, v * std::cos(dir), v * std::sin(dir)});
      out.push_back(std::move(f));
    }
  }
  return out;
}

namespace {

struct Leader {
  double s;       // arc length of the leader's rear
  double v;       // its speed along the path
  double rear;    // stand-off subtracted from the gap
};

// The nearest object in the driving corridor ahead. The corridor is the path from the ego's
// progress to `reach`, buffered by half the ego width; an object is in it when one of its
// corners or its centre is that close to the path and it projects ahead of the ego.
Leader find_leader(const Centerline& path, double s, double reach, const Observation& forecast, int step,
                   const std::vector<double>& light_s, const sim::VehicleParams& vehicle, const PdmClosedParams& p) {
  Leader best{path.length(), 0.0, p.no_leader_rear_length};
  const double half_width = 0.5 * vehicle.width;
  const double ego_front = s + vehicle.front_length;
  for (const ObjectBox* ob = forecast.begin(step); ob != forecast.end(step); ++ob) {
    const double s_obj = path.project(ob->box.center);
    if (s_obj <= s || s_obj > s + reach) continue;
    bool in_corridor = path.distance(ob->box.center) <= half_width;
    for (const auto& corner : ob->box.corners) in_corridor = in_corridor || path.distance(corner) <= half_width;
    if (!in_corridor) continue;
    double nearest = INFINITY;
    for (const auto& corner : ob->box.corners) nearest = std::min(nearest, path.project(corner));
    const double gap = std::max(0.0, nearest - ego_front);
    if (s + gap < best.s) {
      const TrackedObject& obj = forecast.objects()[ob->object];
      double v = 0.0;
      if (obj.is_agent()) {
        // Speed along the path: |v| cos(heading difference), from consecutive boxes.
        const sim::Pose at = path.interpolate(s_obj);
        const double heading = std::atan2(ob->box.corners[0].y - ob->box.corners[1].y,
                                          ob->box.corners[0].x - ob->box.corners[1].x);
        v = std::max(0.0, obj.first_speed * std::cos(heading - at.heading));
      }
      best = {s + gap, v, 0.0};
    }
  }
  for (double sl : light_s) {
    const double gap = std::max(0.0, sl - ego_front);
    if (sl > s && sl <= s + reach && s + gap < best.s) best = {s + gap, 0.0, 0.0};
  }
  return best;
}

// IDM along one path; returns the rear-axle poses at t = 0, 0.1, ..., steps * 0.1.
std::vector<sim::Pose> unroll(const Centerline& path, const sim::State& initial, double v_target,
                              const Observation& forecast, const std::vector<double>& light_s,
                              const sim::VehicleParams& vehicle, const PdmClosedParams& p) {
  double s = path.project({initial.x, initial.y});
  double v = std::max(0.0, initial.vx);
  const double reach = v_target * 5.0;
  std::vector<sim::Pose> poses{path.interpolate(s)};
  Leader leader{};
  for (int k = 0; k < p.trajectory_steps; ++k) {
    if (k % 2 == 0) leader = find_leader(path, s, std::max(reach, 1.0), forecast, std::min(k, forecast.num_steps() - 1),
                                         light_s, vehicle, p);
    const double gap = std::max(leader.s - s - leader.rear, p.min_gap);
    const double desired = p.min_gap + v * p.headway + v * (v - leader.v) / (2 * std::sqrt(p.max_accel * p.max_decel));
    const double a = std::clamp(p.max_accel * (1 - std::pow(v / v_target, p.accel_exponent) - (desired / gap) * (desired / gap)),
                                -p.max_decel, p.max_accel);
    const double v_next = std::max(0.0, v + a * 0.1);
    s += 0.5 * (v + v_next) * 0.1;
    v = v_next;
    poses.push_back(path.interpolate(s));
  }
  return poses;
}

}  // namespace

PdmClosedResult pdm_closed(const sim::State& initial, const RoutePlan& route, const ScoringMap& map,
                           const std::vector<AgentTrack>& tracks, const std::vector<RedLight>& red_lights,
                           const PdmClosedParams& p, const sim::SimulatorParams& sim_params) {
  AUTOSCALE_CHECK(!route.centerline.empty(), "PDM-Closed: the route has no centerline");
  const sim::VehicleParams& vehicle = sim_params.vehicle;
  const double d = vehicle.rear_axle_to_center();
  const scene::Vec2 center{initial.x + d * std::cos(initial.heading), initial.y + d * std::sin(initial.heading)};
  const Observation forecast =
      Observation::from_tracks(forecast_tracks(tracks, center, p.forecast_radius, 5.0), sim::kNumStates)
          .without_objects_touching(ego_box(initial.pose(), vehicle));  // objects on the ego at t = 0 are ignored
  const double limit = std::isfinite(route.speed_limit) && route.speed_limit > 0 ? route.speed_limit : p.fallback_speed;

  std::vector<std::vector<sim::Pose>> plans;
  std::vector<std::vector<sim::State>> simulated;
  for (double offset : p.lateral_offsets) {
    const Centerline path = offset == 0.0 ? route.centerline : route.centerline.offset(offset);
    // Red lights stop the ego where their connector starts, if the path runs through it.
    std::vector<double> light_s;
    for (const auto& light : red_lights) {
      if (std::find(route.lane_path.begin(), route.lane_path.end(), light.lane) == route.lane_path.end()) continue;
      if (light.polygon && !light.polygon->exterior.empty()) {
        double first = INFINITY;
        for (const auto& q : light.polygon->exterior) first = std::min(first, path.project(q));
        light_s.push_back(first);
      }
    }
    for (double fraction : p.speed_fractions) {
      auto poses = unroll(path, initial, fraction * limit, forecast, light_s, vehicle, p);
      const std::vector<sim::Pose> reference(poses.begin(), poses.begin() + sim::kNumStates);
      simulated.push_back(sim::simulate(initial, reference, sim_params));
      plans.push_back(std::move(poses));
    }
  }
  ScorerParams scorer;
  scorer.version = PdmsVersion::kV1;
  scorer.vehicle = vehicle;
  ScoringScene scene;
  scene.map = &map;
  scene.observation = &forecast;
  scene.centerline = &route.centerline;
  const auto scores = score_proposals(simulated, scene, scorer);
  PdmClosedResult result;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (i == 0 || scores[i].score > result.score) result.score = scores[i].score, result.chosen = i;  // ties: first
  }
  const auto& best = plans[result.chosen];
  result.trajectory.assign(best.begin() + 1, best.end());
  result.simulated = simulated[result.chosen];
  return result;
}

}  // namespace autoscale::eval
