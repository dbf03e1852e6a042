#include "autoscale/scene/types.h"

namespace autoscale::scene {

const char* to_string(Domain d) { return d == Domain::kReal ? "real" : "synthetic"; }

const char* to_string(AgentType t) {
  switch (t) {
    case AgentType::kVehicle: return "vehicle";
    case AgentType::kPedestrian: return "pedestrian";
    case AgentType::kBicycle: return "bicycle";
    case AgentType::kStatic: return "static";
  }
  return "?";
}

const char* to_string(AgentCategory c) {
  for (const auto& [value, name] : kAgentCategoryNames) {
    if (value == c) return name;
  }
  return "?";
}

bool parse_agent_category(std::string_view name, AgentCategory* out) {
  for (const auto& [value, n] : kAgentCategoryNames) {
    if (name == n) {
      *out = value;
      return true;
    }
  }
  return false;
}

AgentType coarse_type(AgentCategory c, AgentType fallback) {
  switch (c) {
    case AgentCategory::kCar:
    case AgentCategory::kTruck:
    case AgentCategory::kBus: return AgentType::kVehicle;
    case AgentCategory::kMotorcycle:
    case AgentCategory::kBicycle:
    case AgentCategory::kTricycle: return AgentType::kBicycle;
    case AgentCategory::kPedestrian: return AgentType::kPedestrian;
    case AgentCategory::kUnspecified: return fallback;
  }
  return fallback;
}

const char* to_string(DrivingCommand c) {
  switch (c) {
    case DrivingCommand::kLeft: return "left";
    case DrivingCommand::kStraight: return "straight";
    case DrivingCommand::kRight: return "right";
    case DrivingCommand::kUnknown: return "unknown";
  }
  return "?";
}

const char* to_string(LightState s) {
  switch (s) {
    case LightState::kUnknown: return "unknown";
    case LightState::kGreen: return "green";
    case LightState::kYellow: return "yellow";
    case LightState::kRed: return "red";
  }
  return "?";
}

const char* to_string(AreaKind k) {
  switch (k) {
    case AreaKind::kRoadblock: return "roadblock";
    case AreaKind::kIntersection: return "intersection";
    case AreaKind::kCarpark: return "carpark";
    case AreaKind::kGeneric: return "generic";
  }
  return "?";
}

}  // namespace autoscale::scene
