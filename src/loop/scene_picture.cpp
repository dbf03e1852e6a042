#include "scene_picture.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "autoscale/core/atomic_file.h"

#include "svg.h"

namespace autoscale::loop {

namespace {

constexpr double kScale = 8;                            // px per metre
constexpr double kBehind = 20, kAhead = 50, kSide = 25;  // the view in the ego frame [m]
constexpr double kW = (kBehind + kAhead) * kScale, kH = 2 * kSide * kScale, kCaption = 44;

// Global coordinates into the picture: the ego frame, x right, y up (SVG's y points down).
struct View {
  double x0, y0, c, s;
  explicit View(const scene::EgoState& e) : x0(e.x), y0(e.y), c(std::cos(e.heading)), s(std::sin(e.heading)) {}
  scene::Vec2 ego_frame(double x, double y) const {
    const double dx = x - x0, dy = y - y0;
    return {c * dx + s * dy, -s * dx + c * dy};
  }
  static std::string px(const scene::Vec2& p) {
    return fmt::format("{:.1f},{:.1f}", (p.x + kBehind) * kScale, (kSide - p.y) * kScale);
  }
  std::string global(double x, double y) const { return px(ego_frame(x, y)); }
  bool near(const scene::Polyline& line) const {
    for (const auto& p : line) {
      const auto q = ego_frame(p.x, p.y);
      if (q.x > -kBehind - 30 && q.x < kAhead + 30 && std::abs(q.y) < kSide + 30) return true;
    }
    return false;
  }
  std::string points(const scene::Polyline& line) const {
    std::string out;
    for (const auto& p : line) out += global(p.x, p.y) + " ";
    return out;
  }
};

// A box of length x width centred at (x, y) with heading h, in the picture's frame.
std::string box(const scene::Vec2& centre, double heading, double length, double width, const std::string& style) {
  const double c = std::cos(heading), s = std::sin(heading);
  std::string pts;
  for (const auto& [u, v] : {std::pair{0.5, 0.5}, {-0.5, 0.5}, {-0.5, -0.5}, {0.5, -0.5}}) {
    pts += View::px({centre.x + c * u * length - s * v * width, centre.y + s * u * length + c * v * width}) + " ";
  }
  return fmt::format("<polygon points=\"{}\" {}/>", pts, style);
}

const char* agent_colour(scene::AgentType t) {
  switch (t) {
    case scene::AgentType::kPedestrian: return "#e8710a";
    case scene::AgentType::kBicycle: return "#9334e6";
    case scene::AgentType::kStatic: return "#80868b";
    default: return "#1a73e8";
  }
}

// Up to `count` of `rows` nearest their centroid (highest similarity), one per log first so the
// pictures show different places, then the nearest of the rest.
std::vector<int64_t> nearest_of_logs(const ExperimentData& d, std::vector<int64_t> rows, size_t count) {
  const auto similarity = [&](int64_t r) {
    return d.embeddings.similarity[static_cast<size_t>(d.embedding_row[static_cast<size_t>(r)])];
  };
  std::stable_sort(rows.begin(), rows.end(), [&](int64_t a, int64_t b) { return similarity(a) > similarity(b); });
  std::vector<int64_t> picked;
  std::set<std::string> logs;
  for (int64_t r : rows) {
    if (picked.size() < count && logs.insert(d.data.info(static_cast<size_t>(r)).log).second) picked.push_back(r);
  }
  for (int64_t r : rows) {
    if (picked.size() < count && std::find(picked.begin(), picked.end(), r) == picked.end()) picked.push_back(r);
  }
  return picked;
}

// Draws the sample at `row` without a plan into `file`.
void draw_row(const ExperimentData& d, int64_t row, const std::string& title, const std::filesystem::path& file) {
  const auto r = static_cast<size_t>(row);
  const auto& store = d.stores[d.store_of[r]];
  const scene::Scene sc = store.read(d.store_row[r]);
  const auto& info = d.data.info(r);
  const std::string caption =
      fmt::format("{} scene {} of log {}{}", info.domain == scene::Domain::kReal ? "real" : "synthetic", sc.token,
                  info.log, info.generator.empty() ? "" : " (" + info.generator + ")");
  write_file_atomic(file.string(), scene_picture(sc, *store.map(sc.map_id), title, caption));
}

std::string score_text(const char* name, double v) {
  if (std::isnan(v)) return "";
  const bool failing = v < 0.999;
  return fmt::format("<tspan{}>{} {:.2f}</tspan>  ", failing ? " fill=\"#c5221f\" font-weight=\"600\"" : "", name, v);
}

// The picture with an optional plan (red) and a caption of two lines.
std::string draw(const scene::Scene& sc, const scene::Map& map, const eval::Plan* plan, const std::string& title,
                 const std::string& line2) {
  const auto& now = sc.current_ego();
  const View view(now);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\">"
      "<rect width=\"{0:.0f}\" height=\"{2:.0f}\" fill=\"#fafafa\"/>",
      kW, kH + kCaption, kH);
  s += "<g>";
  for (const auto& rb : map.roadblocks) {
    if (view.near(rb.polygon.exterior)) s += fmt::format("<polygon points=\"{}\" fill=\"#e6e6e6\"/>", view.points(rb.polygon.exterior));
  }
  for (const auto& a : map.areas) {
    if (view.near(a.polygon.exterior)) s += fmt::format("<polygon points=\"{}\" fill=\"#ececec\"/>", view.points(a.polygon.exterior));
  }
  for (const auto& lane : map.lanes) {
    if (!lane.polygon.empty() && view.near(lane.polygon)) {
      s += fmt::format("<polygon points=\"{}\" fill=\"none\" stroke=\"#c8c8c8\" stroke-width=\"1\"/>", view.points(lane.polygon));
    }
    if (view.near(lane.centerline)) {
      s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#b0b0b0\" stroke-dasharray=\"4 4\"/>",
                       view.points(lane.centerline));
    }
  }
  s += "</g>";
  const size_t t = static_cast<size_t>(sc.num_history);
  for (const auto& a : sc.agents) {
    if (t >= a.states.size() || !a.states[t].valid) continue;
    const auto& st = a.states[t];
    s += box(view.ego_frame(st.x, st.y), st.heading - now.heading, std::max(a.length, 0.5), std::max(a.width, 0.5),
             fmt::format("fill=\"{}\" fill-opacity=\"0.75\"", agent_colour(a.type)));
  }
  // The ego: its rear axle at the origin, the box centred half a wheelbase ahead of it.
  const double length = sc.ego_length > 0 ? sc.ego_length : 5.176, width = sc.ego_width > 0 ? sc.ego_width : 2.297;
  s += box({length / 2 - 1.0, 0}, 0, length, width, "fill=\"#188038\" fill-opacity=\"0.85\"");
  std::string expert = View::px({0, 0}) + " ";
  for (size_t k = t + 1; k < sc.ego.size(); ++k) expert += view.global(sc.ego[k].x, sc.ego[k].y) + " ";
  s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#202124\" stroke-width=\"2\" stroke-dasharray=\"6 4\"/>",
                   expert);
  if (plan) {
    std::string planned = View::px({0, 0}) + " ";
    for (const auto& p : plan->poses) planned += View::px({p.x, p.y}) + " ";
    s += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"#d93025\" stroke-width=\"2.5\"/>", planned);
    for (const auto& p : plan->poses) {
      const auto xy = View::px({p.x, p.y});
      s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"2.5\" fill=\"#d93025\"/>", xy.substr(0, xy.find(',')),
                       xy.substr(xy.find(',') + 1));
    }
  }
  // The caption's band covers map geometry that runs past the view (SVG clips only at its edge).
  s += fmt::format("<rect y=\"{:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#fff\"/>", kH, kW, kCaption);
  s += fmt::format(
      "<text x=\"8\" y=\"{:.0f}\" font-size=\"12\" font-family=\"sans-serif\">{}  "
      "<tspan fill=\"#202124\">({})</tspan></text>",
      kH + 16, svg::escape(title), plan ? "dashed: expert, red: plan" : "dashed: its label");
  s += fmt::format("<text x=\"8\" y=\"{:.0f}\" font-size=\"12\" font-family=\"sans-serif\">{}</text>", kH + 34,
                   line2);
  return s + "</svg>";
}

}  // namespace

