// One focused test per PDM Score rule (navsim-pdms.md section 4), on a hand-made straight road
// with hand-made ego states, so that each test isolates one rule.
#include <gtest/gtest.h>

#include <cmath>

#include "autoscale/eval/scorer.h"

namespace autoscale::eval {
namespace {

using scene::Vec2;

scene::Polyline rect(double x0, double y0, double x1, double y1) { return {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}; }

// Two lanes along +x: right lane y in [-4, 0] (on route), left lane y in [0, 4] (off route).
// At x in [200, 215] an intersection; connector lanes continue to x = 230 (connector-only area
// beyond the intersection).
struct Road {
  scene::Map map;
  ScoringMap scoring;
  Centerline centerline;
  explicit Road(bool intersection_to_230 = false) {
    map.id = "road";
    map.roadblocks.push_back({"rb", false, {rect(-50, -4, 200, 4), {}}});
    map.roadblocks.push_back({"rbc", true, {rect(200, -4, 230, 4), {}}});
    scene::Lane right{"right", "rb", false, 15.0, {{-50, -2}, {200, -2}}, rect(-50, -4, 200, 0), {"conn"}, {}, "", ""};
    scene::Lane left{"left", "rb", false, 15.0, {{-50, 2}, {200, 2}}, rect(-50, 0, 200, 4), {}, {}, "", ""};
    scene::Lane conn{"conn", "rbc", true, 15.0, {{200, -2}, {230, -2}}, rect(200, -4, 230, 0), {}, {"right"}, "", ""};
    map.lanes = {right, left, conn};
    map.areas.push_back({"int", scene::AreaKind::kIntersection, {rect(200, -4, intersection_to_230 ? 230 : 215, 4), {}}});
    scoring = ScoringMap(map, {0, -2}, {"right", "conn"}, 1000.0);
    centerline = Centerline({{-50, -2}, {230, -2}});
  }
};

// 41 states of the rear axle moving along y at speed v (x(t) given by x0 + v t + a t^2 / 2).
std::vector<sim::State> drive(double x0, double y, double v, double a = 0.0) {
  std::vector<sim::State> s(41);
  for (int k = 0; k <= 40; ++k) {
    const double t = 0.1 * k;
    double vt = v + a * t, xt = x0 + v * t + 0.5 * a * t * t;
    if (vt < 0) {  // stopped
      const double ts = -v / a;
      vt = 0;
      xt = x0 + v * ts + 0.5 * a * ts * ts;
    }
    s[k].x = xt;
    s[k].y = y;
    s[k].vx = vt;
    s[k].ax = vt > 0 ? a : 0.0;
  }
  return s;
}

AgentTrack track(const std::string& id, scene::AgentType type, std::vector<TrackSample> samples,
                 double length = 4.5, double width = 1.9) {
  return {id, type, length, width, std::move(samples)};
}

SubScores score_one(const std::vector<sim::State>& states, const Road& road, const std::vector<AgentTrack>& tracks,
                    PdmsVersion version = PdmsVersion::kV1) {
  const Observation obs = Observation::from_tracks(tracks, version == PdmsVersion::kV1 ? 51 : 41);
  ScoringScene scene{&road.scoring, &obs, &road.centerline, {}, {}};
  ScorerParams p;
  p.version = version;
  return score_proposals({states}, scene, p)[0];
}

// The ego front bumper is 4.049 m ahead of the rear axle.
constexpr double kFront = 4.049;

TEST(ScorerRules, CleanDriveScoresOne) {
  const Road road;
  const auto s = score_one(drive(0, -2, 10), road, {});
  EXPECT_EQ(s.nc, 1);
  EXPECT_EQ(s.dac, 1);
  EXPECT_EQ(s.ttc, 1);
  EXPECT_EQ(s.c, 1);
  EXPECT_EQ(s.ddc, 1);
  EXPECT_EQ(s.ep, 1);
  EXPECT_NEAR(s.progress, 40.0, 1e-9);
  EXPECT_DOUBLE_EQ(s.score, 1.0);
}

TEST(ScorerRules, StoppedTrackIsAtFaultVehicleZeroStaticHalf) {
  const Road road;
  // A parked car 20 m ahead of the front bumper: ego at 10 m/s hits it at ~2 s.
  const double x = kFront + 20 + 2.25;
  const auto vehicle = score_one(drive(0, -2, 10), road, {track("parked", scene::AgentType::kVehicle, {{0, x, -2, 0, 0, 0}})});
  EXPECT_EQ(vehicle.nc, 0.0);
  EXPECT_EQ(vehicle.ep, 0.0);  // v1 zeroes EP when NC is 0
  EXPECT_EQ(vehicle.score, 0.0);
  const auto cone = score_one(drive(0, -2, 10), road, {track("cone", scene::AgentType::kStatic, {{0, x, -2, 0, 0, 0}}, 0.5, 0.5)});
  EXPECT_EQ(cone.nc, 0.5);
  EXPECT_NEAR(cone.score, 0.5 * cone.dac * (5 * cone.ttc + 5 * cone.ep + 2 * cone.c) / 12, 1e-12);
}

TEST(ScorerRules, StoppedEgoIsNeverAtFault) {
  const Road road;
  // The ego stands still; a car drives through it from behind.
  const auto s = score_one(drive(0, -2, 0), road,
                           {track("rammer", scene::AgentType::kVehicle, {{0, -20, -2, 0, 10, 0}, {5, 30, -2, 0, 10, 0}})});
  EXPECT_EQ(s.nc, 1.0);
  EXPECT_EQ(s.ttc, 1.0);  // TTC ignores a standing ego
}

TEST(ScorerRules, RearEndedEgoIsNotAtFault) {
  const Road road;
  // Ego at 5 m/s; a faster car from behind closes a 3 m gap and drives into it.
  const double rear = -1.127 - 2.25 - 3.0;
  const auto s = score_one(drive(0, -2, 5), road,
                           {track("fast", scene::AgentType::kVehicle, {{0, rear, -2, 0, 12, 0}, {5, rear + 60, -2, 0, 12, 0}})});
  EXPECT_EQ(s.nc, 1.0);
  // (TTC may still be 0 here: it judges the projected ego against the car's *future*
  // centroid, which passes the ego's rear axle as the car drives through. That is the devkit's
  // rule, not a bug of ours; TtcAheadFailsBehindDoesNot isolates TTC.)
}

TEST(ScorerRules, FrontCollisionWithMovingAgentIsAtFault) {
  const Road road;
  // A slow car 10 m ahead at 2 m/s; the ego at 10 m/s runs into its back.
  const double x = kFront + 10 + 2.25;
  const auto s = score_one(drive(0, -2, 10), road,
                           {track("slow", scene::AgentType::kVehicle, {{0, x, -2, 0, 2, 0}, {5, x + 10, -2, 0, 2, 0}})});
  EXPECT_EQ(s.nc, 0.0);
  EXPECT_EQ(s.ttc, 0.0);
}

TEST(ScorerRules, LateralContactOnlyAtFaultOutsideOneLane) {
  const Road road;
  // A car in the left lane at the ego's speed drifts right into the ego's side.
  const auto swipe = track("swipe", scene::AgentType::kVehicle,
                           {{0, 1.5, 2.5, 0, 10, 0}, {2, 21.5, -0.5, 0, 10, 0}, {4, 41.5, -0.5, 0, 10, 0}});
  EXPECT_EQ(score_one(drive(0, -2, 10), road, {swipe}).nc, 1.0);  // ego inside its lane: excused
  // The same contact while the ego straddles both lanes (y = -0.9: corners in both) is at fault.
  const auto swipe_high = track("swipe", scene::AgentType::kVehicle,
                                {{0, 1.5, 3.5, 0, 10, 0}, {2, 21.5, 0.6, 0, 10, 0}, {4, 41.5, 0.6, 0, 10, 0}});
  EXPECT_EQ(score_one(drive(0, -0.9, 10), road, {swipe_high}).nc, 0.0);
}

TEST(ScorerRules, OneCornerOffTheDrivableAreaFailsDac) {
  const Road road;
  EXPECT_EQ(score_one(drive(0, -2.8, 10), road, {}).dac, 1.0);  // right corners at y = -3.95
  const auto off = score_one(drive(0, -2.9, 10), road, {});     // right corners at y = -4.05
  EXPECT_EQ(off.dac, 0.0);
  EXPECT_EQ(off.score, 0.0);
}

TEST(ScorerRules, IntersectionCountsConnectorOnlyAreaDoesNot) {
  // From x = 170 at 10 m/s the front reaches ~214 m: inside the intersection.
  EXPECT_EQ(score_one(drive(170, -2, 10), Road(false), {}).dac, 1.0);
  // At 12 m/s the front passes x = 215, where only lane connectors remain.
  EXPECT_EQ(score_one(drive(170, -2, 12), Road(false), {}).dac, 0.0);
  EXPECT_EQ(score_one(drive(170, -2, 12), Road(true), {}).dac, 1.0);
}

TEST(ScorerRules, TtcAheadFailsBehindDoesNot) {
  const Road road;
  // Braking at 5 m/s^2 from 10 m/s stops in 10 m, short of a car parked 11 m ahead: no
  // collision, but the constant-velocity projection within 0.9 s reaches it.
  const double x = kFront + 11 + 2.25;
  const auto ahead = score_one(drive(0, -2, 10, -5), road, {track("p", scene::AgentType::kVehicle, {{0, x, -2, 0, 0, 0}})});
  EXPECT_EQ(ahead.nc, 1.0);
  EXPECT_EQ(ahead.ttc, 0.0);
  // Nothing ahead, a car parked 11 m behind while the ego reverses toward it would only be
  // "behind": projections go forward, so TTC holds.
  const auto behind = score_one(drive(0, -2, 10, -5), road,
                                {track("b", scene::AgentType::kVehicle, {{0, -1.127 - 2.25 - 0.5, -2, 0, 0, 0}})});
  EXPECT_EQ(behind.ttc, 1.0);
}

TEST(ScorerRules, ComfortLimits) {
  const Road road;
  auto with = [&](auto fn) {
    auto s = drive(0, -2, 10);
    for (int k = 0; k <= 40; ++k) fn(s[k], 0.1 * k);
    return score_one(s, road, {}).c;
  };
  EXPECT_EQ(with([](sim::State& s, double) { s.ax = 2.3; }), 1.0);
  EXPECT_EQ(with([](sim::State& s, double) { s.ax = 2.5; }), 0.0);   // lon. accel > 2.40
  EXPECT_EQ(with([](sim::State& s, double) { s.ax = -4.0; }), 1.0);
  EXPECT_EQ(with([](sim::State& s, double) { s.ax = -4.1; }), 0.0);  // lon. accel < -4.05
  EXPECT_EQ(with([](sim::State& s, double) { s.ay = 4.8; }), 1.0);
  EXPECT_EQ(with([](sim::State& s, double) { s.ay = -5.0; }), 0.0);  // lat. accel > 4.89
  // Lon. jerk: a parabola inside the accel bounds whose slope reaches 6 m/s^3 at the ends.
  EXPECT_EQ(with([](sim::State& s, double t) { s.ax = 2.3 - 1.5 * (t - 2) * (t - 2); }), 0.0);
  EXPECT_EQ(with([](sim::State& s, double t) { s.ax = 1.0 - 0.5 * (t - 2) * (t - 2); }), 1.0);  // slope 2
  EXPECT_EQ(with([](sim::State& s, double t) { s.heading = 0.9 * t; }), 1.0);
  EXPECT_EQ(with([](sim::State& s, double t) { s.heading = 1.0 * t; }), 0.0);  // yaw rate > 0.95
  EXPECT_EQ(with([](sim::State& s, double t) { s.heading = 0.2 * std::sin(4 * t); }), 0.0);  // yaw accel 3.2 > 1.93
  EXPECT_EQ(with([](sim::State& s, double t) { s.heading = 0.1 * std::sin(4 * t); }), 1.0);  // 1.6
}

TEST(ScorerRules, ProgressBelowFiveMetresScoresOneInV1AndZeroesAfterACrash) {
  const Road road;
  const Observation empty = Observation::from_tracks({}, 51);
  ScoringScene scene{&road.scoring, &empty, &road.centerline, {}, {}};
  ScorerParams p;
  // Both proposals crawl (< 5 m): EP is 1 for both.
  auto slow = score_proposals({drive(0, -2, 1.0), drive(0, -2, 0.5)}, scene, p);
  EXPECT_EQ(slow[0].ep, 1.0);
  EXPECT_EQ(slow[1].ep, 1.0);
  // With a 40 m reference, the 20 m plan gets half.
  auto half = score_proposals({drive(0, -2, 10), drive(0, -2, 5)}, scene, p);
  EXPECT_NEAR(half[1].ep, 0.5, 1e-9);
  // A plan off the road (DAC 0) has EP 0 in v1, but keeps its ratio in v2.
  auto off = score_proposals({drive(0, -2, 10), drive(0, -3.5, 5)}, scene, p);
  EXPECT_EQ(off[1].ep, 0.0);
  const Observation empty41 = Observation::from_tracks({}, 41);
  ScoringScene scene2{&road.scoring, &empty41, &road.centerline, {}, {}};
  p.version = PdmsVersion::kV2;
  auto off2 = score_proposals({drive(0, -2, 10), drive(0, -3.5, 5)}, scene2, p);
  EXPECT_NEAR(off2[1].ep, 0.5, 1e-9);
}

TEST(ScorerRules, DrivingDirectionWindows) {
  const Road road;
  // In the off-route left lane, progress within any 1 s window: <2 m -> 1, <6 m -> 0.5, else 0.
  EXPECT_EQ(score_one(drive(0, 2, 1.5), road, {}).ddc, 1.0);
  EXPECT_EQ(score_one(drive(0, 2, 3.0), road, {}).ddc, 0.5);
  EXPECT_EQ(score_one(drive(0, 2, 7.0), road, {}).ddc, 0.0);
  EXPECT_EQ(score_one(drive(0, -2, 7.0), road, {}).ddc, 1.0);  // on route
  // v1 computes DDC but gives it weight 0; v2 multiplies by it.
  EXPECT_NEAR(score_one(drive(0, 2, 7.0), road, {}).score, 1.0, 1e-12);
  EXPECT_EQ(score_one(drive(0, 2, 7.0), road, {}, PdmsVersion::kV2).score, 0.0);
}

TEST(ScorerRules, SingleFrameTracksArePresentAtEveryStep) {
  const Observation obs = Observation::from_tracks(
      {track("once", scene::AgentType::kVehicle, {{0.5, 10, 0, 0, 3, 0}}),
       track("span", scene::AgentType::kVehicle, {{1.0, 0, 0, 0, 1, 0}, {2.0, 1, 0, 0, 1, 0}})},
      51);
  int once = 0, span = 0;
  for (int k = 0; k < 51; ++k) {
    for (const ObjectBox* b = obs.begin(k); b != obs.end(k); ++b) (b->object == 0 ? once : span)++;
  }
  EXPECT_EQ(once, 51);
  EXPECT_EQ(span, 11);  // 1.0 .. 2.0 s only
  EXPECT_NEAR(obs.objects()[0].first_speed, 3.0, 1e-12);
}

TEST(ScorerRules, V2LaneKeepingAndTrafficLights) {
  const Road road;
  // 0.6 m off the centerline for the whole horizon: 20 consecutive steps -> LK 0.
  EXPECT_EQ(score_one(drive(0, -1.4, 10), road, {}, PdmsVersion::kV2).lk, 0.0);
  EXPECT_EQ(score_one(drive(0, -1.6, 10), road, {}, PdmsVersion::kV2).lk, 1.0);
  const Observation obs = Observation::from_tracks({}, 41);
  const scene::Polygon red = {rect(200, -4, 230, 0), {}};
  ScoringScene scene{&road.scoring, &obs, &road.centerline, {{&red}}, {}};
  ScorerParams p;
  p.version = PdmsVersion::kV2;
  EXPECT_EQ(score_proposals({drive(170, -2, 10)}, scene, p)[0].tlc, 0.0);
  EXPECT_EQ(score_proposals({drive(100, -2, 10)}, scene, p)[0].tlc, 1.0);
  // Per 2 Hz frame: red for the first 2 s only, then the last frame (green) holds.
  scene.red_lights = {{&red}, {&red}, {&red}, {&red}, {}};
  EXPECT_EQ(score_proposals({drive(170, -2, 10)}, scene, p)[0].tlc, 1.0);  // reaches x = 200 at ~2.6 s
  scene.red_lights = {{}, {}, {}, {}, {}, {&red}};
  EXPECT_EQ(score_proposals({drive(170, -2, 10)}, scene, p)[0].tlc, 0.0);  // red from 2.5 s on
  scene.red_lights = {};
  EXPECT_EQ(score_proposals({drive(170, -2, 10)}, scene, p)[0].tlc, 1.0);
}

}  // namespace
}  // namespace autoscale::eval
