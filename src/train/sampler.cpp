#include "autoscale/train/sampler.h"

#include <cmath>
#include <sstream>

#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"

namespace autoscale::train {

namespace {

// Portable draws: mt19937_64 is fully specified by the standard; the distributions are not, so
// they are written here (the stream must not change with the standard library).
double unit(std::mt19937_64& rng) { return unit_interval(rng()); }

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t h = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 29);
}

}  // namespace

MixtureSampler::MixtureSampler(std::vector<std::vector<int64_t>> groups, std::vector<double> weights, int64_t batch,
                               uint64_t seed)
    : groups_(std::move(groups)), batch_(batch), seed_(seed), rng_(mix(seed, 0x5A3B1E)) {
  AUTOSCALE_CHECK(weights.size() == groups_.size(), "sampler: {} weights for {} groups", weights.size(), groups_.size());
  AUTOSCALE_CHECK(batch_ > 0, "sampler: batch must be positive, got {}", batch_);
  double total = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    AUTOSCALE_CHECK(std::isfinite(weights[g]) && weights[g] >= 0, "sampler: weight of group {} is {}", g, weights[g]);
    if (groups_[g].empty()) weights[g] = 0;
    total += weights[g];
  }
  AUTOSCALE_CHECK(total > 0, "sampler: no group with samples has a positive weight ({} groups)", groups_.size());
  double acc = 0;
  for (double w : weights) {
    probabilities_.push_back(w / total);
    acc += w / total;
    cumulative_.push_back(acc);
  }
  cursor_.assign(groups_.size(), 0);
  epoch_.assign(groups_.size(), 0);
  drawn_.assign(groups_.size(), 0);
  order_.resize(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) shuffle(g);
}

void MixtureSampler::shuffle(size_t g) {
  order_[g] = groups_[g];
  std::mt19937_64 r(mix(mix(seed_, g + 1), static_cast<uint64_t>(epoch_[g])));
  for (size_t i = order_[g].size(); i > 1; --i) std::swap(order_[g][i - 1], order_[g][r() % i]);
}

int64_t MixtureSampler::draw_from(size_t g) {
  if (cursor_[g] == static_cast<int64_t>(order_[g].size())) {
    ++epoch_[g];
    cursor_[g] = 0;
    shuffle(g);
  }
  ++drawn_[g];
  return order_[g][cursor_[g]++];
}

std::vector<int64_t> MixtureSampler::next() {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(batch_));
  for (int64_t i = 0; i < batch_; ++i) {
    const double u = unit(rng_);
    size_t g = 0;
    while (g + 1 < cumulative_.size() && (u >= cumulative_[g] || probabilities_[g] == 0)) ++g;
    while (probabilities_[g] == 0) --g;  // u rounded past the last positive group
    out.push_back(draw_from(g));
  }
  ++step_;
  return out;
}

std::string MixtureSampler::state() const {
  std::ostringstream os;
  os << "mixture-sampler/1 " << groups_.size() << ' ' << step_;
  for (size_t g = 0; g < groups_.size(); ++g) os << ' ' << groups_[g].size() << ' ' << cursor_[g] << ' ' << epoch_[g] << ' ' << drawn_[g];
  os << ' ' << rng_;
  return os.str();
}

void MixtureSampler::restore(const std::string& state) {
  std::istringstream is(state);
  std::string magic;
  size_t n = 0;
  is >> magic >> n;
  AUTOSCALE_CHECK(is && magic == "mixture-sampler/1" && n == groups_.size(),
                  "sampler state: expected mixture-sampler/1 with {} groups, got {:.40}", groups_.size(), quote(state));
  int64_t step = 0;
  is >> step;
  std::vector<int64_t> cursor(n), epoch(n), drawn(n);
  for (size_t g = 0; g < n; ++g) {
    size_t size = 0;
    is >> size >> cursor[g] >> epoch[g] >> drawn[g];
    AUTOSCALE_CHECK(is && size == groups_[g].size() && cursor[g] >= 0 && cursor[g] <= static_cast<int64_t>(size),
                    "sampler state: group {} had {} samples, now {}", g, size, groups_[g].size());
  }
  std::mt19937_64 rng;
  is >> rng;
  AUTOSCALE_CHECK(!is.fail(), "sampler state: damaged random-generator state");
  step_ = step, cursor_ = cursor, epoch_ = epoch, drawn_ = drawn, rng_ = rng;
  for (size_t g = 0; g < n; ++g) shuffle(g);
}

}  // namespace autoscale::train
