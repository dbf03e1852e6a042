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

constexpr double kDt = 0.1;

double normalize_angle(double a) { return std::atan2(std::sin(a), std::cos(a)); }

// PDMGenerator._get_driving_corridor: the path from the ego's initial progress to the reach of
// the fastest policy over the trajectory horizon, buffered by half the ego width with square
// caps. Like PDMPath.substring it keeps the path vertices inside [start, end] (the exact cut
// only when fewer than two vertices fall inside).
class Corridor {
 public:
  Corridor(const Centerline& path, double start, double end, double half_width) : half_width_(half_width) {
    start = std::clamp(start, 0.0, path.length());
    end = std::clamp(end, 0.0, path.length());
    const auto& pts = path.points();
    double s = 0.0;
    for (size_t i = 0; i < pts.size(); ++i) {
      if (i > 0) s += std::hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
      if (start <= s && s <= end) line_.push_back(pts[i]);
    }
    if (line_.size() < 2) {  // shapely.ops.substring
      line_.clear();
      const sim::Pose a = path.interpolate(start), b = path.interpolate(end);
      line_.push_back({a.x, a.y});
      s = 0.0;
      for (size_t i = 0; i < pts.size(); ++i) {
        if (i > 0) s += std::hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
        if (start < s && s < end) line_.push_back(pts[i]);
      }
      line_.push_back({b.x, b.y});
    }
    min_x_ = max_x_ = line_[0].x;
    min_y_ = max_y_ = line_[0].y;
    for (const auto& p : line_) {
      min_x_ = std::min(min_x_, p.x), max_x_ = std::max(max_x_, p.x);
      min_y_ = std::min(min_y_, p.y), max_y_ = std::max(max_y_, p.y);
    }
    const double pad = half_width * std::sqrt(2.0);  // the square caps reach this far
    min_x_ -= pad, min_y_ -= pad, max_x_ += pad, max_y_ += pad;
    // Square caps: half-width squares beyond both ends, along the end segments; a corridor of
    // zero length is a square around its point.
    auto differs = [&](Vec2 a, Vec2 b) { return a.x != b.x || a.y != b.y; };
    size_t inner_front = 1, inner_back = line_.size() - 2;
    while (inner_front < line_.size() && !differs(line_[inner_front], line_.front())) ++inner_front;
    while (inner_back + 1 > 0 && inner_back < line_.size() && !differs(line_[inner_back], line_.back())) --inner_back;
    if (inner_front >= line_.size()) {
      caps_.push_back(ring_of(make_box(line_[0].x, line_[0].y, 0.0, 2 * half_width, 2 * half_width)));
    } else {
      add_cap(line_.front(), line_[inner_front]);
      add_cap(line_.back(), line_[inner_back]);
    }
  }

  // Shapely's corridor.intersects(polygon).
  bool intersects(const scene::Polyline& ring) const {
    double a = INFINITY, b = INFINITY, c = -INFINITY, d = -INFINITY;
    for (const auto& p : ring) a = std::min(a, p.x), b = std::min(b, p.y), c = std::max(c, p.x), d = std::max(d, p.y);
    if (c < min_x_ || a > max_x_ || d < min_y_ || b > max_y_) return false;
    for (size_t i = 0; i + 1 < line_.size(); ++i) {
      const Vec2 p = line_[i], q = line_[i + 1];
      if (std::max(p.x, q.x) + half_width_ < a || std::min(p.x, q.x) - half_width_ > c ||
          std::max(p.y, q.y) + half_width_ < b || std::min(p.y, q.y) - half_width_ > d) {
        continue;
      }
      if (polyline_ring_distance({p, q}, ring) <= half_width_) return true;
    }
    for (const auto& cap : caps_) {
      if (ring_distance(cap, ring) == 0.0) return true;
    }
    return false;
  }

 private:
  void add_cap(Vec2 end_point, Vec2 inner) {
    const double n = std::hypot(end_point.x - inner.x, end_point.y - inner.y);
    const double dx = (end_point.x - inner.x) / n, dy = (end_point.y - inner.y) / n;
    caps_.push_back(ring_of(make_box(end_point.x + 0.5 * half_width_ * dx, end_point.y + 0.5 * half_width_ * dy,
                                     std::atan2(dy, dx), half_width_, 2 * half_width_)));
  }

