// Internal to the loop module: small inline-SVG charts for the self-contained HTML report (no
// scripts, no external files). Every chart has a title, axis labels, ticks and a legend.
#pragma once

#include <string>
#include <vector>

namespace autoscale::loop::svg {

std::string escape(const std::string& text);  // HTML/XML text and attribute escaping
const std::string& colour(size_t i);          // a categorical palette, cycling

struct Series {
  std::string name;
  std::vector<double> y;    // NaN = no point
  std::vector<double> err;  // optional ± error bars (same size as y)
};

// Lines over shared x positions (labels), y axis fitted to the data with a margin.
std::string line_chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                       const std::vector<std::string>& x, const std::vector<Series>& series);

// One bar per x label, stacked from series (each series = one segment per bar, values ≥ 0).
std::string stacked_bars(const std::string& title, const std::string& x_label, const std::string& y_label,
                         const std::vector<std::string>& x, const std::vector<Series>& stacks);

// Rows × columns of values in [0, 1] coloured red → green, the value written in each cell.
std::string heatmap(const std::string& title, const std::vector<std::string>& rows, const std::vector<std::string>& cols,
                    const std::vector<std::vector<double>>& values);

struct Point {
  double x = 0, y = 0;
  size_t group = 0;     // legend entry
  bool hollow = false;  // drawn as a ring
};

std::string scatter(const std::string& title, const std::string& x_label, const std::string& y_label,
                    const std::vector<Point>& points, const std::vector<std::string>& groups,
                    const std::vector<std::string>& group_colours);

}  // namespace autoscale::loop::svg
