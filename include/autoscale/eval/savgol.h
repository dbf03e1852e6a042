// Savitzky-Golay filtering exactly as scipy.signal.savgol_filter(mode="interp") computes it,
// which NAVSIM's comfort metrics depend on (navsim-pdms.md section 4.6, including even windows).
#pragma once

#include <vector>

namespace autoscale::eval {

// window is clipped to x.size() by the caller as NAVSIM does (window = min(w, n)); polyorder <
// window. deriv-th derivative, scaled by 1 / delta^deriv.
std::vector<double> savgol_filter(const std::vector<double>& x, int window, int polyorder, int deriv = 0,
                                  double delta = 1.0);

}  // namespace autoscale::eval
