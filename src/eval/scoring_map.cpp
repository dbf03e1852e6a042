#include "autoscale/eval/scoring_map.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace autoscale::eval {
namespace {

void bounds(const scene::Polyline& ring, double& min_x, double& min_y, double& max_x, double& max_y) {
  min_x = min_y = INFINITY;
  max_x = max_y = -INFINITY;
  for (const auto& p : ring) {
    min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
  }
}

double cross(Vec2 o, Vec2 a, Vec2 b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

bool segments_touch(Vec2 p1, Vec2 p2, Vec2 q1, Vec2 q2) {
  const double d1 = cross(q1, q2, p1), d2 = cross(q1, q2, p2), d3 = cross(p1, p2, q1), d4 = cross(p1, p2, q2);
  if (((d1 > 0) != (d2 > 0) || d1 == 0 || d2 == 0) && ((d3 > 0) != (d4 > 0) || d3 == 0 || d4 == 0)) {
    // Collinear-but-disjoint segments pass the sign test; reject them by their extents.
    if (d1 == 0 && d2 == 0) {
      return std::max(std::min(p1.x, p2.x), std::min(q1.x, q2.x)) <= std::min(std::max(p1.x, p2.x), std::max(q1.x, q2.x)) &&
             std::max(std::min(p1.y, p2.y), std::min(q1.y, q2.y)) <= std::min(std::max(p1.y, p2.y), std::max(q1.y, q2.y));
    }
    return true;
  }
  return false;
}

bool inside_closed_ring(const scene::Polyline& ring, Vec2 p) {
  // Non-strict: on the boundary counts (used for intersects, where touching counts).
  bool inside = false;
  const size_t n = ring.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Vec2 &a = ring[i], &b = ring[j];
    if (cross(a, b, p) == 0 && std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
        p.y <= std::max(a.y, b.y)) {
      return true;
    }
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

bool ring_intersects_quad(const scene::Polyline& ring, const std::array<Vec2, 4>& quad) {
  for (const auto& c : quad) {
    if (inside_closed_ring(ring, c)) return true;
  }
  const scene::Polyline q(quad.begin(), quad.end());
  for (const auto& p : ring) {
    if (inside_closed_ring(q, p)) return true;
  }
  for (size_t i = 0, j = ring.size() - 1; i < ring.size(); j = i++) {
    for (int k = 0; k < 4; ++k) {
      if (segments_touch(ring[j], ring[i], quad[k], quad[(k + 1) % 4])) return true;
    }
  }
  return false;
}

}  // namespace

bool polygon_intersects_rect(const scene::Polygon& polygon, double min_x, double min_y, double max_x, double max_y) {
  if (polygon.exterior.size() < 3) return false;
  double a, b, c, d;
  bounds(polygon.exterior, a, b, c, d);
  if (c < min_x || a > max_x || d < min_y || b > max_y) return false;
  return ring_intersects_quad(polygon.exterior, {Vec2{min_x, min_y}, {max_x, min_y}, {max_x, max_y}, {min_x, max_y}});
}

bool polygon_intersects_box(const scene::Polygon& polygon, const Box& box) {
  if (polygon.exterior.size() < 3) return false;
  double a, b, c, d;
  bounds(polygon.exterior, a, b, c, d);
  if (c < box.min_x || a > box.max_x || d < box.min_y || b > box.max_y) return false;
  return ring_intersects_quad(polygon.exterior, box.corners);
}

ScoringMap::ScoringMap(const scene::Map& map, Vec2 c, const std::unordered_set<std::string>& route_lanes,
                       double radius) {
  const double x0 = c.x - radius, y0 = c.y - radius, x1 = c.x + radius, y1 = c.y + radius;
  auto add = [&](Layer layer, const std::string& id, const scene::Polygon& poly, bool on_route) {
    if (!polygon_intersects_rect(poly, x0, y0, x1, y1)) return;
    MapPolygon mp{layer, id, on_route, poly, 0, 0, 0, 0};
    bounds(poly.exterior, mp.min_x, mp.min_y, mp.max_x, mp.max_y);
    polygons_.push_back(std::move(mp));
  };
  // Same order as PDMDrivableMap: roadblocks, their lanes / connector lanes, intersections and carparks.
  std::unordered_map<std::string, const scene::Roadblock*> roadblocks;
  for (const auto& rb : map.roadblocks) {
    roadblocks[rb.id] = &rb;
    if (!rb.connector) add(Layer::kRoadblock, rb.id, rb.polygon, false);
  }
  for (const auto& lane : map.lanes) {
    if (lane.polygon.size() < 3) continue;
    const auto rb = roadblocks.find(lane.roadblock);
    // Lanes are included when their roadblock is in range (a lane of an out-of-range roadblock
    // cannot contain a point the scorer asks about anyway).
    if (rb != roadblocks.end() && !polygon_intersects_rect(rb->second->polygon, x0, y0, x1, y1)) continue;
    add(lane.connector ? Layer::kLaneConnector : Layer::kLane, lane.id, {lane.polygon, {}},
        route_lanes.count(lane.id) > 0);
  }
  for (const auto& area : map.areas) {
    switch (area.kind) {
      case scene::AreaKind::kIntersection: add(Layer::kIntersection, area.id, area.polygon, false); break;
      case scene::AreaKind::kCarpark: add(Layer::kCarpark, area.id, area.polygon, false); break;
      case scene::AreaKind::kRoadblock: add(Layer::kRoadblock, area.id, area.polygon, false); break;
      case scene::AreaKind::kGeneric: add(Layer::kDrivableArea, area.id, area.polygon, false); break;
    }
  }
  build_grid();
}

void ScoringMap::build_grid() {
  if (polygons_.empty()) return;
  double min_x = INFINITY, min_y = INFINITY, max_x = -INFINITY, max_y = -INFINITY;
  for (const auto& p : polygons_) {
    min_x = std::min(min_x, p.min_x), min_y = std::min(min_y, p.min_y);
    max_x = std::max(max_x, p.max_x), max_y = std::max(max_y, p.max_y);
  }
  origin_x_ = min_x;
  origin_y_ = min_y;
  // About 4 m cells, at most 256 x 256 of them.
  cell_ = std::max({4.0, (max_x - min_x) / 256.0, (max_y - min_y) / 256.0});
  nx_ = static_cast<int>((max_x - min_x) / cell_) + 1;
  ny_ = static_cast<int>((max_y - min_y) / cell_) + 1;
  auto cell_x = [&](double x) { return std::clamp(static_cast<int>(std::floor((x - origin_x_) / cell_)), 0, nx_ - 1); };
  auto cell_y = [&](double y) { return std::clamp(static_cast<int>(std::floor((y - origin_y_) / cell_)), 0, ny_ - 1); };

  struct Item {
    uint32_t polygon;
    uint8_t inside;
  };
  std::vector<std::vector<Item>> cells(static_cast<size_t>(nx_) * ny_);
  std::vector<uint8_t> boundary;
  for (uint32_t i = 0; i < polygons_.size(); ++i) {
    const auto& p = polygons_[i];
    const int cx0 = cell_x(p.min_x), cx1 = cell_x(p.max_x), cy0 = cell_y(p.min_y), cy1 = cell_y(p.max_y);
    const int w = cx1 - cx0 + 1, h = cy1 - cy0 + 1;
    // Small polygons: every cell of the bounding box tests exactly. Large ones (the drivable
    // union of a whole map): mark the cells their edges pass through; every other cell is
    // either wholly inside (no test at query time) or wholly outside (not listed).
    size_t vertices = p.polygon.exterior.size();
    for (const auto& hole : p.polygon.holes) vertices += hole.size();
    if (vertices <= 16 || w * h <= 4) {
      for (int y = cy0; y <= cy1; ++y) {
        for (int x = cx0; x <= cx1; ++x) cells[static_cast<size_t>(y) * nx_ + x].push_back({i, 0});
      }
      continue;
    }
    boundary.assign(static_cast<size_t>(w) * h, 0);
    auto mark_ring = [&](const scene::Polyline& ring) {
      for (size_t a = 0, b = ring.size() - 1; a < ring.size(); b = a++) {
        constexpr double kPad = 1e-9;  // an edge on a cell border marks both neighbours
        // (clamped to the polygon's own cell range: the padding may step past its bounding box)
        const int ex0 = std::max(cx0, cell_x(std::min(ring[a].x, ring[b].x) - kPad));
        const int ex1 = std::min(cx1, cell_x(std::max(ring[a].x, ring[b].x) + kPad));
        const int ey0 = std::max(cy0, cell_y(std::min(ring[a].y, ring[b].y) - kPad));
        const int ey1 = std::min(cy1, cell_y(std::max(ring[a].y, ring[b].y) + kPad));
        for (int y = ey0; y <= ey1; ++y) {
          for (int x = ex0; x <= ex1; ++x) boundary[static_cast<size_t>(y - cy0) * w + (x - cx0)] = 1;
        }
      }
    };
    mark_ring(p.polygon.exterior);
    for (const auto& hole : p.polygon.holes) mark_ring(hole);
    for (int y = cy0; y <= cy1; ++y) {
      for (int x = cx0; x <= cx1; ++x) {
        const size_t c = static_cast<size_t>(y) * nx_ + x;
        if (boundary[static_cast<size_t>(y - cy0) * w + (x - cx0)]) {
          cells[c].push_back({i, 0});
        } else if (strictly_inside(p.polygon, {origin_x_ + (x + 0.5) * cell_, origin_y_ + (y + 0.5) * cell_})) {
          cells[c].push_back({i, 1});
        }
      }
    }
  }
  cell_start_.assign(cells.size() + 1, 0);
  for (size_t c = 0; c < cells.size(); ++c) cell_start_[c + 1] = cell_start_[c] + static_cast<uint32_t>(cells[c].size());
  cell_items_.reserve(cell_start_.back());
  cell_inside_.reserve(cell_start_.back());
  for (const auto& cell : cells) {
    for (const auto& item : cell) {
      cell_items_.push_back(item.polygon);
      cell_inside_.push_back(item.inside);
    }
  }
}

void ScoringMap::query(Vec2 p, PointInfo& out) const {
  out = PointInfo{};
  if (nx_ == 0) return;
  const int cx = static_cast<int>(std::floor((p.x - origin_x_) / cell_));
  const int cy = static_cast<int>(std::floor((p.y - origin_y_) / cell_));
  if (cx < 0 || cy < 0 || cx >= nx_ || cy >= ny_) return;
  const size_t c = static_cast<size_t>(cy) * nx_ + cx;
  for (uint32_t k = cell_start_[c]; k < cell_start_[c + 1]; ++k) {
    const uint32_t i = cell_items_[k];
    const MapPolygon& mp = polygons_[i];
    if (p.x < mp.min_x || p.x > mp.max_x || p.y < mp.min_y || p.y > mp.max_y) continue;
    const bool lane = mp.layer == Layer::kLane || mp.layer == Layer::kLaneConnector;
    // Skip the exact test when it cannot change the answer.
    if (!lane && out.drivable && (mp.layer != Layer::kIntersection || out.intersection)) continue;
    if (!cell_inside_[k] && !strictly_inside(mp.polygon, p)) continue;
    switch (mp.layer) {
      case Layer::kIntersection:
        out.intersection = true;
        out.drivable = true;
        break;
      case Layer::kRoadblock:
      case Layer::kCarpark:
      case Layer::kDrivableArea:
        out.drivable = true;
        break;
      case Layer::kLane:
      case Layer::kLaneConnector:
        if (out.num_lanes < 8) out.lanes[out.num_lanes++] = static_cast<int>(i);
        out.on_route_lane = out.on_route_lane || mp.on_route;
        break;
    }
  }
}

bool ScoringMap::in_layer(Vec2 p, Layer layer) const {
  for (const auto& mp : polygons_) {
    if (mp.layer == layer && p.x >= mp.min_x && p.x <= mp.max_x && p.y >= mp.min_y && p.y <= mp.max_y &&
        strictly_inside(mp.polygon, p)) {
      return true;
    }
  }
  return false;
}

const scene::Polygon* ScoringMap::lane_polygon(const std::string& lane_id) const {
  for (const auto& mp : polygons_) {
    if ((mp.layer == Layer::kLaneConnector || mp.layer == Layer::kLane) && mp.id == lane_id) return &mp.polygon;
  }
  return nullptr;
}

}  // namespace autoscale::eval
