#include "autoscale/eval/geometry.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace autoscale::eval {

Box make_box(double cx, double cy, double heading, double length, double width) {
  const double c = std::cos(heading), s = std::sin(heading);
  const double hl = 0.5 * length, hw = 0.5 * width;
  auto at = [&](double lon, double lat) { return Vec2{cx + lon * c - lat * s, cy + lon * s + lat * c}; };
  Box b;
  b.corners = {at(hl, hw), at(-hl, hw), at(-hl, -hw), at(hl, -hw)};  // FL, RL, RR, FR
  b.center = {cx, cy};
  b.min_x = b.max_x = b.corners[0].x;
  b.min_y = b.max_y = b.corners[0].y;
  for (const auto& p : b.corners) {
    b.min_x = std::min(b.min_x, p.x), b.max_x = std::max(b.max_x, p.x);
    b.min_y = std::min(b.min_y, p.y), b.max_y = std::max(b.max_y, p.y);
  }
  return b;
}

Box ego_box(const sim::Pose& p, const sim::VehicleParams& v) {
  const double d = v.rear_axle_to_center();
  return make_box(p.x + d * std::cos(p.heading), p.y + d * std::sin(p.heading), p.heading, v.length, v.width);
}

Box translate(const Box& box, double dx, double dy) {
  Box b = box;
  for (auto& p : b.corners) p.x += dx, p.y += dy;
  b.center.x += dx, b.center.y += dy;
  b.min_x += dx, b.max_x += dx, b.min_y += dy, b.max_y += dy;
  return b;
}

