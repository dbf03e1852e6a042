// Behaviours of NAVSIM's own code that the scorer reproduces for parity (issue 17), each on a
// hand-built scene with the expected numbers derived from navsim-pdms.md: PDM-Closed's unroll
// (section 6 step 5), route correction (steps 1 and 3) and the EPDMS v2 specifics (section 5).
// The LQR regulariser quirk (section 3.3) is tested in tests/sim/reference_profiles_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "autoscale/core/error.h"
#include "autoscale/eval/case_file.h"
#include "autoscale/eval/history.h"
#include "autoscale/eval/metric_cache.h"
#include "autoscale/eval/pdm_closed.h"
#include "autoscale/eval/route_planner.h"
#include "autoscale/eval/scorer.h"
#include "autoscale/eval/scoring_map.h"

namespace autoscale::eval {
namespace {

using scene::Vec2;

scene::Polyline rect(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

// A lane along the straight segment a-b (baseline vertices every metre, as nuPlan's discrete
// baseline paths) with a rectangular polygon `width` wide.
scene::Lane straight_lane(const std::string& id, const std::string& roadblock, Vec2 a, Vec2 b, double width,
                          std::vector<std::string> successors = {}, double speed_limit = 15.0) {
  const double len = std::hypot(b.x - a.x, b.y - a.y);
  const double nx = -(b.y - a.y) / len * width / 2, ny = (b.x - a.x) / len * width / 2;
  scene::Lane l;
  l.id = id;
  l.roadblock = roadblock;
  l.speed_limit = speed_limit;
  const int n = std::max(1, static_cast<int>(std::ceil(len)));
  for (int i = 0; i <= n; ++i) l.centerline.push_back({a.x + (b.x - a.x) * i / n, a.y + (b.y - a.y) * i / n});
  l.polygon = {{a.x - nx, a.y - ny}, {b.x - nx, b.y - ny}, {b.x + nx, b.y + ny}, {a.x + nx, a.y + ny}};
  l.successors = std::move(successors);
  return l;
}

// A straight road along +x: one roadblock (x in [-100, 300], |y| <= 6) holding one 4 m lane on
// y = 0 with the given speed limit.
scene::Map straight_road(double speed_limit = 15.0) {
  scene::Map map;
  map.id = "straight";
  map.roadblocks.push_back({"rb", false, {rect(-100, -6, 300, 6), {}}});
  map.lanes.push_back(straight_lane("lane", "rb", {-100, 0}, {300, 0}, 4.0, {}, speed_limit));
  return map;
}

sim::State ego_at(double x, double y, double heading, double speed) {
  sim::State s;
  s.x = x, s.y = y, s.heading = heading, s.vx = speed;
  return s;
}

PdmClosedResult run_pdm_closed(const scene::Map& map, const std::vector<std::string>& route, const sim::State& ego,
                               const std::vector<AgentTrack>& tracks, const PdmClosedParams& p = {},
                               const std::vector<RedLight>& red_lights = {}) {
  const RoutePlan plan = plan_route(map, route, ego.pose());
  const ScoringMap scoring(map, ego_box(ego.pose(), {}).center, plan.lanes);
  return pdm_closed(ego, plan, scoring, tracks, red_lights, p);
}

// The IDM progress of navsim-pdms.md 6 step 5 (one proposal, target 10 m/s, from 10 m/s) behind
// an obstacle found at progress `lead` (relative to the start) from step 2 on, with rear length
// 0 and speed 0; step 1 reads the zero-filled leader.
std::vector<double> idm_behind_static_leader(double lead) {
  std::vector<double> out{0.0};
  double s = 0, v = 10, leader = 0;
  for (int k = 1; k <= 40; ++k) {
    if (k % 2 == 0) leader = lead;
    const double desired = 1.0 + v * 1.5 + v * v / (2 * std::sqrt(1.5 * 3.0));
    const double gap = std::max(leader - s, 1.0);
    const double a = std::clamp(1.5 * (1 - std::pow(v / 10.0, 10) - (desired / gap) * (desired / gap)), -3.0, 1.5);
    s += 0.1 * v;
    v += 0.1 * a;
    out.push_back(s);
  }
  return out;
}

AgentTrack still(const std::string& id, scene::AgentType type, double x, double y, double heading, double length,
                 double width) {
  return {id, type, length, width, {{0.0, x, y, heading, 0.0, 0.0}}};
}

// --- PDM-Closed unroll (navsim-pdms.md 6, step 5) ----------------------------------------------

// Step 1 reads the zero-filled leader entry: a leader at progress 0, speed 0, no rear length, so
// the gap is min_gap and every proposal brakes at -d_max = -3 m/s² for 0.1 s. Explicit Euler:
// the first step advances by the OLD speed (10 m/s x 0.1 s = 1.0 m), the second by 9.7 x 0.1.
TEST(NavsimParity, PdmClosedFirstStepOfAFreeRoadEndsAt9p7) {
  const auto r = run_pdm_closed(straight_road(), {"rb"}, ego_at(0, 0, 0, 10.0), {});
  ASSERT_EQ(r.proposals.size(), 15u);
  for (size_t i = 0; i < r.proposals.size(); ++i) {
    const auto& p = r.proposals[i];
    ASSERT_EQ(p.size(), 41u);
    EXPECT_NEAR(p[1].x - p[0].x, 1.0, 1e-9) << i;
    EXPECT_NEAR(p[2].x - p[1].x, 0.97, 1e-9) << i;  // v(0.1 s) = 10 - 3 x 0.1 = 9.7 m/s
  }
  // The reference starts on its path at the ego's projection (the offsets: y = -1, +1).
  EXPECT_NEAR(r.proposals[0][0].x, 0.0, 1e-9);
  EXPECT_NEAR(r.proposals[5][0].y, -1.0, 1e-9);
  EXPECT_NEAR(r.proposals[10][0].y, 1.0, 1e-9);
  EXPECT_NEAR(r.start.x, r.proposals[r.chosen][0].x, 1e-12);
  EXPECT_NEAR(r.start.y, r.proposals[r.chosen][0].y, 1e-12);
  ASSERT_EQ(r.trajectory.size(), 50u);
  EXPECT_NEAR(r.trajectory[0].x, r.proposals[r.chosen][1].x, 1e-12);
}

// Plain explicit Euler without a clamp at 0: a logged speed of -0.5 m/s moves the ego back
// 0.05 m in the first step, and the IDM (zero-filled leader: gap = min_gap) only eases the
// reversing, s* = 1 + 1.5 v + v² / (2 sqrt(1.5 x 3)), v' = v + 0.1 x 1.5 (1 - (v/v_target)^10 - s*²).
TEST(NavsimParity, PdmClosedIntegratesWithoutClampingTheSpeed) {
  const auto r = run_pdm_closed(straight_road(), {"rb"}, ego_at(0, 0, 0, -0.5), {});
  const double fractions[5] = {0.2, 0.4, 0.6, 0.8, 1.0};
  for (size_t i = 0; i < r.proposals.size(); ++i) {
    const auto& p = r.proposals[i];
    const double v = -0.5, target = 15.0 * fractions[i % 5];
    const double desired = 1.0 + 1.5 * v + v * v / (2 * std::sqrt(4.5));
    const double v1 = v + 0.1 * 1.5 * (1 - std::pow(v / target, 10) - desired * desired);
    EXPECT_NEAR(p[1].x - p[0].x, -0.05, 1e-12) << i;
    EXPECT_NEAR(p[2].x - p[1].x, 0.1 * v1, 1e-12) << i;
    EXPECT_LT(v1, 0.0);
  }
}

// The leader is looked for at even steps only, among objects whose box intersects the corridor
// (the path buffered by half the ego width, 1.1485 m), and sits at the ego's progress plus the
// polygon distance between the two boxes; odd steps keep the last entry. A parked object whose
// rear face is 40 m ahead of the front bumper, overlapping the corridor by 0.1 m, is therefore a
// leader at progress s0 + 40 from step 2 on (rear length 0, speed 0); one 0.1 m outside the
// corridor, much closer, is ignored. One proposal (target 10 m/s) so the expected IDM recursion
// can be written out.
TEST(NavsimParity, PdmClosedLeaderAtEvenStepsFromCorridorAndPolygonDistance) {
  PdmClosedParams params;
  params.lateral_offsets = {0.0};
  params.speed_fractions = {1.0};
  const double front = 4.049;
  const std::vector<AgentTrack> tracks{
      still("parked", scene::AgentType::kStatic, front + 40 + 1.0, 2.0, 0.0, 2.0, 1.9),  // edge at y = 1.05
      still("aside", scene::AgentType::kVehicle, front + 10 + 2.25, 2.2, 0.0, 4.5, 1.9)};  // edge at y = 1.25
  const auto r = run_pdm_closed(straight_road(10.0), {"rb"}, ego_at(0, 0, 0, 10.0), tracks, params);
  ASSERT_EQ(r.proposals.size(), 1u);
  const auto& p = r.proposals[0];
  // At an even step k the distance from the pose at k - 1 is 40 - s_{k-1}: the leader sits at 40.
  const auto expected = idm_behind_static_leader(40.0);
  for (int k = 1; k <= 40; ++k) EXPECT_NEAR(p[k].x, expected[k], 1e-9) << "step " << k;
  EXPECT_LT(p[40].x, 40.0);  // stopped behind the object
}

// A red lane connector of the route is a leader too: its polygon (x from 30 m) crosses the
// corridor and its centroid projects ahead, so the IDM stops at the polygon distance,
// 30 - 4.049 m ahead of the start (speed 0: red lights never write a speed).
TEST(NavsimParity, PdmClosedStopsForARedConnectorByPolygonDistance) {
  PdmClosedParams params;
  params.lateral_offsets = {0.0};
  params.speed_fractions = {1.0};
  const scene::Polygon connector{rect(30, -2, 40, 2), {}};
  const auto r = run_pdm_closed(straight_road(10.0), {"rb"}, ego_at(0, 0, 0, 10.0), {}, params,
                                {RedLight{"lc", &connector}});
  const auto expected = idm_behind_static_leader(30.0 - 4.049);
  for (int k = 1; k <= 40; ++k) EXPECT_NEAR(r.proposals[0][k].x, expected[k], 1e-9) << "step " << k;
}

// One leader entry is shared by the proposals of a path within a step: a field a proposal does
// not write keeps what the previous proposal left. A vehicle crossing the road at x = 28 enters
// the corridor at 3.2 s, behind the fast proposal (no leader: it writes rear length 2.588) and
// ahead of the slow one (leader found: the rear length is not written). Listed after the fast
// one, the slow proposal inherits the 2.588 m and brakes harder than when listed first (same
// corridor, whose length follows the fastest target).
TEST(NavsimParity, PdmClosedLeaderEntryLeaksAcrossTheBatch) {
  const std::vector<AgentTrack> tracks{
      {"crossing", scene::AgentType::kVehicle, 4.0, 1.9, {{0.0, 28.0, -3.1485 - 5.0 * 3.1, M_PI / 2, 0.0, 5.0}}}};
  PdmClosedParams fast_first;
  fast_first.lateral_offsets = {0.0};
  fast_first.speed_fractions = {1.0, 0.2};
  PdmClosedParams slow_first = fast_first;
  slow_first.speed_fractions = {0.2, 1.0};
  const auto r_leak = run_pdm_closed(straight_road(10.0), {"rb"}, ego_at(0, 0, 0, 10.0), tracks, fast_first);
  const auto r_own = run_pdm_closed(straight_road(10.0), {"rb"}, ego_at(0, 0, 0, 10.0), tracks, slow_first);
  const auto& fast = r_leak.proposals[0];
  const auto& slow = r_leak.proposals[1];
  const auto& slow_own = r_own.proposals[0];
  EXPECT_GT(fast[31].x, 28.0);  // past the crossing when it arrives
  EXPECT_LT(slow[31].x, 28.0 - 0.95 - 4.049);
  for (int k = 0; k <= 32; ++k) EXPECT_EQ(slow[k].x, slow_own[k].x) << k;
  EXPECT_LT(slow[40].x, slow_own[40].x - 0.05);
  for (int k = 0; k <= 40; ++k) EXPECT_EQ(fast[k].x, r_own.proposals[1][k].x) << k;
}

// PDMObservation samples its forecast every 0.2 s; odd steps show the previous even step.
TEST(NavsimParity, ForecastObservationHoldsOddSteps) {
  const AgentTrack mover{"m", scene::AgentType::kVehicle, 4.0, 2.0, {{0.0, 0, 0, 0, 10, 0}, {5.0, 50, 0, 0, 10, 0}}};
  const Observation held = Observation::from_tracks({mover}, 51, 2);
  ASSERT_EQ(held.num_steps(), 51);
  for (int k = 0; k <= 50; ++k) {
    ASSERT_EQ(held.end(k) - held.begin(k), 1) << k;
    EXPECT_NEAR(held.begin(k)->box.center.x, 10.0 * 0.2 * (k / 2), 1e-9) << k;
  }
}

// --- Route correction (navsim-pdms.md 6, steps 1 and 3) ----------------------------------------

// Approach roadblock A (x in [-50, 0]) into a junction: connectors S (straight, to B) and L (left,
// to D) overlap over most of the junction box.
scene::Map junction() {
  scene::Map map;
  map.id = "junction";
  map.roadblocks.push_back({"A", false, {rect(-50, -2, 0, 2), {}}});
  map.roadblocks.push_back({"B", false, {rect(20, -2, 70, 2), {}}});
  map.roadblocks.push_back({"D", false, {rect(12, 10, 16, 60), {}}});
  map.roadblocks.push_back({"S", true, {rect(0, -2, 20, 2), {}}});
  map.roadblocks.push_back({"L", true, {{{0, -2}, {16, -2}, {16, 10}, {12, 10}, {12, 2}, {0, 2}}, {}}});
  map.lanes.push_back(straight_lane("a", "A", {-50, 0}, {0, 0}, 4, {"s", "l"}));
  map.lanes.push_back(straight_lane("b", "B", {20, 0}, {70, 0}, 4));
  map.lanes.push_back(straight_lane("d", "D", {14, 10}, {14, 60}, 4));
  map.lanes.push_back(straight_lane("s", "S", {0, 0}, {20, 0}, 4, {"b"}));
  scene::Lane left = straight_lane("l", "L", {0, 0}, {14, 0}, 4, {"d"});
  left.centerline = {{0, 0}, {10, 0}, {14, 4}, {14, 10}};
  map.lanes.push_back(left);
  return map;
}

// remove_route_loops: the left connector overlaps the straight one by 64 m² (> 1 m²), so a
// route that lists both through the same junction is cut after the first.
TEST(NavsimParity, RouteThroughTheSameJunctionTwiceIsCutAfterTheFirstConnector) {
  const auto plan = plan_route(junction(), {"A", "S", "L", "D"}, {-20, 0, 0});
  EXPECT_EQ(plan.roadblocks, (std::vector<std::string>{"A", "S"}));
  EXPECT_EQ(plan.lane_path, (std::vector<std::string>{"a", "s"}));
  EXPECT_NEAR(plan.centerline.points().back().x, 20.0, 1e-12);
  EXPECT_NEAR(ring_intersection_area(junction().roadblocks[3].polygon.exterior,
                                     junction().roadblocks[4].polygon.exterior), 16 * 4, 1e-9);
}

// The blocks before the start block stay on the route.
TEST(NavsimParity, RouteKeepsTheBlocksBeforeTheStart) {
  const auto plan = plan_route(junction(), {"A", "S", "B"}, {40, 0, 0});
  EXPECT_EQ(plan.roadblocks, (std::vector<std::string>{"A", "S", "B"}));
  EXPECT_EQ(plan.lane_path, (std::vector<std::string>{"b"}));
}

// An off-route start with no path to or from the route leaves the route exactly as it was.
TEST(NavsimParity, RouteIsUnchangedWhenNoPathLinksAnOffRouteStart) {
  scene::Map map = junction();
  map.roadblocks.push_back({"X", false, {rect(-50, 30, 0, 34), {}}});  // an unconnected road
  map.lanes.push_back(straight_lane("x", "X", {-50, 32}, {0, 32}, 4));
  const auto plan = plan_route(map, {"A", "S", "B"}, {-20, 32, 0});
  EXPECT_EQ(plan.roadblocks, (std::vector<std::string>{"A", "S", "B"}));
  EXPECT_EQ(plan.lanes.count("x"), 0u);
}

// Among qualifying off-route candidates the nearest by baseline-vertex distance is the start
// (not the first in map order); it matters to the forward search, which runs from the start
// when the backward search (depth 15) fails: here both candidates reach the route only 17
// blocks on.
TEST(NavsimParity, RouteStartIsTheNearestQualifyingCandidate) {
  scene::Map map;
  map.id = "chains";
  map.roadblocks.push_back({"R", false, {rect(1000, -2, 1050, 2), {}}});
  map.lanes.push_back(straight_lane("r", "R", {1000, 0}, {1050, 0}, 4));
  for (const std::string side : {"far", "near"}) {  // map order: far first
    const double y = side == "far" ? 2.5 : 0.3;
    map.roadblocks.push_back({side, false, {rect(-10, y - 2, 10, y + 2), {}}});
    map.lanes.push_back(straight_lane(side + "_lane", side, {-10, y}, {10, y}, 4, {side + "_1"}));
    for (int k = 1; k <= 16; ++k) {
      const std::string id = side + "_" + std::to_string(k);
      const double x = 100.0 * k;
      const double cy = side == "far" ? 200 : -200;
      map.roadblocks.push_back({id, false, {rect(x, cy - 2, x + 50, cy + 2), {}}});
      const std::string next = k == 16 ? "r" : side + "_" + std::to_string(k + 1);
      map.lanes.push_back(straight_lane(id, id, {x, cy}, {x + 50, cy}, 4, {next}));
    }
  }
  const auto plan = plan_route(map, {"R"}, {0, 0, 0});
  ASSERT_EQ(plan.roadblocks.size(), 18u);
  EXPECT_EQ(plan.roadblocks.front(), "near");
  EXPECT_EQ(plan.roadblocks[1], "near_1");
  EXPECT_EQ(plan.roadblocks.back(), "R");
}

// Dijkstra's goal is the last block of route[start : start + 30], i.e. 30 blocks counted from
// the start block.
TEST(NavsimParity, CenterlineGoalIsTheLastBlockOfThirty) {
  scene::Map map;
  map.id = "long";
  std::vector<std::string> route;
  for (int k = 0; k < 35; ++k) {
    const std::string id = "b" + std::to_string(k);
    map.roadblocks.push_back({id, false, {rect(10.0 * k, -2, 10.0 * k + 10, 2), {}}});
    std::vector<std::string> next;
    if (k + 1 < 35) next.push_back("l" + std::to_string(k + 1));
    map.lanes.push_back(straight_lane("l" + std::to_string(k), id, {10.0 * k, 0}, {10.0 * k + 10, 0}, 4, next));
    route.push_back(id);
  }
  const auto plan = plan_route(map, route, {25, 0, 0});  // starts in b2
  ASSERT_EQ(plan.lane_path.size(), 30u);
  EXPECT_EQ(plan.lane_path.front(), "l2");
  EXPECT_EQ(plan.lane_path.back(), "l31");
}

// When the goal roadblock cannot be reached, the path ends at the cheapest expanded lane of the
// largest depth, ties going to the lane expanded first (successor order), not the smaller id.
TEST(NavsimParity, UnreachableGoalFallsBackToTheFirstCheapestDeepestExpandedLane) {
  scene::Map map;
  map.id = "split";
  map.roadblocks.push_back({"A", false, {rect(0, -2, 50, 2), {}}});
  map.roadblocks.push_back({"B", false, {rect(50, -6, 100, 6), {}}});
  map.roadblocks.push_back({"C", false, {rect(200, -2, 250, 2), {}}});  // not connected
  map.lanes.push_back(straight_lane("a", "A", {0, 0}, {50, 0}, 4, {"b2", "b1"}));
  map.lanes.push_back(straight_lane("b1", "B", {50, 0}, {100, 4}, 4));
  map.lanes.push_back(straight_lane("b2", "B", {50, 0}, {100, -4}, 4));
  map.lanes.push_back(straight_lane("c", "C", {200, 0}, {250, 0}, 4));
  const auto plan = plan_route(map, {"A", "B", "C"}, {10, 0, 0});
  EXPECT_EQ(plan.lane_path, (std::vector<std::string>{"a", "b2"}));
}

// --- EPDMS v2 (navsim-pdms.md 5) ----------------------------------------------------------------

// TLC takes its red lights from the logged route (navsim-pdms.md 5.3), not the corrected one:
// the left connector cut from the route by remove_route_loops still fails a plan driving
// straight through the junction, whose footprint enters the overlapping red connector.
TEST(NavsimParity, TrafficLightsComeFromTheLoggedRoute) {
  SceneInputs in;
  in.token = "red-left";
  in.initial = ego_at(-20, 0, 0, 10.0);
  in.map = std::make_shared<scene::Map>(junction());
  in.route = {"A", "S", "L", "D"};
  in.lights = {{"l", scene::LightState::kRed}};
  EvalOptions v2;
  v2.version = PdmsVersion::kV2;
  const auto cache = MetricCache::build(in, v2);
  EXPECT_EQ(cache.route().lanes.count("l"), 0u);
  Plan straight;
  for (int k = 1; k <= 8; ++k) straight.poses.push_back({5.0 * k, 0.0, 0.0});
  EXPECT_EQ(cache.score(straight).scores.tlc, 0.0);
}

// TLC reads the light in NAVSIM's 2 Hz frames, each held for 0.5 s (navsim-pdms.md 5.3): the
// states a scene knows ahead decide, and a red that falls between two frames is not seen. The
// straight plan is inside connector "l" from about 1.6 s to the end of the horizon.
TEST(NavsimParity, TrafficLightsFollowTheFutureFramesSampleAndHold) {
  using scene::LightState;
  auto tlc = [](LightState now, std::vector<LightState> future) {
    SceneInputs in;
    in.token = "light-ahead";
    in.initial = ego_at(-20, 0, 0, 10.0);
    in.map = std::make_shared<scene::Map>(junction());
    in.route = {"A", "S", "L", "D"};
    in.lights = {{"l", now, std::move(future)}};
    EvalOptions v2;
    v2.version = PdmsVersion::kV2;
    const auto cache = MetricCache::build(in, v2);
    Plan straight;
    for (int k = 1; k <= 8; ++k) straight.poses.push_back({5.0 * k, 0.0, 0.0});
    return cache.score(straight).scores.tlc;
  };
  auto steps = [](int n, LightState s, int from, int to, LightState other) {  // future steps 1..n
    std::vector<LightState> out;
    for (int k = 1; k <= n; ++k) out.push_back(k >= from && k <= to ? other : s);
    return out;
  };
  // Red now, green from the next step: held, the red would fail the plan; known, it passes.
  EXPECT_EQ(tlc(LightState::kRed, steps(50, LightState::kGreen, 0, 0, LightState::kRed)), 1.0);
  EXPECT_EQ(tlc(LightState::kRed, {}), 0.0);
  // Green now, red from 2.0 s while the ego is in the connector: fails.
  EXPECT_EQ(tlc(LightState::kGreen, steps(50, LightState::kGreen, 20, 50, LightState::kRed)), 0.0);
  // Red only from 4.5 s, past the horizon: passes.
  EXPECT_EQ(tlc(LightState::kGreen, steps(50, LightState::kGreen, 45, 50, LightState::kRed)), 1.0);
  // Red at 1.6-1.9 s only: between the frames at 1.5 s and 2.0 s, so NAVSIM does not see it.
  EXPECT_EQ(tlc(LightState::kGreen, steps(50, LightState::kGreen, 16, 19, LightState::kRed)), 1.0);
  EXPECT_EQ(tlc(LightState::kGreen, steps(50, LightState::kGreen, 15, 19, LightState::kRed)), 0.0);
  // A source that knows 1 s ahead holds its last known state to the horizon.
  EXPECT_EQ(tlc(LightState::kGreen, steps(10, LightState::kGreen, 10, 10, LightState::kRed)), 0.0);
}

struct V2Road {
  scene::Map map = straight_road();
  ScoringMap scoring{map, {0, 0}, {"lane"}, 1000.0};
  Centerline centerline{{{-100, 0}, {300, 0}}};
  Observation empty = Observation::from_tracks({}, 41);
};

// 41 states on y = 0 from x = 0 at speed v0 with constant acceleration a (held at 0 m/s).
std::vector<sim::State> drive(double v0, double a) {
  std::vector<sim::State> out(41);
  double x = 0, v = v0;
  for (int k = 0; k <= 40; ++k) {
    out[k] = ego_at(x, 0, 0, v);
    out[k].ax = v > 0 ? a : 0.0;
    x += 0.1 * v;
    v = std::max(0.0, v + 0.1 * a);
  }
  return out;
}

SubScores score_v2(const V2Road& road, const std::vector<sim::State>& states, std::vector<sim::State> history) {
  ScoringScene scene{&road.scoring, &road.empty, &road.centerline, {}, std::move(history)};
  ScorerParams p;
  p.version = PdmsVersion::kV2;
  return score_proposals({states}, scene, p)[0];
}

std::vector<sim::State> calm_history(double v, double ax = 0.0) {
  std::vector<HistorySample> logged;
  for (double t : {-1.5, -1.0, -0.5, 0.0}) {
    HistorySample h;
    h.t = t;
    h.state = ego_at(v * t, 0, 0, v);
    h.state.ax = ax;
    logged.push_back(h);
  }
  return history_states(logged);
}

// HC runs only when a past trajectory exists; without one it is 1, even for a plan braking at
// 6 m/s² (beyond the -4.05 m/s² bound). With a history the checks run on past + simulated
// states, so a harsh past fails HC too.
TEST(NavsimParity, HistoryComfortIsOneWithoutHistoryAndSeesThePastWithIt) {
  const V2Road road;
  const auto harsh = drive(20.0, -6.0);
  const auto calm = drive(10.0, 0.0);
  EXPECT_EQ(score_v2(road, harsh, {}).hc, 1.0);
  EXPECT_EQ(score_v2(road, harsh, calm_history(20.0)).hc, 0.0);
  EXPECT_EQ(score_v2(road, calm, calm_history(10.0)).hc, 1.0);
  EXPECT_EQ(score_v2(road, calm, calm_history(10.0, -6.0)).hc, 0.0);
}

// The logged past (-1.5 ... 0 s at 2 Hz) sampled every 0.1 s from its start, the last sample
// dropped: 14 states at -1.5 ... -0.2 s, linear in between. A start 50 µs earlier adds a 15th.
TEST(NavsimParity, HistoryStatesSampleThePastLikeNavsim) {
  const auto h = calm_history(10.0);
  ASSERT_EQ(h.size(), 14u);
  for (size_t i = 0; i < h.size(); ++i) {
    EXPECT_NEAR(h[i].x, 10.0 * (-1.5 + 0.1 * static_cast<double>(i)), 1e-9) << i;
    EXPECT_EQ(h[i].vx, 10.0);
  }
  std::vector<HistorySample> jitter(4);
  for (int i = 0; i < 4; ++i) jitter[i].t = -1.5 + 0.5 * i;
  jitter[0].t = -1.50005;
  EXPECT_EQ(history_states(jitter).size(), 15u);
  EXPECT_TRUE(history_states({}).empty());
}

// ego.history in a case file: [t, x, y, heading, vx, vy, ax, ay] with t < 0; the current state
// closes the list.
TEST(NavsimParity, CaseFileReadsEgoHistory) {
  const std::string text = R"({"token": "h", "ego": {"pose": [0, 0, 0], "velocity": [10, 0],
      "history": [[-1.5, -15, 0, 0, 10, 0, 0, 0], [-1.0, -10, 0, 0, 10, 0, 0, 0], [-0.5, -5, 0, 0, 10, 0, 0, 0]]},
      "map": {"roadblocks": [{"id": "rb", "polygon": [[-100, -6], [300, -6], [300, 6], [-100, 6]], "lanes": ["l"]}],
              "lanes": [{"id": "l", "polygon": [[-100, -2], [300, -2], [300, 2], [-100, 2]],
                         "centerline": [[-100, 0], [300, 0]]}], "route": ["rb"]},
      "trajectory": {"interval": 0.5, "poses": [[5, 0, 0], [10, 0, 0]]}})";
  const auto cases = parse_cases(text, "h.json");
  ASSERT_EQ(cases.size(), 1u);
  const auto& h = cases[0].inputs.history;
  ASSERT_EQ(h.size(), 14u);
  EXPECT_NEAR(h.front().x, -15.0, 1e-12);
  EXPECT_NEAR(h.back().x, -2.0, 1e-9);
  std::string bad = text;
  bad.replace(bad.find("[-0.5, -5"), 9, "[0.5, -5 ");
  try {
    parse_cases(bad, "h.json");
    FAIL() << "a future history sample was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ego.history[2]: expected a time <= 0, got 0.5"), std::string::npos)
        << e.what();
  }
}