std::string scene_picture(const scene::Scene& sc, const scene::Map& map, const eval::Plan& plan,
                          const eval::SubScores& scores, bool v2, const std::string& title) {
  const std::string line = fmt::format(
      "PDMS {:.3f}  {}{}{}{}{}{}{}{}{}", scores.score, score_text("NC", scores.nc), score_text("DAC", scores.dac),
      score_text("DDC", scores.ddc), score_text("TTC", scores.ttc), score_text("EP", scores.ep),
      score_text("C", scores.c), v2 ? score_text("TLC", scores.tlc) : "", v2 ? score_text("LK", scores.lk) : "",
      v2 ? score_text("EC", scores.ec) : "");
  return draw(sc, map, &plan, title, line);
}

std::string scene_picture(const scene::Scene& sc, const scene::Map& map, const std::string& title,
                          const std::string& caption) {
  return draw(sc, map, nullptr, title, svg::escape(caption));
}

void write_cluster_pictures(const ExperimentData& d, const std::filesystem::path& dir, size_t per_cluster) {
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(std::max(0, d.clusters())));
  for (size_t r = 0; r < d.data.size(); ++r) members[static_cast<size_t>(d.cluster[r])].push_back(static_cast<int64_t>(r));
  std::filesystem::create_directories(dir);
  for (size_t k = 0; k < members.size(); ++k) {
    const auto rows = nearest_of_logs(d, members[k], per_cluster);
    for (size_t j = 0; j < rows.size(); ++j) {
      draw_row(d, rows[j], fmt::format("cluster {} ({} scenes): exemplar {}", k, members[k].size(), j + 1),
               dir / fmt::format("cluster-{}-{}.svg", k, j + 1));
    }
  }
}

