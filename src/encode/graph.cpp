#include "autoscale/encode/graph.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "autoscale/core/error.h"
#include "autoscale/scene/geometry.h"

namespace autoscale::encode {

void GraphOptions::visit(ConfigVisitor& v) {
  v.field("max_agents", max_agents, "agent nodes: the nearest within radius_m", at_least(1));
  v.field("max_lanes", max_lanes, "lane-polyline nodes: the nearest within radius_m", at_least(1));
  v.field("radius_m", radius_m, "neighbourhood of the ego [m]", positive());
  v.field("lane_points", lane_points, "points per resampled centerline", at_least(2));
  v.field("agent_neighbours", agent_neighbours, "agent-agent kNN edges (within 30 m)", at_least(0));
  v.field("lanes_per_actor", lanes_per_actor, "ego/agent-to-lane edges to the nearest lanes (within 5 m)", at_least(0));
  v.field("ego_future_input", ego_future_input,
          "the ego node's input holds its future (the label); false: input-only embeddings (the future stays the "
          "behaviour term's target), blind to corrupted labels");
}

int lane_features(const GraphOptions& o) { return static_cast<int>(2 * o.lane_points) + 4; }

namespace {

using scene::Vec2;

constexpr double kAgentAgentRadius = 30.0;  // m
constexpr double kActorLaneRadius = 5.0;    // m
constexpr int kFuturePoses = 8;             // NAVSIM: 8 poses at 0.5 s

// The scene in the ego frame of the current step.
struct Frame {
  double x, y, c, s, heading;
  Vec2 point(double gx, double gy) const {
    const double dx = gx - x, dy = gy - y;
    return {c * dx + s * dy, -s * dx + c * dy};
  }
  Vec2 vector(double vx, double vy) const { return {c * vx + s * vy, -s * vx + c * vy}; }
};

double polyline_distance(const scene::Polyline& line, Vec2 p) {
  double best = INFINITY;
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    const double dx = line[i + 1].x - line[i].x, dy = line[i + 1].y - line[i].y;
    const double len2 = dx * dx + dy * dy;
    const double u = len2 > 0 ? std::clamp(((p.x - line[i].x) * dx + (p.y - line[i].y) * dy) / len2, 0.0, 1.0) : 0.0;
    best = std::min(best, std::hypot(line[i].x + u * dx - p.x, line[i].y + u * dy - p.y));
  }
  return best;
}

scene::Polyline resample(const scene::Polyline& line, int n) {
  std::vector<double> s(line.size(), 0.0);
  for (size_t i = 1; i < line.size(); ++i) s[i] = s[i - 1] + std::hypot(line[i].x - line[i - 1].x, line[i].y - line[i - 1].y);
  scene::Polyline out;
  size_t seg = 0;
  for (int k = 0; k < n; ++k) {
    const double target = s.back() * k / (n - 1);
    while (seg + 2 < line.size() && s[seg + 1] < target) ++seg;
    const double span = s[seg + 1] - s[seg];
    const double w = span > 0 ? std::clamp((target - s[seg]) / span, 0.0, 1.0) : 0.0;
    out.push_back({line[seg].x + w * (line[seg + 1].x - line[seg].x), line[seg].y + w * (line[seg + 1].y - line[seg].y)});
  }
  return out;
}

void add_edge(SceneGraph& g, int a, int b, EdgeType t) {
  for (auto [u, v] : {std::pair{a, b}, std::pair{b, a}}) {
    g.edge_src.push_back(u);
    g.edge_dst.push_back(v);
    g.edge_type.push_back(static_cast<uint8_t>(t));
  }
}

}  // namespace

