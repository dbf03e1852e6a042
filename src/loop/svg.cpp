#include "svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace autoscale::loop::svg {

namespace {

constexpr double kW = 560, kH = 300;                       // chart size [px]
constexpr double kLeft = 56, kRight = 150, kTop = 34, kBottom = 46;  // plot margins (legend on the right)

struct Frame {
  double x0 = kLeft, x1 = kW - kRight, y0 = kH - kBottom, y1 = kTop;  // pixel box (y0 bottom)
  double lo = 0, hi = 1;                                              // y data range
  double y(double v) const { return y0 - (v - lo) / (hi - lo) * (y0 - y1); }
};

std::string num(double v) { return fmt::format("{:.1f}", v); }

std::string open(const std::string& title, double h = kH) {
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img">)"
                     R"(<title>{}</title><text x="{}" y="18" class="t">{}</text>)",
                     kW, h, kW, h, escape(title), num(kW / 2), escape(title));
}

// "Nice" tick step for a range: 1, 2 or 5 × 10^k giving about 5 ticks.
double tick_step(double range) {
  const double raw = range / 5, p = std::pow(10, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= raw) return m * p;
  }
  return 10 * p;
}

std::string axes(const Frame& f, const std::string& x_label, const std::string& y_label, const std::vector<std::string>& x,
                 const std::vector<double>& x_pos) {
  std::string s;
  const double step = tick_step(f.hi - f.lo);
  for (double v = std::ceil(f.lo / step - 1e-9) * step; v <= f.hi + 1e-9; v += step) {
    s += fmt::format(R"(<line x1="{}" x2="{}" y1="{}" y2="{}" class="g"/><text x="{}" y="{}" class="yt">{}</text>)",
                     num(f.x0), num(f.x1), num(f.y(v)), num(f.y(v)), num(f.x0 - 4), num(f.y(v) + 4),
                     fmt::format("{:.{}f}", std::abs(v) < step * 1e-6 ? 0.0 : v,  // no "-0.0"
                                 step < 0.01 ? 3 : step < 0.1 ? 2 : step < 1 ? 1 : 0));
  }
  for (size_t i = 0; i < x.size(); ++i) {
    s += fmt::format(R"(<text x="{}" y="{}" class="xt">{}</text>)", num(x_pos[i]), num(f.y0 + 15), escape(x[i]));
  }
  s += fmt::format(R"(<line x1="{0}" x2="{1}" y1="{2}" y2="{2}" class="a"/><line x1="{0}" x2="{0}" y1="{2}" y2="{3}" class="a"/>)",
                   num(f.x0), num(f.x1), num(f.y0), num(f.y1));
  s += fmt::format(R"(<text x="{}" y="{}" class="xl">{}</text>)", num((f.x0 + f.x1) / 2), num(kH - 8), escape(x_label));
  s += fmt::format(R"x(<text transform="translate(14 {}) rotate(-90)" class="xl">{}</text>)x", num((f.y0 + f.y1) / 2),
                   escape(y_label));
  return s;
}

std::string legend(const std::vector<std::string>& names, const std::vector<std::string>& colours) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    const double y = kTop + 6 + 16 * static_cast<double>(i);
    s += fmt::format(R"(<rect x="{}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{}" class="lg">{}</text>)",
                     num(kW - kRight + 14), num(y - 9), colours[i], num(kW - kRight + 28), num(y), escape(names[i]));
  }
  return s;
}

std::vector<double> positions(const Frame& f, size_t n) {
  std::vector<double> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = n == 1 ? (f.x0 + f.x1) / 2 : f.x0 + 20 + (f.x1 - f.x0 - 40) * i / (n - 1);
  return p;
}

void fit(Frame& f, const std::vector<double>& values, bool from_zero) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (from_zero) lo = std::min(lo, 0.0);
  const double pad = std::max((hi - lo) * 0.1, 1e-3);
  f.lo = from_zero ? lo : lo - pad;
  f.hi = hi + pad;
}

}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

const std::string& colour(size_t i) {
  static const std::vector<std::string> palette = {"#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377",
                                                   "#bbbbbb", "#332288", "#117733", "#882255", "#ddcc77", "#88ccee",
                                                   "#cc6677", "#44aa99", "#999933", "#661100"};
  return palette[i % palette.size()];
}

std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<std::string>& x, const std::vector<Series>& series) {
  Frame f;
  std::vector<double> all;
  for (const auto& s : series) {
    for (size_t i = 0; i < s.y.size(); ++i) {
      const double e = i < s.err.size() && std::isfinite(s.err[i]) ? s.err[i] : 0;
      all.push_back(s.y[i] - e), all.push_back(s.y[i] + e);
    }
  }
  fit(f, all, false);
  const auto px = positions(f, x.size());
  std::string out = open(title) + axes(f, x_label, y_label, x, px);
  std::vector<std::string> names, colours;
  for (size_t k = 0; k < series.size(); ++k) {
    const auto& s = series[k];
    std::string path;
    for (size_t i = 0; i < s.y.size() && i < px.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      path += fmt::format("{}{} {} ", path.empty() ? "M" : "L", num(px[i]), num(f.y(s.y[i])));
      out += fmt::format(R"(<circle cx="{}" cy="{}" r="3" fill="{}"/>)", num(px[i]), num(f.y(s.y[i])), colour(k));
      if (i < s.err.size() && std::isfinite(s.err[i]) && s.err[i] > 0) {
        out += fmt::format(R"(<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="{3}"/>)", num(px[i]),
                           num(f.y(s.y[i] - s.err[i])), num(f.y(s.y[i] + s.err[i])), colour(k));
      }
    }
    if (!path.empty()) out += fmt::format(R"(<path d="{}" fill="none" stroke="{}" stroke-width="2"/>)", path, colour(k));
    names.push_back(s.name), colours.push_back(colour(k));
  }
  return out + legend(names, colours) + "</svg>";
}

