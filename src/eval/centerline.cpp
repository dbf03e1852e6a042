#include "autoscale/eval/centerline.h"

#include <algorithm>
#include <cmath>

namespace autoscale::eval {

Centerline::Centerline(const std::vector<scene::Vec2>& points) {
  for (const auto& p : points) {
    if (points_.empty() || std::hypot(p.x - points_.back().x, p.y - points_.back().y) > 1e-6) points_.push_back(p);
  }
  s_.assign(points_.size(), 0.0);
  heading_.assign(points_.size(), 0.0);
  for (size_t i = 1; i < points_.size(); ++i) {
    s_[i] = s_[i - 1] + std::hypot(points_[i].x - points_[i - 1].x, points_[i].y - points_[i - 1].y);
  }
  // Heading of a point = direction of the segment leaving it (the last point keeps the last
  // segment's), unwrapped so that interpolation never turns the long way round.
  for (size_t i = 0; i + 1 < points_.size(); ++i) {
    heading_[i] = std::atan2(points_[i + 1].y - points_[i].y, points_[i + 1].x - points_[i].x);
    if (i > 0) heading_[i] = heading_[i - 1] + std::remainder(heading_[i] - heading_[i - 1], 2 * M_PI);
  }
  if (points_.size() >= 2) heading_.back() = heading_[points_.size() - 2];
}

namespace {
// Parameter of the nearest point of segment a-b to p, in [0, 1].
double segment_param(scene::Vec2 a, scene::Vec2 b, scene::Vec2 p) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double len2 = dx * dx + dy * dy;
  if (len2 == 0) return 0.0;
  return std::clamp(((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0);
}
}  // namespace

double Centerline::project(scene::Vec2 p) const {
  if (points_.size() < 2) return 0.0;
  double best = INFINITY, best_s = 0.0;
  for (size_t i = 0; i + 1 < points_.size(); ++i) {
    const double u = segment_param(points_[i], points_[i + 1], p);
    const double x = points_[i].x + u * (points_[i + 1].x - points_[i].x);
    const double y = points_[i].y + u * (points_[i + 1].y - points_[i].y);
    const double d = (x - p.x) * (x - p.x) + (y - p.y) * (y - p.y);
    if (d < best) {  // strict: the first nearest segment wins, as GEOS does
      best = d;
      best_s = s_[i] + u * (s_[i + 1] - s_[i]);
    }
  }
  return best_s;
}

double Centerline::distance(scene::Vec2 p) const {
  if (points_.empty()) return INFINITY;
  if (points_.size() == 1) return std::hypot(p.x - points_[0].x, p.y - points_[0].y);
  double best = INFINITY;
  for (size_t i = 0; i + 1 < points_.size(); ++i) {
    const double u = segment_param(points_[i], points_[i + 1], p);
    const double x = points_[i].x + u * (points_[i + 1].x - points_[i].x);
    const double y = points_[i].y + u * (points_[i + 1].y - points_[i].y);
    best = std::min(best, (x - p.x) * (x - p.x) + (y - p.y) * (y - p.y));
  }
  return std::sqrt(best);
}

sim::Pose Centerline::interpolate(double s) const {
  if (points_.empty()) return {};
  if (points_.size() == 1) return {points_[0].x, points_[0].y, 0.0};
  s = std::clamp(s, 0.0, s_.back());
  size_t i = std::upper_bound(s_.begin(), s_.end(), s) - s_.begin();
  i = std::clamp<size_t>(i, 1, points_.size() - 1) - 1;
  const double w = s_[i + 1] > s_[i] ? (s - s_[i]) / (s_[i + 1] - s_[i]) : 0.0;
  const double h = heading_[i] + w * (heading_[i + 1] - heading_[i]);
  return {points_[i].x + w * (points_[i + 1].x - points_[i].x), points_[i].y + w * (points_[i + 1].y - points_[i].y),
          std::remainder(h, 2 * M_PI)};
}

Centerline Centerline::offset(double lateral) const {
  std::vector<scene::Vec2> shifted;
  shifted.reserve(points_.size());
  for (size_t i = 0; i < points_.size(); ++i) {
    shifted.push_back({points_[i].x - lateral * std::sin(heading_[i]), points_[i].y + lateral * std::cos(heading_[i])});
  }
  return Centerline(shifted);
}

}  // namespace autoscale::eval
