#include "autoscale/eval/observation.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace autoscale::eval {
namespace {

// np.unwrap over a sequence of headings.
std::vector<double> unwrap(const std::vector<double>& a) {
  std::vector<double> out(a.size());
  double offset = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0) {
      const double d = a[i] - a[i - 1];
      double dd = std::fmod(d + M_PI, 2 * M_PI);
      if (dd < 0) dd += 2 * M_PI;
      dd -= M_PI;
      if (dd == -M_PI && d > 0) dd = M_PI;
      offset += dd - d;
    }
    out[i] = a[i] + offset;
  }
  return out;
}

constexpr double kEps = 1e-9;

}  // namespace

Observation Observation::from_tracks(const std::vector<AgentTrack>& tracks, int num_steps, int hold) {
  hold = std::max(hold, 1);
  Observation obs;
  obs.step_start_.assign(1, 0);
  std::vector<std::vector<ObjectBox>> per_step(num_steps);
  for (const auto& track : tracks) {
    if (track.samples.empty()) continue;
    const auto& first = track.samples.front();
    const uint32_t index = static_cast<uint32_t>(obs.objects_.size());
    obs.objects_.push_back({track.id, track.type, std::hypot(first.vx, first.vy)});
    std::vector<double> headings;
    for (const auto& s : track.samples) headings.push_back(s.heading);
    const auto unwrapped = unwrap(headings);
    const double t0 = first.t, t1 = track.samples.back().t;
    size_t seg = 0;
    for (int k = 0; k < num_steps; ++k) {
      const double t = (k / hold) * hold * 0.1;
      TrackSample s = first;
      if (track.samples.size() == 1) {
        s = first;  // single frame: present, unchanged, at every step
      } else {
        if (t < t0 - kEps || t > t1 + kEps) continue;
        while (seg + 2 < track.samples.size() && track.samples[seg + 1].t < t - kEps) ++seg;
        const auto& a = track.samples[seg];
        const auto& b = track.samples[seg + 1];
        const double w = b.t > a.t ? std::clamp((t - a.t) / (b.t - a.t), 0.0, 1.0) : 0.0;
        s.x = a.x + w * (b.x - a.x);
        s.y = a.y + w * (b.y - a.y);
        s.heading = unwrapped[seg] + w * (unwrapped[seg + 1] - unwrapped[seg]);
        s.vx = a.vx + w * (b.vx - a.vx);
        s.vy = a.vy + w * (b.vy - a.vy);
      }
      per_step[k].push_back({index, make_box(s.x, s.y, s.heading, track.length, track.width)});
    }
  }
  for (auto& step : per_step) {
    obs.boxes_.insert(obs.boxes_.end(), step.begin(), step.end());
    obs.step_start_.push_back(static_cast<uint32_t>(obs.boxes_.size()));
  }
  return obs;
}

Observation Observation::without_objects_touching(const Box& ego) const {
  std::set<uint32_t> removed;
  for (const ObjectBox* b = begin(0); b != end(0); ++b) {
    if (intersects(b->box, ego)) removed.insert(b->object);
  }
  Observation out;
  out.objects_ = objects_;
  for (int k = 0; k < num_steps(); ++k) {
    for (const ObjectBox* b = begin(k); b != end(k); ++b) {
      if (!removed.count(b->object)) out.boxes_.push_back(*b);
    }
    out.step_start_.push_back(static_cast<uint32_t>(out.boxes_.size()));
  }
  return out;
}

std::vector<AgentTrack> tracks_from_scene(const scene::Scene& scene, double horizon_s) {
  // Every valid 10 Hz state from the current frame on. For data annotated at 2 Hz (NAVSIM,
  // nuScenes) the store already holds NAVSIM's linear interpolation between the frames, so
  // this reproduces the devkit exactly; for natively 10 Hz recordings (NGSIM, SUMO) it avoids
  // manufacturing "single-frame" tracks out of cars that enter the window late.
  std::vector<AgentTrack> out;
  const int c = scene.current_index();
  const int steps = static_cast<int>(std::lround(horizon_s / 0.1));
  for (const auto& a : scene.agents) {
    AgentTrack t;
    t.id = a.id;
    t.type = a.type;
    t.length = a.length;
    t.width = a.width;
    for (int k = 0; k <= steps && c + k < static_cast<int>(a.states.size()); ++k) {
      const auto& s = a.states[c + k];
      if (s.valid) t.samples.push_back({k * 0.1, s.x, s.y, s.heading, s.vx, s.vy});
    }
    if (!t.samples.empty()) out.push_back(std::move(t));
  }
  return out;
}

}  // namespace autoscale::eval