  double half_width_;
  scene::Polyline line_;
  std::vector<scene::Polyline> caps_;
  double min_x_, min_y_, max_x_, max_y_;
};

// LeadingAgentIndex: progress of the leader's rear, its speed along the ego heading, and the
// length subtracted from the gap.
struct Leader {
  double progress = 0.0;
  double velocity = 0.0;
  double rear = 0.0;
};

// One object the leader search may pick at a step.
struct Obstacle {
  scene::Polyline ring;
  double progress;       // projection of its centroid on the path
  bool red_light;
  bool agent;            // moving object (nuPlan Agent), else static
  double speed, heading;
};

// PDMGenerator's unrolling of the IDM policies that share one path (its lateral batch).
class Unroller {
 public:
  Unroller(const Centerline& path, const Corridor& corridor, const Observation& forecast,
           const std::vector<const scene::Polygon*>& red_lights, const sim::VehicleParams& vehicle,
           const PdmClosedParams& p, const std::vector<double>& target_speeds, double initial_progress,
           double initial_speed)
      : path_(path), corridor_(corridor), forecast_(forecast), red_lights_(red_lights), vehicle_(vehicle), p_(p),
        targets_(target_speeds) {
    const size_t n = targets_.size(), steps = static_cast<size_t>(p.trajectory_steps) + 1;
    progress_.assign(n, std::vector<double>(steps, 0.0));
    speed_.assign(n, std::vector<double>(steps, 0.0));
    poses_.assign(n, std::vector<sim::Pose>(steps));
    leader_.assign(n, std::vector<Leader>(steps));  // zero-filled, as NAVSIM's leading_agent_array
    for (size_t i = 0; i < n; ++i) {
      progress_[i][0] = initial_progress;
      speed_[i][0] = initial_speed;
      poses_[i][0] = pose_at(initial_progress);
    }
  }

  // Steps from..to (inclusive) of the proposals in `batch`, which NAVSIM unrolls together.
  void run(const std::vector<size_t>& batch, int from, int to) {
    for (int k = from; k <= to; ++k) {
      update_leaders(batch, k);
      for (size_t i : batch) propagate(i, k);
    }
  }

  const std::vector<sim::Pose>& poses(size_t i) const { return poses_[i]; }

 private:
  // PDMPath.interpolate clips the progress to [1e-5, length].
  sim::Pose pose_at(double s) const { return path_.interpolate(std::clamp(s, 1e-5, path_.length())); }

  // BatchIDMPolicy.propagate, kept for parity: plain explicit Euler, the position advances with
  // the OLD speed and the speed is not clamped at 0.
  void propagate(size_t i, int k) {
    const double s = progress_[i][k - 1], v = speed_[i][k - 1];
    const Leader& lead = leader_[i][k];
    const double desired =
        p_.min_gap + v * p_.headway + v * (v - lead.velocity) / (2 * std::sqrt(p_.max_accel * p_.max_decel));
    const double gap = std::max(lead.progress - s - lead.rear, p_.min_gap);
    const double accel = std::clamp(
        p_.max_accel * (1 - std::pow(v / targets_[i], p_.accel_exponent) - (desired / gap) * (desired / gap)),
        -p_.max_decel, p_.max_accel);
    progress_[i][k] = s + kDt * v;
    speed_[i][k] = v + kDt * accel;
    poses_[i][k] = pose_at(progress_[i][k]);
  }

