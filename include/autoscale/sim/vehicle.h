// Ego vehicle geometry and the simulator's state vector, as NAVSIM/nuPlan define them.
#pragma once

#include <array>

namespace autoscale::sim {

// nuPlan's Chrysler Pacifica (get_pacifica_parameters); every NAVSIM ego is this car.
struct VehicleParams {
  double width = 2.297;
  double front_length = 4.049;  // rear axle -> front bumper
  double rear_length = 1.127;   // rear axle -> rear bumper
  double length = 5.176;
  double wheel_base = 3.089;
  double cog_position_from_rear_axle = 1.67;
  double height = 1.777;
  double rear_axle_to_center() const { return length / 2.0 - rear_length; }  // 1.461 m
};

// 2-D pose: x, y, heading (counter-clockwise from +x).
struct Pose {
  double x = 0, y = 0, heading = 0;
};

// The 11-double simulator state (pdm_enums.StateIndex order). Pose of the rear axle in the
// global frame; velocity and acceleration of the rear axle in the ego frame.
struct State {
  double x = 0, y = 0, heading = 0;
  double vx = 0, vy = 0;
  double ax = 0, ay = 0;
  double steering_angle = 0, steering_rate = 0;
  double yaw_rate = 0, yaw_acceleration = 0;

  Pose pose() const { return {x, y, heading}; }
};

}  // namespace autoscale::sim
