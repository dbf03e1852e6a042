#include "autoscale/eval/comfort.h"

#include <algorithm>
#include <cmath>

#include "autoscale/eval/savgol.h"

namespace autoscale::eval {
namespace {

constexpr double kDt = 0.1;
// nuPlan / NAVSIM comfort bounds (strict inequalities).
constexpr double kMinLonAccel = -4.05, kMaxLonAccel = 2.40;
constexpr double kMaxLatAccel = 4.89;
constexpr double kMaxJerk = 8.37, kMaxLonJerk = 4.13;
constexpr double kMaxYawRate = 0.95, kMaxYawAccel = 1.93;

// Every filtered series is rounded to 8 decimals before the bound checks, as the devkit does.
std::vector<double> filtered(const std::vector<double>& x, int window, int poly, int deriv = 0) {
  const int w = std::min<int>(window, static_cast<int>(x.size()));
  auto y = savgol_filter(x, w, std::min(poly, w - 1), deriv, kDt);
  for (double& v : y) v = std::round(v * 1e8) / 1e8;
  return y;
}

std::vector<double> unwrapped_heading(const std::vector<sim::State>& s) {
  std::vector<double> out(s.size());
  double offset = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i > 0) offset -= 2 * M_PI * std::round((s[i].heading - s[i - 1].heading) / (2 * M_PI));
    out[i] = s[i].heading + offset;
  }
  return out;
}

bool all_within(const std::vector<double>& v, double lo, double hi) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return x > lo && x < hi; });
}
bool all_abs_below(const std::vector<double>& v, double bound) {
  return std::all_of(v.begin(), v.end(), [&](double x) { return std::abs(x) < bound; });
}

struct Signals {
  std::vector<double> ax, ay, a_mag, heading;
};

Signals signals(const std::vector<sim::State>& states, double center_shift) {
  Signals s;
  for (const auto& st : states) {
    // v2 measures longitudinal acceleration at the box centre (nuPlan get_acceleration_shifted).
    s.ax.push_back(st.ax + center_shift * st.yaw_rate * st.yaw_rate + center_shift * st.yaw_acceleration);
    s.ay.push_back(st.ay);
    s.a_mag.push_back(std::hypot(st.ax, st.ay));  // jerk magnitude stays at the rear axle
  }
  s.heading = unwrapped_heading(states);
  return s;
}

bool six_checks(const Signals& s, int accel_window, int jerk_window) {
  if (!all_within(filtered(s.ax, accel_window, 2), kMinLonAccel, kMaxLonAccel)) return false;
  if (!all_abs_below(filtered(s.ay, accel_window, 2), kMaxLatAccel)) return false;
  if (!all_abs_below(filtered(filtered(s.a_mag, 8, 2), jerk_window, 2, 1), kMaxJerk)) return false;
  if (!all_abs_below(filtered(filtered(s.ax, 8, 2), jerk_window, 2, 1), kMaxLonJerk)) return false;
  // The devkit passes a window to the yaw checks but does not forward it: 5 always.
  if (!all_abs_below(filtered(s.heading, 5, 2, 1), kMaxYawRate)) return false;
  if (!all_abs_below(filtered(s.heading, 5, 3, 2), kMaxYawAccel)) return false;
  return true;
}

double rms_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return a.empty() ? 0.0 : std::sqrt(sum / a.size());
}

}  // namespace

bool comfortable_v1(const std::vector<sim::State>& states) {
  return six_checks(signals(states, 0.0), 41, 41);
}

bool comfortable_v2(const std::vector<sim::State>& history, const std::vector<sim::State>& states,
                    double rear_axle_to_center) {
  std::vector<sim::State> all = history;
  all.insert(all.end(), states.begin(), states.end());
  return six_checks(signals(all, rear_axle_to_center), 8, 15);
}

bool extended_comfort(const std::vector<sim::State>& now, const std::vector<sim::State>& previous, int k) {
  if (k <= 0 || static_cast<int>(now.size()) <= k || static_cast<int>(previous.size()) <= k) return true;
  const std::vector<sim::State> a(now.begin(), now.end() - k);
  const std::vector<sim::State> b(previous.begin() + k, previous.end());
  auto features = [](const std::vector<sim::State>& s) {
    const Signals sig = signals(s, 0.0);
    const auto accel = filtered(sig.a_mag, 8, 2);
    return std::vector<std::vector<double>>{accel, filtered(accel, 15, 2, 1), filtered(sig.heading, 5, 2, 1),
                                            filtered(sig.heading, 5, 2, 2)};
  };
  const auto fa = features(a), fb = features(b);
  const double limits[] = {0.7, 0.5, 0.1, 0.1};
  for (int i = 0; i < 4; ++i) {
    if (rms_difference(fa[i], fb[i]) > limits[i]) return false;
  }
  return true;
}

}  // namespace autoscale::eval