  // PDMGenerator._update_leading_agents, kept for parity in three respects. (1) The leader is
  // searched only at even steps; odd steps copy the previous entry, so step 1 reads the
  // zero-filled entry 0: a leader at progress 0 with speed 0 and no rear length, i.e. a gap of
  // min_gap, so the ego brakes for the first 0.1 s (at -max_decel from about 0.5 m/s up; from
  // 10 m/s it ends the step at 9.7 m/s). (2) Candidates are the
  // objects (and red lights) whose polygon intersects the fixed corridor and whose centroid
  // projects ahead of the ego's previous progress; the nearest by polygon distance to the ego
  // footprint (at its previous path pose) gives progress = ego progress + distance. (3) One
  // entry is reused across the batch within a step: a field a proposal does not write (the speed
  // for a red light or an empty road, the rear length when a leader is found) keeps the value the
  // previous proposal of the batch left in it.
  void update_leaders(const std::vector<size_t>& batch, int k) {
    if (k % p_.leader_update_steps != 0) {
      for (size_t i : batch) leader_[i][k] = leader_[i][k - 1];
      return;
    }
    std::vector<Obstacle> obstacles;
    const int step = std::min(k, forecast_.num_steps() - 1);
    for (const ObjectBox* ob = forecast_.begin(step); ob != forecast_.end(step); ++ob) {
      scene::Polyline ring = ring_of(ob->box);
      if (!corridor_.intersects(ring)) continue;
      const TrackedObject& obj = forecast_.objects()[ob->object];
      const double heading = std::atan2(ob->box.corners[0].y - ob->box.corners[1].y,
                                        ob->box.corners[0].x - ob->box.corners[1].x);
      obstacles.push_back({std::move(ring), path_.project(ob->box.center), false, obj.is_agent(), obj.first_speed,
                           heading});
    }
    for (const auto* light : red_lights_) {
      if (!corridor_.intersects(light->exterior)) continue;
      obstacles.push_back({light->exterior, path_.project(ring_centroid(light->exterior)), true, false, 0.0, 0.0});
    }
    Leader shared;
    for (size_t i : batch) {
      const double s = progress_[i][k - 1];
      const sim::Pose& pose = poses_[i][k - 1];
      const Obstacle* nearest = nullptr;
      double nearest_d = INFINITY;
      scene::Polyline ego;
      for (const auto& o : obstacles) {
        if (!(o.progress > s)) continue;
        if (ego.empty()) ego = ring_of(ego_box(pose, vehicle_));
        const double d = ring_distance(ego, o.ring);
        if (d < nearest_d) nearest_d = d, nearest = &o;
      }
      if (nearest) {
        shared.progress = s + nearest_d;
        if (!nearest->red_light) {
          // _get_leading_agent_velocity: |v| projected on the ego heading, 0 for static objects.
          shared.velocity = nearest->agent ? nearest->speed * std::cos(normalize_angle(nearest->heading - pose.heading))
                                           : 0.0;
        }
      } else {
        shared.progress = path_.length();
        shared.rear = vehicle_.length / 2;
      }
      leader_[i][k] = shared;
    }
  }

  const Centerline& path_;
  const Corridor& corridor_;
  const Observation& forecast_;
  const std::vector<const scene::Polygon*>& red_lights_;
  const sim::VehicleParams& vehicle_;
  const PdmClosedParams& p_;
  std::vector<double> targets_;
  std::vector<std::vector<double>> progress_, speed_;
  std::vector<std::vector<sim::Pose>> poses_;
  std::vector<std::vector<Leader>> leader_;
};

// Red lights the ego is already inside at t = 0 are ignored (PDMObservation.update keeps them in
// collided_track_ids).
bool box_within(const Box& box, const scene::Polyline& ring) {
  return std::all_of(box.corners.begin(), box.corners.end(), [&](Vec2 c) { return strictly_inside_ring(ring, c); });
}

}  // namespace

