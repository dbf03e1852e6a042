// The map as the scorer sees it (NAVSIM's PDMDrivableMap): the polygons within a 100 m square
// around the ego centre at t = 0, tagged by layer, behind a uniform grid so that the 5 points
// per state (4 corners + centre) are classified in a few polygon tests.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "autoscale/eval/geometry.h"
#include "autoscale/scene/types.h"

namespace autoscale::eval {

enum class Layer : uint8_t { kRoadblock, kIntersection, kCarpark, kDrivableArea, kLane, kLaneConnector };

struct MapPolygon {
  Layer layer;
  std::string id;        // lane id for lanes, roadblock/area id otherwise
  bool on_route = false; // lanes only: interior edge of a route roadblock
  scene::Polygon polygon;
  double min_x, min_y, max_x, max_y;
};

// What one point hits. Lane hits are indices into polygons().
struct PointInfo {
  bool drivable = false;       // inside a roadblock, intersection, carpark or drivable-area polygon
  bool intersection = false;   // inside an intersection polygon
  bool on_route_lane = false;  // inside a lane / lane connector of the route
  int num_lanes = 0;
  int lanes[8];                // first lane polygons containing the point
};

class ScoringMap {
 public:
  ScoringMap() = default;
  // route_lanes: ids of the lanes that count as on-route (from the corrected route).
  ScoringMap(const scene::Map& map, Vec2 ego_center, const std::unordered_set<std::string>& route_lanes,
             double radius = 100.0);

  void query(Vec2 p, PointInfo& out) const;
  bool in_layer(Vec2 p, Layer layer) const;
  const std::vector<MapPolygon>& polygons() const { return polygons_; }
  // Lane-connector polygons by lane id (for red-light objects); nullptr when not in range.
  const scene::Polygon* lane_polygon(const std::string& lane_id) const;

 private:
  void build_grid();
  std::vector<MapPolygon> polygons_;
  double origin_x_ = 0, origin_y_ = 0, cell_ = 4.0;
  int nx_ = 0, ny_ = 0;
  std::vector<uint32_t> cell_start_;  // CSR: polygons of cell c are cell_items_[cell_start_[c] .. cell_start_[c+1])
  std::vector<uint32_t> cell_items_;
  std::vector<uint8_t> cell_inside_;  // per item: 1 = the whole cell is strictly inside, no test needed
};

// Closed polygon vs axis-aligned rectangle (NAVSIM's proximal-object square query).
bool polygon_intersects_rect(const scene::Polygon& polygon, double min_x, double min_y, double max_x, double max_y);
// Closed polygon (holes ignored: lane connectors have none) vs box.
bool polygon_intersects_box(const scene::Polygon& polygon, const Box& box);

}  // namespace autoscale::eval
