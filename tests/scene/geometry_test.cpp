#include "autoscale/scene/geometry.h"

#include <gtest/gtest.h>

#include <cmath>

namespace autoscale::scene {
namespace {

Polyline rect(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

TEST(Geometry, SignedAreaAndPointInRing) {
  const Polyline sq = rect(0, 0, 2, 2);
  EXPECT_DOUBLE_EQ(signed_area(sq), 4.0);
  EXPECT_TRUE(point_in_ring(sq, {1, 1}));
  EXPECT_FALSE(point_in_ring(sq, {3, 1}));
  const Polygon with_hole{rect(0, 0, 10, 10), {rect(4, 4, 6, 6)}};
  EXPECT_TRUE(point_in_polygon(with_hole, {1, 1}));
  EXPECT_FALSE(point_in_polygon(with_hole, {5, 5}));
}

TEST(Geometry, UnionClosesJointGapsButKeepsRealHoles) {
  // Two lanelets whose joint is digitised 2 cm apart: one polygon, no sliver hole.
  const auto merged = union_rings({rect(0, 0, 10, 3), rect(10.02, 0, 20, 3)}, 0.05, 1.0);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_TRUE(merged[0].holes.empty());
  EXPECT_NEAR(std::abs(signed_area(merged[0].exterior)), 60.0, 0.2);
  EXPECT_GT(signed_area(merged[0].exterior), 0);  // counter-clockwise
  EXPECT_TRUE(point_in_polygon(merged[0], {10.01, 1.5}));  // the joint itself is drivable

  // A ring road around a 10 x 10 block keeps the block as a hole.
  const auto ring_road = union_rings({rect(0, 0, 20, 5), rect(0, 15, 20, 20), rect(0, 0, 5, 20), rect(15, 0, 20, 20)},
                                     0.05, 1.0);
  ASSERT_EQ(ring_road.size(), 1u);
  ASSERT_EQ(ring_road[0].holes.size(), 1u);
  EXPECT_NEAR(std::abs(signed_area(ring_road[0].holes[0])), 100.0, 0.5);
  EXPECT_FALSE(point_in_polygon(ring_road[0], {10, 10}));

  // Far-apart pieces stay separate; degenerate rings are ignored.
  EXPECT_EQ(union_rings({rect(0, 0, 1, 1), rect(5, 5, 6, 6), {{0, 0}, {1, 1}}}, 0.05, 1.0).size(), 2u);
}

TEST(Geometry, BoxesOverlapIncludingTouch) {
  const auto a = box_corners(0, 0, 0, 4, 2);
  EXPECT_TRUE(boxes_overlap(a, box_corners(3, 0, 0, 4, 2)));
  EXPECT_TRUE(boxes_overlap(a, box_corners(4, 0, 0, 4, 2)));  // touching counts, as Shapely intersects
  EXPECT_FALSE(boxes_overlap(a, box_corners(4.01, 0, 0, 4, 2)));
  EXPECT_FALSE(boxes_overlap(a, box_corners(0, 2.5, M_PI / 2, 1, 1)));
  EXPECT_TRUE(boxes_overlap(a, box_corners(2.5, 1.5, M_PI / 4, 2, 2)));  // rotated corner poking in
}

TEST(Geometry, WrapAngle) {
  EXPECT_NEAR(wrap_angle(3 * M_PI / 2), -M_PI / 2, 1e-12);
  EXPECT_NEAR(wrap_angle(-3 * M_PI / 2), M_PI / 2, 1e-12);
  EXPECT_NEAR(wrap_angle(0.3), 0.3, 1e-12);
}

}  // namespace
}  // namespace autoscale::scene
