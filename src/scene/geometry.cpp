#include "autoscale/scene/geometry.h"

#include <geos_c.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "autoscale/core/error.h"

namespace autoscale::scene {

double signed_area(const Polyline& ring) {
  double a = 0.0;
  const size_t n = ring.size();
  for (size_t i = 0; i < n; ++i) {
    const Vec2& p = ring[i];
    const Vec2& q = ring[(i + 1) % n];
    a += p.x * q.y - q.x * p.y;
  }
  return 0.5 * a;
}

bool point_in_ring(const Polyline& ring, Vec2 p) {
  bool inside = false;
  const size_t n = ring.size();
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const Vec2& a = ring[i];
    const Vec2& b = ring[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

bool point_in_polygon(const Polygon& polygon, Vec2 p) {
  if (!point_in_ring(polygon.exterior, p)) return false;
  for (const auto& h : polygon.holes) {
    if (point_in_ring(h, p)) return false;
  }
  return true;
}

std::array<Vec2, 4> box_corners(double cx, double cy, double heading, double length, double width) {
  const double c = std::cos(heading), s = std::sin(heading);
  const double hl = 0.5 * length, hw = 0.5 * width;
  auto at = [&](double lon, double lat) { return Vec2{cx + lon * c - lat * s, cy + lon * s + lat * c}; };
  return {at(hl, hw), at(-hl, hw), at(-hl, -hw), at(hl, -hw)};
}

bool boxes_overlap(const std::array<Vec2, 4>& a, const std::array<Vec2, 4>& b) {
  for (const auto* box : {&a, &b}) {
    for (int i = 0; i < 2; ++i) {  // two edge normals per rectangle suffice
      const Vec2 e{(*box)[i + 1].x - (*box)[i].x, (*box)[i + 1].y - (*box)[i].y};
      const Vec2 axis{-e.y, e.x};
      double amin = INFINITY, amax = -INFINITY, bmin = INFINITY, bmax = -INFINITY;
      for (const auto& p : a) {
        const double d = p.x * axis.x + p.y * axis.y;
        amin = std::min(amin, d), amax = std::max(amax, d);
      }
      for (const auto& p : b) {
        const double d = p.x * axis.x + p.y * axis.y;
        bmin = std::min(bmin, d), bmax = std::max(bmax, d);
      }
      if (amax < bmin || bmax < amin) return false;
    }
  }
  return true;
}

double wrap_angle(double a) {
  a = std::fmod(a + M_PI, 2.0 * M_PI);
  if (a < 0) a += 2.0 * M_PI;
  return a - M_PI;
}

namespace {

// GEOS reentrant API with an owned context; its error handler turns into an Error.
class Geos {
 public:
  Geos() : ctx_(GEOS_init_r()) {
    GEOSContext_setErrorMessageHandler_r(ctx_, &Geos::on_error, &last_error_);
  }
  ~Geos() { GEOS_finish_r(ctx_); }
  GEOSContextHandle_t ctx() const { return ctx_; }

  GEOSGeometry* check(GEOSGeometry* g, const char* what) const {
    AUTOSCALE_CHECK(g != nullptr, "polygon union failed in {}: {}", what, last_error_);
    return g;
  }

  GEOSGeometry* ring_polygon(const Polyline& ring) const {
    GEOSCoordSequence* seq = GEOSCoordSeq_create_r(ctx_, static_cast<unsigned>(ring.size() + 1), 2);
    for (size_t i = 0; i <= ring.size(); ++i) {
      const Vec2& p = ring[i % ring.size()];
      GEOSCoordSeq_setXY_r(ctx_, seq, static_cast<unsigned>(i), p.x, p.y);
    }
    GEOSGeometry* shell = check(GEOSGeom_createLinearRing_r(ctx_, seq), "ring");
    return check(GEOSGeom_createPolygon_r(ctx_, shell, nullptr, 0), "polygon");
  }

  Polyline to_ring(const GEOSGeometry* ring, bool want_ccw) const {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx_, ring);
    unsigned n = 0;
    GEOSCoordSeq_getSize_r(ctx_, seq, &n);
    Polyline out;
    for (unsigned i = 0; i + 1 < n; ++i) {  // drop the closing point
      double x = 0, y = 0;
      GEOSCoordSeq_getXY_r(ctx_, seq, i, &x, &y);
      out.push_back({x, y});
    }
    if ((signed_area(out) > 0) != want_ccw) std::reverse(out.begin(), out.end());
    return out;
  }

 private:
  static void on_error(const char* message, void* user) { *static_cast<std::string*>(user) = message; }
  GEOSContextHandle_t ctx_;
  std::string last_error_;
};

struct GeomDeleter {
  GEOSContextHandle_t ctx;
  void operator()(GEOSGeometry* g) const { GEOSGeom_destroy_r(ctx, g); }
};
using GeomPtr = std::unique_ptr<GEOSGeometry, GeomDeleter>;

}  // namespace

std::vector<Polygon> union_rings(const std::vector<Polyline>& rings, double gap_tolerance, double min_hole_area) {
  Geos geos;
  auto* ctx = geos.ctx();
  std::vector<GEOSGeometry*> parts;
  for (const auto& ring : rings) {
    if (ring.size() < 3 || std::abs(signed_area(ring)) <= 0.0) continue;  // degenerate: adds no area
    GEOSGeometry* poly = geos.ring_polygon(ring);
    // Buffering by +tol repairs self-touching rings and closes joint gaps before the union.
    GEOSGeometry* grown = geos.check(GEOSBufferWithStyle_r(ctx, poly, gap_tolerance, 2, GEOSBUF_CAP_FLAT,
                                                           GEOSBUF_JOIN_MITRE, 5.0),
                                     "buffer");
    GEOSGeom_destroy_r(ctx, poly);
    parts.push_back(grown);
  }
  if (parts.empty()) return {};
  GeomPtr collection(geos.check(GEOSGeom_createCollection_r(ctx, GEOS_GEOMETRYCOLLECTION, parts.data(),
                                                            static_cast<unsigned>(parts.size())),
                                "collection"),
                     GeomDeleter{ctx});
  GeomPtr merged(geos.check(GEOSUnaryUnion_r(ctx, collection.get()), "union"), GeomDeleter{ctx});
  // Shrink back so that outer edges stay where the data put them.
  GeomPtr shrunk(geos.check(GEOSBufferWithStyle_r(ctx, merged.get(), -gap_tolerance, 2, GEOSBUF_CAP_FLAT,
                                                  GEOSBUF_JOIN_MITRE, 5.0),
                            "shrink"),
                 GeomDeleter{ctx});

  std::vector<Polygon> out;
  const int n = GEOSGetNumGeometries_r(ctx, shrunk.get());
  for (int i = 0; i < n; ++i) {
    const GEOSGeometry* g = GEOSGetGeometryN_r(ctx, shrunk.get(), i);
    if (GEOSGeomTypeId_r(ctx, g) != GEOS_POLYGON || GEOSisEmpty_r(ctx, g)) continue;
    Polygon poly;
    poly.exterior = geos.to_ring(GEOSGetExteriorRing_r(ctx, g), true);
    const int holes = GEOSGetNumInteriorRings_r(ctx, g);
    for (int h = 0; h < holes; ++h) {
      Polyline hole = geos.to_ring(GEOSGetInteriorRingN_r(ctx, g, h), false);
      if (std::abs(signed_area(hole)) >= min_hole_area) poly.holes.push_back(std::move(hole));
    }
    out.push_back(std::move(poly));
  }
  return out;
}

}  // namespace autoscale::scene
