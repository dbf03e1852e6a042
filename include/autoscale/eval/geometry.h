// Geometry predicates of the scorer, with the semantics the NAVSIM devkit gets from Shapely:
// `intersects` counts touching, `contains` is strict (a point on the boundary is outside).
#pragma once

#include <array>

#include "autoscale/scene/types.h"
#include "autoscale/sim/vehicle.h"

namespace autoscale::eval {

using scene::Vec2;

// An oriented box as four corners in NAVSIM's order FL, RL, RR, FR, plus its centre and its
// axis-aligned bounds (for cheap rejection before the exact test).
struct Box {
  std::array<Vec2, 4> corners;
  Vec2 center;
  double min_x, min_y, max_x, max_y;
};

Box make_box(double cx, double cy, double heading, double length, double width);
// The ego footprint of a rear-axle state: the box centre sits rear_axle_to_center ahead.
Box ego_box(const sim::Pose& rear_axle, const sim::VehicleParams& vehicle);
Box translate(const Box& box, double dx, double dy);

// Closed boxes: touching counts as intersecting.
bool intersects(const Box& a, const Box& b);
// Segment p-q against a closed box.
bool segment_intersects(Vec2 p, Vec2 q, const Box& box);

// Strict point-in-ring (points on an edge are outside).
bool strictly_inside_ring(const scene::Polyline& ring, Vec2 p);
bool strictly_inside(const scene::Polygon& polygon, Vec2 p);

// Closed rings (polygons without holes, implicitly closed) with Shapely's semantics.
scene::Polyline ring_of(const Box& box);
// `distance`: 0 when the two intersect (touching or containment included), else the smallest
// distance between their boundaries.
double ring_distance(const scene::Polyline& a, const scene::Polyline& b);
// The same between an open polyline (one point or more) and a ring.
double polyline_ring_distance(const scene::Polyline& line, const scene::Polyline& ring);
// `centroid` of the polygon (area centroid; the vertex mean for a degenerate ring).
Vec2 ring_centroid(const scene::Polyline& ring);
// Area of the intersection of two simple rings (either orientation).
double ring_intersection_area(const scene::Polyline& a, const scene::Polyline& b);

// nuPlan's relative-angle tests between the ego rear axle (pose) and an object's centroid.
bool is_agent_ahead(const sim::Pose& ego, Vec2 object, double max_angle_deg = 30.0);
bool is_agent_behind(const sim::Pose& ego, Vec2 object, double min_angle_deg = 150.0);

}  // namespace autoscale::eval
