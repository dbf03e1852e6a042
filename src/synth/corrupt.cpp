#include "autoscale/synth/corrupt.h"

#include <fmt/format.h>

#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"

namespace autoscale::scene {

void CorruptOptions::visit(ConfigVisitor& v) {
  v.field("kind", kind, "how the ego future is corrupted", Choices{"lateral_drift", "slow", "constant_velocity"});
  v.field("lateral_m", lateral_m, "lateral_drift: sideways offset at the end of the future, + to the right [m]");
  v.field("speed_factor", speed_factor, "slow: the future replays its path this much slower", {0, 1, true, true});
  v.field("fraction", fraction, "share of the input scenes that get a corrupted copy", in_range(0, 1));
}

void CorruptOptions::validate() const {
  AUTOSCALE_CHECK(std::isfinite(lateral_m) && std::abs(lateral_m) <= 20,
                  "lateral_m: {} m: expected a finite offset within ±20 m", lateral_m);
  AUTOSCALE_CHECK(speed_factor > 0 && speed_factor <= 1, "speed_factor: {}: expected a factor in (0, 1]",
                  speed_factor);
}

namespace {

EgoState lerp(const EgoState& a, const EgoState& b, double u) {
  auto mix = [u](double x, double y) { return x + (y - x) * u; };
  // Headings along the shortest turn between the two states.
  const double dh = std::remainder(b.heading - a.heading, 2 * M_PI);
  return {mix(a.x, b.x), mix(a.y, b.y), a.heading + dh * u, mix(a.vx, b.vx), mix(a.vy, b.vy), mix(a.ax, b.ax),
          mix(a.ay, b.ay)};
}

}  // namespace

Scene corrupt_label(const Scene& scene, const CorruptOptions& options) {
  options.validate();
  const int now = scene.current_index();
  const int future = scene.num_future();
  AUTOSCALE_CHECK(future > 0, "scene {}: no ego future to corrupt", quote(scene.token));
  Scene out = scene;
  out.token = "harm-" + scene.token;
  out.domain = Domain::kSynthetic;  // a wrong label is never a recording
  if (out.source_log.empty()) out.source_log = scene.log;
  out.generator = "corrupt_" + options.kind;
  out.generator_params = fmt::format(R"({{"kind":"{}","lateral_m":{},"speed_factor":{},"from":"{}"}})", options.kind,
                                     options.lateral_m, options.speed_factor, scene.generator);
  const EgoState& at = scene.ego[static_cast<size_t>(now)];
  const double speed = std::hypot(at.vx, at.vy);
  for (int i = 1; i <= future; ++i) {
    EgoState& s = out.ego[static_cast<size_t>(now + i)];
    if (options.kind == "constant_velocity") {
      const double d = speed * i * kStepSeconds;
      s = {at.x + d * std::cos(at.heading), at.y + d * std::sin(at.heading), at.heading,
           speed * std::cos(at.heading), speed * std::sin(at.heading), 0.0, 0.0};
    } else if (options.kind == "lateral_drift") {
      const double d = options.lateral_m * i / future;
      s.x += d * std::sin(s.heading);  // the right of heading h is (sin h, −cos h)
      s.y -= d * std::cos(s.heading);
    } else {
      const double t = i * options.speed_factor;  // in steps after now, < i
      const int k = static_cast<int>(std::floor(t));
      s = lerp(scene.ego[static_cast<size_t>(now + k)], scene.ego[static_cast<size_t>(now + std::min(k + 1, future))],
               t - k);
      s.vx *= options.speed_factor, s.vy *= options.speed_factor;
      s.ax *= options.speed_factor * options.speed_factor, s.ay *= options.speed_factor * options.speed_factor;
    }
  }
  return out;
}

bool chosen_for_corruption(const CorruptOptions& options, uint64_t seed, const std::string& token) {
  if (options.fraction >= 1) return true;
  return unit_interval(derive_seed(seed, "corrupt:" + token)) < options.fraction;
}

}  // namespace autoscale::scene