std::string stacked_bars(const std::string& title, const std::string& x_label, const std::string& y_label,
                         const std::vector<std::string>& x, const std::vector<Series>& stacks) {
  Frame f;
  std::vector<double> totals(x.size(), 0.0);
  for (const auto& s : stacks) {
    for (size_t i = 0; i < x.size() && i < s.y.size(); ++i) totals[i] += std::isfinite(s.y[i]) ? s.y[i] : 0;
  }
  fit(f, totals, true);
  f.hi = std::max(f.hi, 1e-9);
  const auto px = positions(f, x.size());
  const double width = std::min(40.0, (f.x1 - f.x0) / std::max<size_t>(1, x.size()) * 0.6);
  std::string out = open(title) + axes(f, x_label, y_label, x, px);
  std::vector<double> base(x.size(), 0.0);
  std::vector<std::string> names, colours;
  for (size_t k = 0; k < stacks.size(); ++k) {
    for (size_t i = 0; i < x.size() && i < stacks[k].y.size(); ++i) {
      const double v = std::isfinite(stacks[k].y[i]) ? stacks[k].y[i] : 0;
      out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {:.3f}</title></rect>)",
                         num(px[i] - width / 2), num(f.y(base[i] + v)), num(width), num(f.y(base[i]) - f.y(base[i] + v)),
                         colour(k), escape(stacks[k].name), v);
      base[i] += v;
    }
    names.push_back(stacks[k].name), colours.push_back(colour(k));
  }
  // A long legend is cut: the segments keep their tooltips.
  if (names.size() > 16) names.resize(16), colours.resize(16);
  return out + legend(names, colours) + "</svg>";
}

std::string heatmap(const std::string& title, const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                    const std::vector<std::vector<double>>& values) {
  const double cell_h = 18, cell_w = std::min(80.0, (kW - 120) / std::max<size_t>(1, cols.size()));
  const double h = kTop + 20 + cell_h * static_cast<double>(rows.size()) + 16;
  std::string out = open(title, h);
  const double x0 = 100, y0 = kTop + 20;
  for (size_t j = 0; j < cols.size(); ++j) {
    out += fmt::format(R"(<text x="{}" y="{}" class="xt">{}</text>)", num(x0 + cell_w * (j + 0.5)), num(y0 - 6),
                       escape(cols[j]));
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const double y = y0 + cell_h * static_cast<double>(i);
    out += fmt::format(R"(<text x="{}" y="{}" class="yt">{}</text>)", num(x0 - 6), num(y + 13), escape(rows[i]));
    for (size_t j = 0; j < cols.size(); ++j) {
      const double v = j < values[i].size() ? values[i][j] : std::nan("");
      std::string fill = "#eeeeee", text = "–";
      if (std::isfinite(v)) {
        const double t = std::clamp(v, 0.0, 1.0);  // red (0) → yellow → green (1)
        const int r = static_cast<int>(t < 0.5 ? 230 : 230 - (t - 0.5) * 2 * 150);
        const int g = static_cast<int>(t < 0.5 ? 90 + t * 2 * 130 : 220);
        fill = fmt::format("rgb({},{},90)", r, g);
        text = fmt::format("{:.2f}", v);
      }
      out += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff"/>)"
                         R"(<text x="{}" y="{}" class="c">{}</text>)",
                         num(x0 + cell_w * j), num(y), num(cell_w), num(cell_h), fill, num(x0 + cell_w * (j + 0.5)),
                         num(y + 13), text);
    }
  }
  return out + "</svg>";
}

std::string scatter(const std::string& title, const std::string& x_label, const std::string& y_label,
                    const std::vector<Point>& points, const std::vector<std::string>& groups,
                    const std::vector<std::string>& group_colours) {
  Frame f;
  std::vector<double> xs, ys;
  for (const auto& p : points) xs.push_back(p.x), ys.push_back(p.y);
  fit(f, ys, false);
  Frame fx;
  fit(fx, xs, false);
  auto x_px = [&](double v) { return f.x0 + (v - fx.lo) / (fx.hi - fx.lo) * (f.x1 - f.x0); };
  std::string out = open(title) + axes(f, x_label, y_label, {}, {});
  for (const auto& p : points) {
    const auto& c = group_colours[p.group % group_colours.size()];
    out += p.hollow ? fmt::format(R"(<circle cx="{}" cy="{}" r="2.5" fill="none" stroke="{}"/>)", num(x_px(p.x)), num(f.y(p.y)), c)
                    : fmt::format(R"(<circle cx="{}" cy="{}" r="2" fill="{}" fill-opacity="0.7"/>)", num(x_px(p.x)), num(f.y(p.y)), c);
  }
  return out + legend(groups, group_colours) + "</svg>";
}

}  // namespace autoscale::loop::svg