// In v2 PDM-Closed ranks its proposals with the v2 scorer. A kerbside obstacle blocks the
// centreline and the -1 m path but not the +1 m one: v1 prefers driving past it on the +1 m
// path (full progress), v2 also counts lane keeping, which the 1 m offset fails, and prefers
// stopping behind the obstacle on the centreline.
TEST(NavsimParity, PdmClosedRanksWithTheVersionsScorer) {
  const std::vector<AgentTrack> tracks{
      still("skip", scene::AgentType::kStatic, 4.049 + 60 + 1.0, -1.4, 0.0, 2.0, 2.2)};  // y in [-2.5, -0.3]
  PdmClosedParams v1;
  PdmClosedParams v2;
  v2.scorer_version = PdmsVersion::kV2;
  const auto r1 = run_pdm_closed(straight_road(), {"rb"}, ego_at(0, 0, 0, 10.0), tracks, v1);
  const auto r2 = run_pdm_closed(straight_road(), {"rb"}, ego_at(0, 0, 0, 10.0), tracks, v2);
  EXPECT_EQ(r1.chosen / 5, 2u) << "v1 chose proposal " << r1.chosen;
  EXPECT_EQ(r2.chosen / 5, 0u) << "v2 chose proposal " << r2.chosen;
  EXPECT_EQ(r2.proposal_scores[14].lk, 0.0);
  EXPECT_EQ(r2.proposal_scores[r2.chosen].lk, 1.0);
  EXPECT_EQ(r2.proposal_scores[r2.chosen].hc, 1.0);  // no history is passed to PDM-Closed
}

}  // namespace
}  // namespace autoscale::eval
