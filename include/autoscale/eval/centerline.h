// A driving path with arc-length parameterisation (NAVSIM's PDMPath): progress is measured by
// projecting onto it, PDM-Closed drives along it, lane keeping measures the distance to it.
#pragma once

#include <vector>

#include "autoscale/scene/types.h"
#include "autoscale/sim/vehicle.h"

namespace autoscale::eval {

class Centerline {
 public:
  Centerline() = default;
  // Consecutive duplicate points are dropped; headings follow the segments, unwrapped.
  explicit Centerline(const std::vector<scene::Vec2>& points);

  bool empty() const { return points_.size() < 2; }
  double length() const { return s_.empty() ? 0.0 : s_.back(); }
  const std::vector<scene::Vec2>& points() const { return points_; }

  // Arc length of the nearest point on the path (Shapely's line_locate_point).
  double project(scene::Vec2 p) const;
  // Euclidean distance from p to the path.
  double distance(scene::Vec2 p) const;
  // Pose at arc length s, clamped to [0, length]; heading interpolated linearly (unwrapped).
  sim::Pose interpolate(double s) const;
  // The path shifted sideways by `lateral` metres (positive = left) at every point.
  Centerline offset(double lateral) const;

 private:
  std::vector<scene::Vec2> points_;
  std::vector<double> s_;
  std::vector<double> heading_;
};

}  // namespace autoscale::eval
