// NAVSIM's non-reactive ego simulation: an LQR tracker following 41 reference poses with a
// kinematic bicycle model (navsim-pdms.md sections 3.2-3.5), constants as BatchLQRTracker and
// BatchKinematicBicycleModel have them.
#pragma once

#include <vector>

#include "autoscale/sim/vehicle.h"

namespace autoscale::sim {

struct TrackerParams {
  double q_longitudinal = 10.0;
  double r_longitudinal = 1.0;
  double q_lateral[3] = {1.0, 10.0, 0.0};  // lateral error, heading error, steering angle
  double r_lateral = 1.0;
  int horizon = 10;                 // steps
  double step = 0.1;                // s
  double stopping_gain = 0.5;
  double stopping_velocity = 0.2;   // m/s
  double jerk_penalty = 1e-4;       // velocity-fit regulariser (penalises accelerations, 3.3)
  double curvature_rate_penalty = 1e-2;
  double initial_curvature_penalty = 1e-10;
};

struct BicycleParams {
  double max_steering_angle = 1.0471975511965976;  // pi / 3
  double acceleration_time_constant = 0.2;         // s
  double steering_time_constant = 0.05;            // s
};

struct SimulatorParams {
  VehicleParams vehicle;
  TrackerParams tracker;
  BicycleParams bicycle;
};

// Velocity and curvature profiles fitted to the reference poses (40 values each).
struct ReferenceProfiles {
  std::vector<double> velocity;
  std::vector<double> curvature;
};
ReferenceProfiles fit_reference_profiles(const std::vector<Pose>& reference, const TrackerParams& params);

// Simulates from `initial` following `reference` (41 poses at 0.1 s, reference[0] = start).
// Returns 41 states; states[0] is `initial` with the steering/yaw fields reset as NAVSIM does.
std::vector<State> simulate(const State& initial, const std::vector<Pose>& reference,
                            const SimulatorParams& params = {});

}  // namespace autoscale::sim
