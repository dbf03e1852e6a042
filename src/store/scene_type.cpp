#include "autoscale/store/scene_type.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "autoscale/core/error.h"
#include "autoscale/scene/geometry.h"

namespace autoscale::scene {

void SceneTypeOptions::visit(ConfigVisitor& v) {
  v.field("horizon_s", horizon_s, "future the rule reads [s]", in_range(0.1, 60));
  v.field("stop_from_speed", stop_from_speed, "a stop starts at least this fast [m/s]", in_range(0, 60));
  v.field("stop_ratio", stop_ratio, "... and falls to at most this share of its speed within the horizon", in_range(0, 1));
  v.field("turn_rad", turn_rad, "a turn changes heading by at least this within the horizon [rad]", in_range(0, 3.2));
}

SceneType scene_type(const Scene& s, const SceneTypeOptions& o) {
  if (s.ego.empty() || s.num_future() <= 0) return SceneType::kCruise;
  const int now = s.current_index();
  const int last = std::min(now + static_cast<int>(std::lround(o.horizon_s / kStepSeconds)), s.num_steps() - 1);
  const auto speed = [&](int i) { return std::hypot(s.ego[static_cast<size_t>(i)].vx, s.ego[static_cast<size_t>(i)].vy); };
  const double v0 = speed(now);
  double lowest = v0, turned = 0;
  for (int i = now + 1; i <= last; ++i) {
    lowest = std::min(lowest, speed(i));
    turned += wrap_angle(s.ego[static_cast<size_t>(i)].heading - s.ego[static_cast<size_t>(i - 1)].heading);
  }
  if (v0 >= o.stop_from_speed && lowest <= o.stop_ratio * v0) return SceneType::kStop;
  if (std::abs(turned) >= o.turn_rad) return SceneType::kTurn;
  return SceneType::kCruise;
}

const char* to_string(SceneType type) {
  switch (type) {
    case SceneType::kStop: return "stop";
    case SceneType::kTurn: return "turn";
    case SceneType::kCruise: return "cruise";
  }
  return "?";
}

SceneType parse_scene_type(const std::string& name) {
  for (auto t : {SceneType::kStop, SceneType::kTurn, SceneType::kCruise}) {
    if (name == to_string(t)) return t;
  }
  throw Error(fmt::format("scene type {}: expected stop, turn or cruise", quote(name)));
}

std::array<size_t, 3> select_by_type(const SceneStore& in, const SelectOptions& o, SceneStoreWriter& out) {
  std::array<size_t, 3> seen{};
  for (size_t i = 0; i < in.size(); ++i) {
    Scene s = in.read(i);
    const SceneType t = scene_type(s, o.types);
    ++seen[static_cast<size_t>(t)];
    if (std::find(o.keep.begin(), o.keep.end(), t) == o.keep.end()) continue;
    if (o.as_real) s.domain = Domain::kReal;
    if (!o.tag.empty()) s.generator += ":" + o.tag;
    if (!out.has_map(s.map_id)) out.add_map(*in.map(s.map_id));
    out.add(s);
  }
  return seen;
}

}  // namespace autoscale::scene