PdmClosedResult pdm_closed(const sim::State& initial, const RoutePlan& route, const ScoringMap& map,
                           const std::vector<AgentTrack>& tracks, const std::vector<RedLight>& red_lights,
                           const PdmClosedParams& p, const sim::SimulatorParams& sim_params) {
  AUTOSCALE_CHECK(!route.centerline.empty(), "PDM-Closed: the route has no centerline");
  AUTOSCALE_CHECK(p.proposal_steps == sim::kSimSteps && p.trajectory_steps >= p.proposal_steps &&
                      p.leader_update_steps >= 1,
                  "PDM-Closed: inconsistent step counts (proposal {}, trajectory {}, leader update {}; the scorer "
                  "simulates {} steps)", p.proposal_steps, p.trajectory_steps, p.leader_update_steps, sim::kSimSteps);
  AUTOSCALE_CHECK(!p.speed_fractions.empty() && !p.lateral_offsets.empty(),
                  "PDM-Closed: {} speed fractions and {} lateral offsets; at least one of each is needed",
                  p.speed_fractions.size(), p.lateral_offsets.size());
  const sim::VehicleParams& vehicle = sim_params.vehicle;
  const Box ego0 = ego_box(initial.pose(), vehicle);
  // PDMObservation: the constant-velocity forecast sampled every 0.2 s and held in between, over
  // the trajectory horizon; objects overlapping the ego at t = 0 are ignored.
  const Observation forecast =
      Observation::from_tracks(forecast_tracks(tracks, ego0.center, p.forecast_radius, p.trajectory_steps * kDt),
                               p.trajectory_steps + 1, p.leader_update_steps)
          .without_objects_touching(ego0);
  std::vector<const scene::Polygon*> lights, leader_lights;  // all (v2 TLC) / those the IDM may stop for
  for (const auto& light : red_lights) {
    if (!light.polygon || light.polygon->exterior.size() < 3) continue;
    lights.push_back(light.polygon);
    if (!box_within(ego0, light.polygon->exterior)) leader_lights.push_back(light.polygon);
  }
  const double limit = std::isfinite(route.speed_limit) && route.speed_limit > 0 ? route.speed_limit : p.fallback_speed;
  std::vector<double> targets;
  for (double fraction : p.speed_fractions) targets.push_back(fraction * limit);
  const double max_target = *std::max_element(targets.begin(), targets.end());
  std::vector<size_t> batch(targets.size());
  for (size_t i = 0; i < batch.size(); ++i) batch[i] = i;

  // Unrollers keep references to their path and corridor: reserved up front, never reallocated.
  std::vector<Centerline> paths;
  std::vector<Corridor> corridors;
  std::vector<Unroller> unrollers;
  paths.reserve(p.lateral_offsets.size());
  corridors.reserve(p.lateral_offsets.size());
  unrollers.reserve(p.lateral_offsets.size());
  std::vector<std::vector<sim::State>> simulated;
  std::vector<std::vector<sim::Pose>> proposals;
  for (double offset : p.lateral_offsets) {
    paths.push_back(offset == 0.0 ? route.centerline : route.centerline.offset(offset));
    const Centerline& path = paths.back();
    const double s0 = path.project({initial.x, initial.y});
    corridors.emplace_back(path, s0, s0 + std::abs(max_target) * p.trajectory_steps * kDt, 0.5 * vehicle.width);
    unrollers.emplace_back(path, corridors.back(), forecast, leader_lights, vehicle, p, targets, s0, initial.vx);
    unrollers.back().run(batch, 1, p.proposal_steps);
    for (size_t i : batch) {
      const auto& poses = unrollers.back().poses(i);
      std::vector<sim::Pose> reference(poses.begin(), poses.begin() + p.proposal_steps + 1);
      simulated.push_back(sim::simulate(initial, reference, sim_params));
      proposals.push_back(std::move(reference));
    }
  }
  ScorerParams scorer;
  scorer.version = p.scorer_version;
  scorer.vehicle = vehicle;
  ScoringScene scene;
  scene.map = &map;
  scene.observation = &forecast;
  scene.centerline = &route.centerline;
  scene.red_lights = {lights};  // the planning observation holds t = 0's lights
  const auto scores = score_proposals(simulated, scene, scorer);
  PdmClosedResult result;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (i == 0 || scores[i].score > result.score) result.score = scores[i].score, result.chosen = i;  // ties: first
  }
  // PDMGenerator.generate_trajectory: the chosen proposal alone is unrolled on to the horizon.
  const size_t lateral = result.chosen / targets.size(), longitudinal = result.chosen % targets.size();
  unrollers[lateral].run({longitudinal}, p.proposal_steps + 1, p.trajectory_steps);
  const auto& best = unrollers[lateral].poses(longitudinal);
  result.start = best.front();
  result.trajectory.assign(best.begin() + 1, best.end());
  result.simulated = simulated[result.chosen];
  result.proposals = std::move(proposals);
  result.proposal_scores = scores;
  return result;
}

}  // namespace autoscale::eval
