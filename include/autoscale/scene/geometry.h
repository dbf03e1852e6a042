// Plane geometry used while building and validating scenes (not the scorer's hot path).
#pragma once

#include <array>
#include <vector>

#include "autoscale/scene/types.h"

namespace autoscale::scene {

// Signed area of an implicitly closed ring: positive when counter-clockwise.
double signed_area(const Polyline& ring);

// Even-odd test; points on the boundary may go either way.
bool point_in_ring(const Polyline& ring, Vec2 p);
bool point_in_polygon(const Polygon& polygon, Vec2 p);  // inside the exterior, outside every hole

// Corners of an oriented box, counter-clockwise, starting front-left.
std::array<Vec2, 4> box_corners(double cx, double cy, double heading, double length, double width);
// Separating-axis test; touching boxes overlap (as Shapely's `intersects`).
bool boxes_overlap(const std::array<Vec2, 4>& a, const std::array<Vec2, 4>& b);

// Union of simple rings (GEOS). Gaps narrower than 2 * gap_tolerance between rings that should
// meet (lanelets digitised with slightly different joint points) are closed; holes smaller
// than min_hole_area are dropped as slivers. Output rings are counter-clockwise exteriors with
// clockwise holes.
std::vector<Polygon> union_rings(const std::vector<Polyline>& rings, double gap_tolerance, double min_hole_area);

// Wraps an angle to [-pi, pi).
double wrap_angle(double a);

}  // namespace autoscale::scene
