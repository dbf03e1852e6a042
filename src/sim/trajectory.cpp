#include "autoscale/sim/trajectory.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "autoscale/core/error.h"

namespace autoscale::sim {
namespace {
double normalize(double a) { return std::atan2(std::sin(a), std::cos(a)); }
}  // namespace

std::vector<Pose> relative_to_absolute(const Pose& o, const std::vector<Pose>& relative) {
  const double c = std::cos(o.heading), s = std::sin(o.heading);
  std::vector<Pose> out;
  out.reserve(relative.size());
  for (const auto& r : relative) {
    out.push_back({o.x + c * r.x - s * r.y, o.y + s * r.x + c * r.y, normalize(o.heading + r.heading)});
  }
  return out;
}

std::vector<Pose> absolute_to_relative(const Pose& o, const std::vector<Pose>& absolute) {
  const double c = std::cos(o.heading), s = std::sin(o.heading);
  std::vector<Pose> out;
  out.reserve(absolute.size());
  for (const auto& a : absolute) {
    const double dx = a.x - o.x, dy = a.y - o.y;
    out.push_back({c * dx + s * dy, -s * dx + c * dy, normalize(a.heading - o.heading)});
  }
  return out;
}

std::vector<Pose> interpolate_plan(const Pose& initial, const std::vector<Pose>& poses, double interval,
                                   int num_states) {
  AUTOSCALE_CHECK(interval > 0, "plan interval must be positive, got {}", interval);
  // Knots: the initial pose at 0 us, then the plan's poses; times in integer microseconds as
  // nuPlan's TimePoint keeps them.
  const size_t n = poses.size() + 1;
  std::vector<int64_t> t(n);
  std::vector<double> x(n), y(n), h(n);
  t[0] = 0;
  x[0] = initial.x, y[0] = initial.y, h[0] = initial.heading;
  const auto step_us = static_cast<int64_t>(interval * 1e6);
  for (size_t k = 1; k < n; ++k) {
    t[k] = step_us * static_cast<int64_t>(k);
    x[k] = poses[k - 1].x, y[k] = poses[k - 1].y, h[k] = poses[k - 1].heading;
  }
  // np.unwrap of the headings (corrections from the raw differences, accumulated), so that
  // interpolation takes the short way round.
  double correction = 0.0;
  double previous_raw = h[0];
  for (size_t k = 1; k < n; ++k) {
    const double raw = h[k];
    const double d = raw - previous_raw;
    double dd = std::fmod(d + M_PI, 2 * M_PI);
    if (dd < 0) dd += 2 * M_PI;
    dd -= M_PI;
    if (dd == -M_PI && d > 0) dd = M_PI;
    if (std::abs(d) >= M_PI) correction += dd - d;
    h[k] = raw + correction;
    previous_raw = raw;
  }
  std::vector<Pose> out;
  out.reserve(num_states);
  size_t seg = 0;
  for (int i = 0; i < num_states; ++i) {
    // np.arange(0, 4.1, 0.1) computes start + i * step; int() truncates the microseconds.
    int64_t ts = static_cast<int64_t>((i * 0.1) * 1e6);
    ts = std::clamp<int64_t>(ts, t.front(), t.back());  // a shorter plan holds its last pose
    while (seg + 2 < n && t[seg + 1] < ts) ++seg;
    if (n == 1) {
      out.push_back(initial);
      continue;
    }
    const double w = static_cast<double>(ts - t[seg]) / static_cast<double>(t[seg + 1] - t[seg]);
    out.push_back({x[seg] + w * (x[seg + 1] - x[seg]), y[seg] + w * (y[seg + 1] - y[seg]),
                   normalize(h[seg] + w * (h[seg + 1] - h[seg]))});
  }
  return out;
}

}  // namespace autoscale::sim
