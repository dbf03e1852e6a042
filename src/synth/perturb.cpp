#include "autoscale/synth/perturb.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "autoscale/core/error.h"
#include "autoscale/scene/geometry.h"

namespace autoscale::scene {

void PerturbOptions::visit(ConfigVisitor& v) {
  v.field("max_lateral_m", max_lateral_m, "largest lateral offset of the start [m]", at_least(0));
  v.field("max_heading_rad", max_heading_rad, "largest heading offset of the start [rad]", in_range(0, 1.5));
  v.field("min_speed_factor", min_speed_factor, "smallest factor on the start speed", at_least(0));
  v.field("max_speed_factor", max_speed_factor, "largest factor on the start speed", at_least(0));
  v.field("samples_per_scene", samples_per_scene, "perturbed copies drawn per real scene", at_least(1));
  v.field("min_pdms", min_pdms, "drop samples whose pseudo-expert scores below this PDMS", in_range(0, 1));
  v.field("future_s", future_s, "length of the pseudo-expert future, at most the simulated 4 s [s]", in_range(1.0, 4.0));
}

void PerturbOptions::validate() const {
  AUTOSCALE_CHECK(min_speed_factor <= max_speed_factor, "min_speed_factor ({}) must not exceed max_speed_factor ({})",
                  min_speed_factor, max_speed_factor);
}

namespace {
// FNV-1a: a stable hash of the token (std::hash may differ between library versions).
uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}
}  // namespace

Perturbation draw_perturbation(const PerturbOptions& o, uint64_t run_seed, const std::string& token, int k) {
  Perturbation p;
  p.seed = fnv1a(token) ^ (run_seed * 0x9E3779B97F4A7C15ULL) ^ (static_cast<uint64_t>(k) * 0xBF58476D1CE4E5B9ULL);
  std::mt19937_64 rng(p.seed);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  p.lateral = o.max_lateral_m * unit(rng);
  p.heading = o.max_heading_rad * unit(rng);
  p.speed_factor = o.min_speed_factor + (o.max_speed_factor - o.min_speed_factor) * 0.5 * (unit(rng) + 1.0);
  return p;
}

Scene perturb_start(const Scene& real, const Perturbation& p, int k) {
  AUTOSCALE_CHECK(!real.ego.empty(), "scene {}: empty scene", real.token);
  Scene s = real;
  const EgoState now = real.current_ego();
  // Rigid motion about the current rear axle: shift sideways, then turn by the heading offset.
  const double c = std::cos(now.heading), sn = std::sin(now.heading);
  const double ox = now.x - p.lateral * sn, oy = now.y + p.lateral * c;  // new rear-axle position
  const double cr = std::cos(p.heading), sr = std::sin(p.heading);
  s.ego.resize(static_cast<size_t>(real.num_history) + 1);
  for (auto& e : s.ego) {
    const double dx = e.x - now.x, dy = e.y - now.y;
    e.x = ox + cr * dx - sr * dy;
    e.y = oy + sr * dx + cr * dy;
    e.heading = wrap_angle(e.heading + p.heading);
  }
  EgoState& cur = s.ego.back();
  cur.vx *= p.speed_factor;
  cur.vy *= p.speed_factor;
  // The agents keep their whole recorded window: the labeller observes their future; the
  // caller fits them to the labelled ego future afterwards (fit_agents_to_ego).
  s.token = fmt::format("{}-p{}", real.token, k);
  s.domain = Domain::kSynthetic;
  s.generator = "perturb";
  s.seed = p.seed;
  s.source_log = real.source_log.empty() ? real.log : real.source_log;
  s.generator_params = nlohmann::json{{"source_token", real.token},
                                      {"lateral_m", p.lateral},
                                      {"heading_rad", p.heading},
                                      {"speed_factor", p.speed_factor}}
                           .dump();
  s.command = real.command;
  return s;
}

void fit_agents_to_ego(Scene& s) {
  for (auto& a : s.agents) a.states.resize(s.ego.size());  // extra steps invalid, surplus cut
  // The lights keep what the recording knew, no further than the new future.
  const size_t future = static_cast<size_t>(std::max(0, s.num_future()));
  for (auto& l : s.traffic_lights) {
    if (l.future.size() > future) l.future.resize(future);
  }
}

}  // namespace autoscale::scene