namespace {

// Ego: state, command and the future it drives (the behaviour the embedding must capture; an
// input of the ego node only with ego_future_input).
void add_ego(SceneGraph& g, const scene::Scene& s, const Frame& f, const GraphOptions& o) {
  const int c = s.current_index();
  const scene::EgoState& e = s.current_ego();
  g.ego = {static_cast<float>(std::hypot(e.vx, e.vy)), static_cast<float>(e.ax), static_cast<float>(e.ay)};
  for (int k = 0; k < 4; ++k) g.ego.push_back(static_cast<int>(s.command) == k ? 1.f : 0.f);
  for (int k = 1; k <= kFuturePoses; ++k) {
    const auto& fe = s.ego[c + 5 * k];
    const Vec2 p = f.point(fe.x, fe.y);
    g.future.insert(g.future.end(), {float(p.x), float(p.y), float(scene::wrap_angle(fe.heading - e.heading))});
  }
  if (o.ego_future_input) {
    g.ego.insert(g.ego.end(), g.future.begin(), g.future.end());
  } else {
    g.ego.resize(g.ego.size() + g.future.size(), 0.f);
  }
}

// Agents: the nearest observed ones within the radius. Returns their positions in the ego frame.
std::vector<Vec2> add_agents(SceneGraph& g, const scene::Scene& s, const Frame& f, const GraphOptions& o) {
  const int c = s.current_index();
  const scene::EgoState& e = s.current_ego();
  std::vector<std::pair<double, const scene::Agent*>> near;
  for (const auto& a : s.agents) {
    if (c >= static_cast<int>(a.states.size()) || !a.states[c].valid) continue;
    const double d = std::hypot(a.states[c].x - e.x, a.states[c].y - e.y);
    if (d <= o.radius_m) near.push_back({d, &a});
  }
  std::stable_sort(near.begin(), near.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  near.resize(std::min<size_t>(near.size(), static_cast<size_t>(o.max_agents)));
  g.agents.assign(static_cast<size_t>(o.max_agents) * kAgentFeatures, 0.f);
  g.agent_mask.assign(static_cast<size_t>(o.max_agents), 0);
  std::vector<Vec2> agent_pos;
  for (size_t i = 0; i < near.size(); ++i) {
    const scene::Agent& a = *near[i].second;
    const scene::AgentState& st = a.states[c];
    float* row = &g.agents[i * kAgentFeatures];
    row[static_cast<int>(a.type)] = 1.f;
    const Vec2 p = f.point(st.x, st.y), v = f.vector(st.vx, st.vy);
    const double h = st.heading - e.heading;
    const float pose[] = {float(p.x), float(p.y), float(std::cos(h)), float(std::sin(h)), float(a.length),
                          float(a.width), float(v.x), float(v.y)};
    std::copy(pose, pose + 8, row + 4);
    for (int k = 1; k <= 3; ++k) {  // where it was 0.5, 1.0, 1.5 s ago, relative to now
      const int past = c - 5 * k;
      if (past < 0 || !a.states[past].valid) continue;
      const Vec2 q = f.vector(a.states[past].x - st.x, a.states[past].y - st.y);
      row[12 + 3 * (k - 1)] = float(q.x);
      row[13 + 3 * (k - 1)] = float(q.y);
      row[14 + 3 * (k - 1)] = 1.f;
    }
    g.agent_mask[i] = 1;
    agent_pos.push_back(p);
  }
  return agent_pos;
}

// The lane nodes of a graph: which map lanes, their node ids and centerlines in the ego frame.
struct LaneNodes {
  std::vector<std::pair<double, const scene::Lane*>> lanes;  // by distance to the ego
  std::unordered_map<std::string, int> node;                 // lane id -> node
  std::vector<scene::Polyline> local;                        // resampled centerline per lane node
};

// Lanes: the nearest centerlines within the radius, resampled in the ego frame.
LaneNodes add_lanes(SceneGraph& g, const scene::Scene& s, const scene::Map& map, const Frame& f,
                    const GraphOptions& o) {
  const scene::EgoState& e = s.current_ego();
  const int lf = lane_features(o);
  LaneNodes out;
  for (const auto& l : map.lanes) {
    if (l.centerline.size() < 2) continue;
    const double d = polyline_distance(l.centerline, {e.x, e.y});
    if (d <= o.radius_m) out.lanes.push_back({d, &l});
  }
  std::stable_sort(out.lanes.begin(), out.lanes.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  AUTOSCALE_CHECK(!out.lanes.empty(), "scene {}: no lane within {} m of the ego (map {} has {} lanes)", s.token,
                  o.radius_m, map.id, map.lanes.size());
  out.lanes.resize(std::min<size_t>(out.lanes.size(), static_cast<size_t>(o.max_lanes)));
  g.lanes.assign(static_cast<size_t>(o.max_lanes) * lf, 0.f);
  g.lane_mask.assign(static_cast<size_t>(o.max_lanes), 0);
  g.lane_on_route.assign(static_cast<size_t>(o.max_lanes), 0);
  const std::unordered_set<std::string> route(s.route.begin(), s.route.end());
  const int first_lane = 1 + static_cast<int>(o.max_agents);
  for (size_t i = 0; i < out.lanes.size(); ++i) {
    const scene::Lane& l = *out.lanes[i].second;
    float* row = &g.lanes[i * lf];
    scene::Polyline local;
    for (const auto& p : resample(l.centerline, static_cast<int>(o.lane_points))) local.push_back(f.point(p.x, p.y));
    for (int k = 0; k < o.lane_points; ++k) row[2 * k] = float(local[k].x), row[2 * k + 1] = float(local[k].y);
    const int base = static_cast<int>(2 * o.lane_points);
    row[base] = l.connector ? 1.f : 0.f;
    row[base + 1] = std::isfinite(l.speed_limit) ? float(l.speed_limit) : 0.f;
    row[base + 2] = std::isfinite(l.speed_limit) ? 1.f : 0.f;
    for (const auto& light : s.traffic_lights) {
      if (light.lane == l.id && light.state == scene::LightState::kRed) row[base + 3] = 1.f;
    }
    g.lane_mask[i] = 1;
    g.lane_on_route[i] = route.count(l.roadblock) ? 1 : 0;
    out.node[l.id] = first_lane + static_cast<int>(i);
    out.local.push_back(std::move(local));
  }
  return out;
}

// Typed edges: ego-agent, agent-agent (nearest within 30 m), actor-lane (nearest within 5 m) and
// lane-lane (successors and neighbours; predecessors appear as the other lane's successors).
void add_edges(SceneGraph& g, const std::vector<Vec2>& agent_pos, const LaneNodes& lanes, const GraphOptions& o) {
  for (size_t i = 0; i < agent_pos.size(); ++i) add_edge(g, 0, 1 + static_cast<int>(i), EdgeType::kEgoAgent);
  for (size_t i = 0; i < agent_pos.size(); ++i) {
    std::vector<std::pair<double, size_t>> others;
    for (size_t j = 0; j < agent_pos.size(); ++j) {
      const double d = std::hypot(agent_pos[i].x - agent_pos[j].x, agent_pos[i].y - agent_pos[j].y);
      if (j != i && d <= kAgentAgentRadius) others.push_back({d, j});
    }
    std::sort(others.begin(), others.end());
    for (size_t k = 0; k < others.size() && k < static_cast<size_t>(o.agent_neighbours); ++k) {
      if (others[k].second > i) add_edge(g, 1 + int(i), 1 + int(others[k].second), EdgeType::kAgentAgent);
    }
  }
  const int first_lane = 1 + static_cast<int>(o.max_agents);
  std::vector<Vec2> actors{{0.0, 0.0}};
  actors.insert(actors.end(), agent_pos.begin(), agent_pos.end());
  for (size_t a = 0; a < actors.size(); ++a) {
    std::vector<std::pair<double, size_t>> cand;
    for (size_t i = 0; i < lanes.local.size(); ++i) {
      const double d = polyline_distance(lanes.local[i], actors[a]);
      if (d <= kActorLaneRadius) cand.push_back({d, i});
    }
    std::sort(cand.begin(), cand.end());
    for (size_t k = 0; k < cand.size() && k < static_cast<size_t>(o.lanes_per_actor); ++k) {
      add_edge(g, static_cast<int>(a), first_lane + static_cast<int>(cand[k].second), EdgeType::kActorLane);
    }
  }
  for (const auto& [id, node] : lanes.node) {
    const scene::Lane* l = nullptr;
    for (const auto& [d, lane] : lanes.lanes) l = lane->id == id ? lane : l;
    std::vector<std::string> related = l->successors;
    if (!l->left.empty()) related.push_back(l->left);
    if (!l->right.empty()) related.push_back(l->right);
    for (const auto& other : related) {
      const auto it = lanes.node.find(other);
      if (it != lanes.node.end() && it->second != node) add_edge(g, node, it->second, EdgeType::kLaneLane);
    }
  }
}

// Non-finite inputs would poison every embedding of a batch: name the first one.
void check_finite(const SceneGraph& g, const std::string& token) {
  for (const auto* part : {&g.ego, &g.agents, &g.lanes}) {
    for (size_t i = 0; i < part->size(); ++i) {
      AUTOSCALE_CHECK(std::isfinite((*part)[i]), "scene {}: graph {} feature {} is {}", token,
                      part == &g.ego ? "ego" : (part == &g.agents ? "agent" : "lane"), i, (*part)[i]);
    }
  }
}

}  // namespace

SceneGraph build_graph(const scene::Scene& s, const scene::Map& map, const GraphOptions& o) {
  AUTOSCALE_CHECK(!s.ego.empty(), "scene {}: empty scene", s.token);
  AUTOSCALE_CHECK(s.num_future() >= 5 * kFuturePoses, "scene {}: the graph needs 4 s of ego future, the scene has {:.1f} s",
                  s.token, s.num_future() * scene::kStepSeconds);
  const scene::EgoState& e = s.current_ego();
  const Frame f{e.x, e.y, std::cos(e.heading), std::sin(e.heading), e.heading};
  SceneGraph g;
  add_ego(g, s, f, o);
  const std::vector<Vec2> agent_pos = add_agents(g, s, f, o);
  const LaneNodes lanes = add_lanes(g, s, map, f, o);
  add_edges(g, agent_pos, lanes, o);
  check_finite(g, s.token);
  return g;
}

SceneGraph augment(const SceneGraph& graph, const GraphOptions& o, std::mt19937_64& rng) {
  SceneGraph g = graph;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> jitter(0.0, 0.3);
  const double angle = (unit(rng) * 2 - 1) * 5.0 * M_PI / 180.0;
  const double speed = 1.0 + (unit(rng) * 2 - 1) * 0.05;
  const double c = std::cos(angle), s = std::sin(angle);
  auto rotate = [&](float* x, float* y) {
    const double nx = c * *x - s * *y, ny = s * *x + c * *y;
    *x = float(nx), *y = float(ny);
  };
  g.ego[0] = float(g.ego[0] * speed);  // the speed; the future (ego[7..]) stays as recorded
  for (int i = 0; i < o.max_agents; ++i) {
    float* row = &g.agents[static_cast<size_t>(i) * kAgentFeatures];
    if (!g.agent_mask[i]) continue;
    if (unit(rng) < 0.15) {  // dropped: the node disappears, its edges stay harmlessly masked
      g.agent_mask[i] = 0;
      std::fill(row, row + kAgentFeatures, 0.f);
      continue;
    }
    row[4] = float(row[4] + jitter(rng));
    row[5] = float(row[5] + jitter(rng));
    rotate(&row[4], &row[5]);
    rotate(&row[6], &row[7]);  // heading (cos, sin)
    row[10] = float(row[10] * speed), row[11] = float(row[11] * speed);
    rotate(&row[10], &row[11]);
    for (int k = 0; k < 3; ++k) rotate(&row[12 + 3 * k], &row[13 + 3 * k]);
  }
  const int lf = lane_features(o);
  for (int i = 0; i < o.max_lanes; ++i) {
    float* row = &g.lanes[static_cast<size_t>(i) * lf];
    if (!g.lane_mask[i]) continue;
    if (unit(rng) < 0.10) {
      g.lane_mask[i] = 0;
      g.lane_on_route[i] = 0;
      std::fill(row, row + lf, 0.f);
      continue;
    }
    for (int k = 0; k < o.lane_points; ++k) rotate(&row[2 * k], &row[2 * k + 1]);
  }
  return g;
}

}  // namespace autoscale::encode