namespace {
// Projects both boxes on the normal of edge (i, i+1) of `box`; separated if the intervals do
// not even touch.
bool separated_on_axes(const Box& box, const Box& a, const Box& b) {
  for (int i = 0; i < 2; ++i) {
    const Vec2 e{box.corners[i + 1].x - box.corners[i].x, box.corners[i + 1].y - box.corners[i].y};
    const double ax = -e.y, ay = e.x;
    double amin = INFINITY, amax = -INFINITY, bmin = INFINITY, bmax = -INFINITY;
    for (const auto& p : a.corners) {
      const double d = p.x * ax + p.y * ay;
      amin = std::min(amin, d), amax = std::max(amax, d);
    }
    for (const auto& p : b.corners) {
      const double d = p.x * ax + p.y * ay;
      bmin = std::min(bmin, d), bmax = std::max(bmax, d);
    }
    if (amax < bmin || bmax < amin) return true;
  }
  return false;
}

double cross(Vec2 o, Vec2 a, Vec2 b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

bool on_segment(Vec2 p, Vec2 q, Vec2 r) {
  return std::min(p.x, q.x) <= r.x && r.x <= std::max(p.x, q.x) && std::min(p.y, q.y) <= r.y &&
         r.y <= std::max(p.y, q.y);
}

bool segments_intersect(Vec2 p1, Vec2 p2, Vec2 q1, Vec2 q2) {
  const double d1 = cross(q1, q2, p1), d2 = cross(q1, q2, p2), d3 = cross(p1, p2, q1), d4 = cross(p1, p2, q2);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return true;
  if (d1 == 0 && on_segment(q1, q2, p1)) return true;
  if (d2 == 0 && on_segment(q1, q2, p2)) return true;
  if (d3 == 0 && on_segment(p1, p2, q1)) return true;
  if (d4 == 0 && on_segment(p1, p2, q2)) return true;
  return false;
}

// Closed convex quad containment (corners are in a consistent orientation).
bool inside_closed_box(const Box& b, Vec2 p) {
  bool pos = false, neg = false;
  for (int i = 0; i < 4; ++i) {
    const double c = cross(b.corners[i], b.corners[(i + 1) % 4], p);
    pos = pos || c > 0;
    neg = neg || c < 0;
  }
  return !(pos && neg);
}

// Point exactly on segment a-b.
bool on_edge(Vec2 a, Vec2 b, Vec2 p) { return cross(a, b, p) == 0.0 && on_segment(a, b, p); }
}  // namespace

bool intersects(const Box& a, const Box& b) {
  if (a.max_x < b.min_x || b.max_x < a.min_x || a.max_y < b.min_y || b.max_y < a.min_y) return false;
  return !separated_on_axes(a, a, b) && !separated_on_axes(b, a, b);
}

bool segment_intersects(Vec2 p, Vec2 q, const Box& box) {
  if (std::max(p.x, q.x) < box.min_x || std::min(p.x, q.x) > box.max_x || std::max(p.y, q.y) < box.min_y ||
      std::min(p.y, q.y) > box.max_y) {
    return false;
  }
  if (inside_closed_box(box, p) || inside_closed_box(box, q)) return true;
  for (int i = 0; i < 4; ++i) {
    if (segments_intersect(p, q, box.corners[i], box.corners[(i + 1) % 4])) return true;
  }
  return false;
}

bool strictly_inside_ring(const scene::Polyline& ring, Vec2 p) {
  // Crossing-number test that also notices a point on the boundary (outside, as Shapely's
  // contains), at no extra cost for the points that are not.
  bool inside = false;
  const size_t n = ring.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Vec2& a = ring[i];
    const Vec2& b = ring[j];
    if (a.y == p.y) {
      if (a.x == p.x) return false;  // on a vertex
      if (b.y == p.y && (a.x < p.x) != (b.x < p.x)) return false;  // on a horizontal edge
    }
    if ((a.y > p.y) != (b.y > p.y)) {
      const double x = (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x;
      if (p.x == x) return false;  // on the edge
      if (p.x < x) inside = !inside;
    }
  }
  return inside;
}

bool strictly_inside(const scene::Polygon& polygon, Vec2 p) {
  if (!strictly_inside_ring(polygon.exterior, p)) return false;
  for (const auto& h : polygon.holes) {
    // Inside a hole, or on its boundary, is outside the polygon.
    if (strictly_inside_ring(h, p)) return false;
    for (size_t i = 0, j = h.size() - 1; i < h.size(); j = i++) {
      if (on_edge(h[i], h[j], p)) return false;
    }
  }
  return true;
}

scene::Polyline ring_of(const Box& box) { return {box.corners.begin(), box.corners.end()}; }

namespace {
double point_segment_distance(Vec2 p, Vec2 a, Vec2 b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  const double u = len2 > 0 ? std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;
  return std::hypot(a.x + u * dx - p.x, a.y + u * dy - p.y);
}

// Smallest distance between the segments of `line` (open unless `closed`) and the edges of
// `ring`, 0 when any pair touches; the caller handles containment.
double boundary_distance(const scene::Polyline& line, bool closed, const scene::Polyline& ring) {
  const size_t n = line.size(), m = ring.size();
  const size_t segments = closed ? n : n - 1;
  double best = INFINITY;
  for (size_t i = 0; i < segments; ++i) {
    const Vec2 a = line[i], b = line[(i + 1) % n];
    for (size_t j = 0; j < m; ++j) {
      const Vec2 c = ring[j], d = ring[(j + 1) % m];
      if (segments_intersect(a, b, c, d)) return 0.0;
      best = std::min({best, point_segment_distance(a, c, d), point_segment_distance(b, c, d),
                       point_segment_distance(c, a, b), point_segment_distance(d, a, b)});
    }
  }
  return best;
}

// Area of the intersection of two counter-clockwise triangles (Sutherland-Hodgman clipping).
double triangle_intersection_area(const std::array<Vec2, 3>& t, const std::array<Vec2, 3>& u) {
  std::vector<Vec2> poly(t.begin(), t.end()), next;
  for (int e = 0; e < 3 && !poly.empty(); ++e) {
    const Vec2 a = u[e], b = u[(e + 1) % 3];
    next.clear();
    for (size_t i = 0; i < poly.size(); ++i) {
      const Vec2 p = poly[i], q = poly[(i + 1) % poly.size()];
      const double cp = cross(a, b, p), cq = cross(a, b, q);
      if (cp >= 0) next.push_back(p);
      if ((cp >= 0) != (cq >= 0)) {
        const double w = cp / (cp - cq);
        next.push_back({p.x + w * (q.x - p.x), p.y + w * (q.y - p.y)});
      }
    }
    poly.swap(next);
  }
  double area = 0;
  for (size_t i = 0; i < poly.size(); ++i) {
    const Vec2 p = poly[i], q = poly[(i + 1) % poly.size()];
    area += p.x * q.y - q.x * p.y;
  }
  return 0.5 * std::abs(area);
}
}  // namespace

double ring_distance(const scene::Polyline& a, const scene::Polyline& b) {
  if (a.empty() || b.empty()) return INFINITY;
  const double d = boundary_distance(a, true, b);
  if (d == 0.0) return 0.0;
  if (strictly_inside_ring(b, a[0]) || strictly_inside_ring(a, b[0])) return 0.0;  // containment
  return d;
}

double polyline_ring_distance(const scene::Polyline& line, const scene::Polyline& ring) {
  if (line.empty() || ring.empty()) return INFINITY;
  if (strictly_inside_ring(ring, line[0])) return 0.0;
  if (line.size() == 1) {
    double best = INFINITY;
    for (size_t j = 0; j < ring.size(); ++j) {
      best = std::min(best, point_segment_distance(line[0], ring[j], ring[(j + 1) % ring.size()]));
    }
    return best;
  }
  return boundary_distance(line, false, ring);
}

Vec2 ring_centroid(const scene::Polyline& ring) {
  double area = 0, cx = 0, cy = 0;
  const size_t n = ring.size();
  const Vec2 o = n ? ring[0] : Vec2{};  // relative coordinates keep the sums well conditioned
  for (size_t i = 0; i < n; ++i) {
    const Vec2 p{ring[i].x - o.x, ring[i].y - o.y};
    const Vec2 q{ring[(i + 1) % n].x - o.x, ring[(i + 1) % n].y - o.y};
    const double c = p.x * q.y - q.x * p.y;
    area += c;
    cx += (p.x + q.x) * c;
    cy += (p.y + q.y) * c;
  }
  if (std::abs(area) < 1e-12) {
    Vec2 mean{};
    for (const auto& p : ring) mean.x += p.x / n, mean.y += p.y / n;
    return mean;
  }
  return {o.x + cx / (3 * area), o.y + cy / (3 * area)};
}

double ring_intersection_area(const scene::Polyline& a, const scene::Polyline& b) {
  // Each ring is the signed sum of the fan triangles (o, p_i, p_i+1) (winding numbers), so the
  // intersection area is the signed sum of the pairwise triangle intersections.
  if (a.size() < 3 || b.size() < 3) return 0.0;
  const Vec2 o = a[0];
  auto triangle = [&](const scene::Polyline& r, size_t i, double* sign) {
    std::array<Vec2, 3> t{o, r[i], r[(i + 1) % r.size()]};
    const double c = cross(t[0], t[1], t[2]);
    *sign = c > 0 ? 1.0 : (c < 0 ? -1.0 : 0.0);
    if (c < 0) std::swap(t[1], t[2]);
    return t;
  };
  double total = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double sa;
    const auto ta = triangle(a, i, &sa);
    if (sa == 0) continue;
    for (size_t j = 0; j < b.size(); ++j) {
      double sb;
      const auto tb = triangle(b, j, &sb);
      if (sb != 0) total += sa * sb * triangle_intersection_area(ta, tb);
    }
  }
  return std::abs(total);
}

namespace {
double relative_angle_deg(const sim::Pose& ego, Vec2 object) {
  const double dx = object.x - ego.x, dy = object.y - ego.y;
  const double norm = std::hypot(dx, dy);
  if (norm == 0.0) return 0.0;  // nuPlan divides by zero here; a coincident point is "ahead"
  const double dot = (std::cos(ego.heading) * dx + std::sin(ego.heading) * dy) / norm;
  return std::acos(std::clamp(dot, -1.0, 1.0)) * 180.0 / M_PI;
}
}  // namespace

bool is_agent_ahead(const sim::Pose& ego, Vec2 object, double max_angle_deg) {
  return relative_angle_deg(ego, object) < max_angle_deg;
}

bool is_agent_behind(const sim::Pose& ego, Vec2 object, double min_angle_deg) {
  return relative_angle_deg(ego, object) > min_angle_deg;
}

}  // namespace autoscale::eval