void write_selection_pictures(const ExperimentData& d, const std::vector<int64_t>& rows,
                              const std::filesystem::path& dir, size_t clusters, size_t per_cluster) {
  std::map<int64_t, std::vector<int64_t>> by_cluster;
  for (int64_t r : rows) by_cluster[d.cluster[static_cast<size_t>(r)]].push_back(r);
  std::vector<std::pair<int64_t, std::vector<int64_t>>> order(by_cluster.begin(), by_cluster.end());
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  order.resize(std::min(order.size(), clusters));
  std::filesystem::create_directories(dir);
  for (size_t i = 0; i < order.size(); ++i) {
    const auto picked = nearest_of_logs(d, order[i].second, per_cluster);
    for (size_t j = 0; j < picked.size(); ++j) {
      draw_row(d, picked[j],
               fmt::format("selected from cluster {} ({} of {} selected scenes)", order[i].first,
                           order[i].second.size(), rows.size()),
               dir / fmt::format("selected-{}-{}.svg", i + 1, j + 1));
    }
  }
}

void write_worst_pictures(const JobContext& ctx, const eval::EvalReport& report, const std::vector<int64_t>& rows,
                          const PlansOf& plans_of, const std::filesystem::path& dir, size_t count) {
  std::vector<size_t> order;
  for (size_t i = 0; i < report.scenes.size(); ++i) {
    if (report.scenes[i].valid) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return report.scenes[a].scores.score < report.scenes[b].scores.score; });
  order.resize(std::min(order.size(), count));
  std::vector<int64_t> worst;
  for (size_t i : order) worst.push_back(rows[i]);
  const auto plans = plans_of(worst);
  std::filesystem::create_directories(dir);
  const auto& d = ctx.data;
  for (size_t k = 0; k < order.size(); ++k) {
    const size_t row = static_cast<size_t>(worst[k]);
    const auto& store = d.stores[d.store_of[row]];
    const scene::Scene sc = store.read(d.store_row[row]);
    const auto plan = plans.find(sc.token);
    if (plan == plans.end()) continue;
    const auto map = store.map(sc.map_id);
    const std::string title = fmt::format("#{} worst: {} ({})", k + 1, sc.token, sc.log);
    write_file_atomic((dir / fmt::format("worst-{}.svg", k + 1)).string(),
                      scene_picture(sc, *map, plan->second, report.scenes[order[k]].scores,
                                    report.version == eval::PdmsVersion::kV2, title));
  }
}

}  // namespace autoscale::loop
