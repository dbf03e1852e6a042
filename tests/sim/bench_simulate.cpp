// Micro-benchmark of the simulator hot path (not a test; not built by CMake). Build by hand, e.g.
//   g++ -O2 -std=c++17 -Iinclude tests/sim/bench_simulate.cpp build/src/libautoscale_sim.a \
//       build/src/libautoscale_eval.a build/src/libautoscale_core.a -lfmt -o /tmp/bench_simulate
// Prints microseconds per interpolate_plan + simulate of an 8-pose plan, per simulate alone, and
// per savgol_filter of a 41-sample series (window 41 and 8), each the best of several rounds.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "autoscale/eval/savgol.h"
#include "autoscale/sim/simulator.h"
#include "autoscale/sim/trajectory.h"

using namespace autoscale;

template <class F>
double best_us(int reps, F&& f) {
  double best = 1e30;
  for (int round = 0; round < 7; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) f(i);
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::micro>(t1 - t0).count() / reps);
  }
  return best;
}

int main() {
  sim::State initial;
  initial.x = 100, initial.y = -20, initial.heading = 0.3, initial.vx = 8, initial.ax = 0.4;
  std::vector<sim::Pose> plan;  // a gentle left curve, 8 poses at 0.5 s
  for (int k = 1; k <= 8; ++k) {
    const double s = 4.2 * k, a = s / 40.0;
    plan.push_back({40 * std::sin(a), 40 * (1 - std::cos(a)), a});
  }
  const auto global = sim::relative_to_absolute(initial.pose(), plan);
  const auto reference = sim::interpolate_plan(initial.pose(), global, 0.5);
  double sink = 0;
  const double both = best_us(20000, [&](int i) {
    sim::State s0 = initial;
    s0.vx += 1e-9 * (i & 7);
    const auto ref = sim::interpolate_plan(s0.pose(), global, 0.5);
    sink += sim::simulate(s0, ref).back().x;
  });
  const double sim_only = best_us(20000, [&](int i) {
    sim::State s0 = initial;
    s0.vx += 1e-9 * (i & 7);
    sink += sim::simulate(s0, reference).back().x;
  });
  std::vector<double> series(41);
  for (int k = 0; k < 41; ++k) series[k] = std::sin(0.3 * k) + 0.01 * k * k;
  const double sg41 = best_us(100000, [&](int i) {
    series[0] = 1e-9 * (i & 7);
    sink += eval::savgol_filter(series, 41, 2, 0, 0.1)[7];
  });
  const double sg8 = best_us(100000, [&](int i) {
    series[0] = 1e-9 * (i & 7);
    sink += eval::savgol_filter(series, 8, 2, 0, 0.1)[7];
  });
  std::printf("interpolate+simulate %.2f us, simulate %.2f us, savgol(41,2) n=41 %.3f us, "
              "savgol(8,2) n=41 %.3f us (sink %g)\n", both, sim_only, sg41, sg8, sink);
}
