// Solver for the small symmetric positive definite banded systems of the profile fits.
#pragma once

namespace autoscale::sim::detail {

// Solves A x = b in place for SPD A of size n with half-bandwidth p (p <= 2) by LDL^T without
// pivoting (stable for SPD). band[k * n + i] holds A(i, i - k) for k = 0..p (zero for i < k); it
// is overwritten by the factors. b is overwritten by x.
inline void solve_spd_banded(double* band, int n, int p, double* b) {
  double* d = band;  // the diagonal becomes D, the sub-diagonals become L
  for (int i = 0; i < n; ++i) {
    for (int k = p; k >= 1; --k) {  // L(i, j) for j = i - k, left to right
      const int j = i - k;
      if (j < 0) continue;
      double s = band[k * n + i];
      for (int m = k + 1; m <= p && i - m >= 0; ++m) {  // sum over columns c = i - m < j
        const int c = i - m;
        if (j - c <= p) s -= band[m * n + i] * d[c] * band[(j - c) * n + j];
      }
      band[k * n + i] = s / d[j];
    }
    for (int k = 1; k <= p && i - k >= 0; ++k) d[i] -= band[k * n + i] * band[k * n + i] * d[i - k];
  }
  for (int i = 0; i < n; ++i) {
    for (int k = 1; k <= p && i - k >= 0; ++k) b[i] -= band[k * n + i] * b[i - k];
  }
  for (int i = n - 1; i >= 0; --i) {
    b[i] /= d[i];
    for (int k = 1; k <= p && i + k < n; ++k) b[i] -= band[k * n + i + k] * b[i + k];
  }
}

}  // namespace autoscale::sim::detail
