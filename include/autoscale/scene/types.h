// Scene value types: what one driving scene is, independent of where it came from.
//
// Conventions (as spec/case-format.md): metres, seconds, radians, one global Cartesian frame per
// map, headings counter-clockwise from +x. Tracks are sampled every kStepSeconds. The ego pose is
// the rear axle; agent poses are box centres. docs/data-format.md is the on-disk layout.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace autoscale::scene {

inline constexpr double kStepSeconds = 0.1;  // every track in a store is sampled at 10 Hz

enum class Domain : uint8_t { kReal = 0, kSynthetic = 1 };
enum class AgentType : uint8_t { kVehicle = 0, kPedestrian = 1, kBicycle = 2, kStatic = 3 };
enum class DrivingCommand : uint8_t { kLeft = 0, kStraight = 1, kRight = 2, kUnknown = 3 };  // NAVSIM order
enum class LightState : uint8_t { kUnknown = 0, kGreen = 1, kYellow = 2, kRed = 3 };
enum class AreaKind : uint8_t { kRoadblock = 0, kIntersection = 1, kCarpark = 2, kGeneric = 3 };

// The road user's true class, as the recording labels it. AgentType above is the coarse class
// NAVSIM's scoring and PDM-Closed work with (nuPlan's VEHICLE, PEDESTRIAN, BICYCLE, static
// object); the category keeps what the source said, so that a bus is not just "a vehicle" and a
// motorcyclist not just "a cyclist". kUnspecified: the source (or a store written before this
// field existed) gives only the coarse type. The values are stored on disk: append, never renumber.
enum class AgentCategory : uint8_t {
  kUnspecified = 0,
  kCar = 1,
  kTruck = 2,
  kBus = 3,
  kMotorcycle = 4,  // also mopeds and e-scooters; SinD's CommonRoad conversion files tricycles here too
  kBicycle = 5,
  kTricycle = 6,
  kPedestrian = 7,
};

// The one name table of AgentCategory (to_string, parse_agent_category and messages use it).
inline constexpr std::pair<AgentCategory, const char*> kAgentCategoryNames[] = {
    {AgentCategory::kUnspecified, "unspecified"}, {AgentCategory::kCar, "car"},
    {AgentCategory::kTruck, "truck"},             {AgentCategory::kBus, "bus"},
    {AgentCategory::kMotorcycle, "motorcycle"},   {AgentCategory::kBicycle, "bicycle"},
    {AgentCategory::kTricycle, "tricycle"},       {AgentCategory::kPedestrian, "pedestrian"},
};
inline constexpr uint8_t kMaxAgentCategory = 7;

// NAVSIM's class of a category: cars, trucks and buses are vehicles; every two- or three-wheeler
// is a bicycle (as ScenarioNet files nuScenes' motorcycles under CYCLIST); pedestrians are
// pedestrians. kUnspecified has no class of its own: it returns `fallback`.
AgentType coarse_type(AgentCategory c, AgentType fallback = AgentType::kVehicle);

const char* to_string(Domain d);
const char* to_string(AgentType t);
const char* to_string(AgentCategory c);
// The category named `name` (a name of kAgentCategoryNames); false when there is none.
bool parse_agent_category(std::string_view name, AgentCategory* out);
const char* to_string(DrivingCommand c);
const char* to_string(LightState s);
const char* to_string(AreaKind k);

struct Vec2 {
  double x = 0.0;
  double y = 0.0;
};
using Polyline = std::vector<Vec2>;

// A polygon with optional holes. Rings are implicitly closed: the last point does not repeat
// the first.
struct Polygon {
  Polyline exterior;
  std::vector<Polyline> holes;
};

// Ego state at one step: rear-axle pose in the global frame; velocity and acceleration in the
// ego frame (x forward, y left), as NAVSIM's ego_dynamic_state.
struct EgoState {
  double x = 0, y = 0, heading = 0;
  double vx = 0, vy = 0;
  double ax = 0, ay = 0;
};

// Agent state at one step: box-centre pose and velocity, both in the global frame.
struct AgentState {
  double x = 0, y = 0, heading = 0;
  double vx = 0, vy = 0;
  bool valid = false;  // observed at this step
};

struct Agent {
  std::string id;  // track id, stable across the scenes of one log
  AgentType type = AgentType::kVehicle;  // coarse class, what scoring and planning use
  double length = 0, width = 0, height = 0;
  std::vector<AgentState> states;  // one per scene step, on the ego's time grid
  // The recording's own class when it gives one (last, so that aggregate initialisers without it
  // keep compiling).
  AgentCategory category = AgentCategory::kUnspecified;
};

// A light's state as NAVSIM/nuPlan hold it: on the lane (connector) past the stop line whose entry
// it controls, so a red light blocks entering that lane. Importers whose source attaches lights
// to the lane before the stop line (CommonRoad) move them onto its successors.
struct TrafficLight {
  std::string lane;  // the lane (connector) it controls
  LightState state = LightState::kUnknown;  // at the current frame
  // States at the scene's future steps (index k: current + k + 1, on the ego's 0.1 s grid), as
  // far as the source knows them; empty when it gives the current frame only, and then the
  // current state is held (what NAVSIM's scorer would see from a single frame).
  std::vector<LightState> future;
};

struct Scene {
  std::string token;   // unique in a store
  std::string log;     // recording id; splits are log-disjoint
  std::string map_id;  // the store map this scene lives on
  Domain domain = Domain::kReal;
  int64_t timestamp_us = 0;  // time of the current frame

  // Provenance: which importer/generator made it, with what parameters (JSON) and seed, and for
  // synthetic scenes the real log they derive from (for leakage guards).
  std::string generator;
  std::string generator_params = "{}";
  uint64_t seed = 0;
  std::string source_log;

  DrivingCommand command = DrivingCommand::kUnknown;
  int num_history = 0;  // ego[num_history] is the current state
  double ego_length = 0, ego_width = 0;
  std::vector<EgoState> ego;  // num_history + 1 + num_future states
  std::vector<Agent> agents;
  std::vector<std::string> route;  // roadblock ids in driving order
  std::vector<TrafficLight> traffic_lights;  // current states (and future ones, see TrafficLight)

  int current_index() const { return num_history; }
  int num_steps() const { return static_cast<int>(ego.size()); }
  int num_future() const { return num_steps() - num_history - 1; }
  const EgoState& current_ego() const { return ego.at(static_cast<size_t>(num_history)); }
};

struct Lane {
  std::string id;
  std::string roadblock;  // the roadblock or roadblock connector grouping this lane
  bool connector = false;  // a lane connector inside an intersection
  double speed_limit = std::numeric_limits<double>::quiet_NaN();  // m/s, NaN when unknown
  Polyline centerline;  // in driving direction
  Polyline polygon;     // lane area ring (may be empty)
  std::vector<std::string> successors;
  std::vector<std::string> predecessors;
  std::string left, right;  // adjacent lanes in the same direction ("" when none)
};

struct Roadblock {
  std::string id;
  bool connector = false;
  Polygon polygon;
};

struct Area {
  std::string id;
  AreaKind kind = AreaKind::kGeneric;
  Polygon polygon;
};

// A map shared by every scene of a log or location.
struct Map {
  std::string id;
  std::vector<Lane> lanes;
  std::vector<Roadblock> roadblocks;
  std::vector<Area> areas;  // intersections, carparks, generic drivable surface
};

}  // namespace autoscale::scene
