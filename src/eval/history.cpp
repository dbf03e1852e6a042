#include "autoscale/eval/history.h"

#include <cmath>
#include <cstdint>

#include "autoscale/core/error.h"

namespace autoscale::eval {

std::vector<sim::State> history_states(const std::vector<HistorySample>& logged) {
  if (logged.size() < 2) return {};
  const size_t n = logged.size();
  std::vector<int64_t> knot_us(n);
  std::vector<double> heading(n);
  for (size_t i = 0; i < n; ++i) {
    knot_us[i] = std::llround(logged[i].t * 1e6);
    AUTOSCALE_CHECK(i == 0 || knot_us[i] > knot_us[i - 1], "ego history: times must increase (t = {} after {})",
                    logged[i].t, logged[i - 1].t);
    // np.unwrap of the knot headings.
    heading[i] = logged[i].state.heading;
    if (i > 0) heading[i] = heading[i - 1] + std::remainder(heading[i] - heading[i - 1], 2 * M_PI);
  }
  std::vector<sim::State> out;
  size_t seg = 0;
  for (int64_t t = knot_us.front(); t < knot_us.back(); t += 100000) {
    while (seg + 2 < n && knot_us[seg + 1] < t) ++seg;
    const sim::State& a = logged[seg].state;
    const sim::State& b = logged[seg + 1].state;
    const double w = static_cast<double>(t - knot_us[seg]) / static_cast<double>(knot_us[seg + 1] - knot_us[seg]);
    auto lerp = [w](double x, double y) { return x + w * (y - x); };
    sim::State s;
    s.x = lerp(a.x, b.x);
    s.y = lerp(a.y, b.y);
    const double h = lerp(heading[seg], heading[seg + 1]);
    s.heading = std::atan2(std::sin(h), std::cos(h));
    s.vx = lerp(a.vx, b.vx);
    s.vy = lerp(a.vy, b.vy);
    s.ax = lerp(a.ax, b.ax);
    s.ay = lerp(a.ay, b.ay);
    out.push_back(s);
  }
  if (!out.empty()) out.pop_back();  // NAVSIM drops the last sample
  return out;
}

}  // namespace autoscale::eval
