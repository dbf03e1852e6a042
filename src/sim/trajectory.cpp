// Plan poses -> the simulator's 41 reference poses, as NAVSIM's transform_trajectory +
// InterpolatedTrajectory + get_trajectory_as_array do it (navsim-pdms.md 3.1).
#include "autoscale/sim/trajectory.h"

#include <algorithm>
#include <cmath>

#include "autoscale/core/error.h"
#include "internal.h"

namespace autoscale::sim {

std::vector<Pose> relative_to_absolute(const Pose& o, const std::vector<Pose>& relative) {
  // nuPlan composes 3x3 SE(2) matrices and reads the heading back with atan2 of the rotation
  // block; doing the same keeps the heading in (-pi, pi] with the same last bits.
  const double c = std::cos(o.heading), s = std::sin(o.heading);
  std::vector<Pose> out;
  out.reserve(relative.size());
  for (const auto& r : relative) {
    const double cr = std::cos(r.heading), sr = std::sin(r.heading);
    out.push_back({c * r.x - s * r.y + o.x, s * r.x + c * r.y + o.y, std::atan2(s * cr + c * sr, c * cr - s * sr)});
  }
  return out;
}

std::vector<Pose> absolute_to_relative(const Pose& o, const std::vector<Pose>& absolute) {
  const double c = std::cos(o.heading), s = std::sin(o.heading);
  std::vector<Pose> out;
  out.reserve(absolute.size());
  for (const auto& a : absolute) {
    const double dx = a.x - o.x, dy = a.y - o.y;
    const double ca = std::cos(a.heading), sa = std::sin(a.heading);
    out.push_back({c * dx + s * dy, -s * dx + c * dy, std::atan2(c * sa - s * ca, c * ca + s * sa)});
  }
  return out;
}

std::vector<Pose> interpolate_plan(const Pose& initial, const std::vector<Pose>& poses, double interval,
                                   int num_states) {
  return interpolate_plan(initial, poses, interval, num_states, 0);
}

std::vector<Pose> interpolate_plan(const Pose& initial, const std::vector<Pose>& poses, double interval,
                                   int num_states, int64_t start_time_us) {
  AUTOSCALE_CHECK(interval > 0, "plan interval must be positive, got {}", interval);
  AUTOSCALE_CHECK(!poses.empty(), "interpolate_plan: the plan has no poses");
  AUTOSCALE_CHECK(num_states >= 1, "interpolate_plan: num_states must be positive, got {}", num_states);
  const int n = static_cast<int>(poses.size()) + 1;  // knots: the initial pose, then the plan
  const double t0_s = static_cast<double>(start_time_us) * 1e-6;  // TimePoint.time_s
  auto knot = [&](int k) -> const Pose& { return k == 0 ? initial : poses[k - 1]; };
  // Knot k >= 1 sits at int((np.arange(0, horizon, interval)[k-1] + interval + t0_s) * 1e6) us
  // (_get_fixed_timesteps, _se2_vel_acc_to_ego_state); knot 0 is the initial state's timestamp.
  auto knot_us = [&](int k) -> double {
    if (k == 0) return static_cast<double>(start_time_us);
    const double t = (static_cast<double>(k - 1) * interval + interval) + t0_s;
    return static_cast<double>(static_cast<int64_t>(t * 1e6));
  };

  // np.unwrap of the knot headings: a jump of pi or more between neighbours is corrected by the
  // multiple of 2pi that brings it into [-pi, pi), and the corrections accumulate.
  std::vector<double> heading(n);
  heading[0] = initial.heading;
  double correction = 0.0;
  for (int k = 1; k < n; ++k) {
    const double d = knot(k).heading - knot(k - 1).heading;
    if (std::abs(d) >= detail::kPi) {
      double dmod = std::fmod(d + detail::kPi, 2 * detail::kPi);
      if (dmod < 0) dmod += 2 * detail::kPi;
      dmod -= detail::kPi;
      if (dmod == -detail::kPi && d > 0) dmod = detail::kPi;
      correction += dmod - d;
    }
    heading[k] = knot(k).heading + correction;
  }

  const double first_us = knot_us(0), last_us = knot_us(n - 1);
  std::vector<Pose> out;
  out.reserve(num_states);
  int hi = 1;  // scipy interp1d: hi = searchsorted(knots, t, side="left") clipped to [1, n-1]
  for (int i = 0; i < num_states; ++i) {
    // np.arange(0, 4.1, 0.1)[i] = i * 0.1, plus the start time in seconds, truncated to whole
    // microseconds and clipped to the plan's span (a shorter plan is held at its last pose).
    const double t_s = static_cast<double>(i) * kSimStep + t0_s;
    const double t = std::clamp(static_cast<double>(static_cast<int64_t>(t_s * 1e6)), first_us, last_us);
    while (hi < n - 1 && knot_us(hi) < t) ++hi;
    const int lo = hi - 1;
    const double x_lo = knot_us(lo), dx = knot_us(hi) - x_lo, w = t - x_lo;
    // interp1d's form: slope * (t - t_lo) + y_lo.
    const Pose& a = knot(lo);
    const Pose& b = knot(hi);
    out.push_back({(b.x - a.x) / dx * w + a.x, (b.y - a.y) / dx * w + a.y,
                   detail::principal_value((heading[hi] - heading[lo]) / dx * w + heading[lo])});
  }
  return out;
}

}  // namespace autoscale::sim
