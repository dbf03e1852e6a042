#include "batch_loader.h"

#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"

namespace autoscale::train {

BatchLoader::BatchLoader(const PlannerDataset& data, MixtureSampler& sampler, int64_t batches, int64_t depth, bool pin,
                         int rank, int world, double mirror, uint64_t seed)
    : data_(data), sampler_(sampler), remaining_(batches), depth_(static_cast<size_t>(std::max<int64_t>(1, depth))),
      pin_(pin), rank_(rank), world_(world), mirror_(mirror), seed_(seed), thread_([this] { work(); }) {}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void BatchLoader::work() {
  try {
    for (; remaining_ > 0; --remaining_) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stop_ || ready_.size() < depth_; });
        if (stop_) return;
      }
      Item item;
      auto rows = sampler_.next();
      item.sampler_state = sampler_.state();
      std::vector<uint8_t> mirror;
      if (mirror_ > 0) {
        const uint64_t step = static_cast<uint64_t>(sampler_.step());
        for (size_t j = 0; j < rows.size(); ++j) {
          const double u = unit_interval(splitmix64(splitmix64(seed_ ^ 0x6d6972726f72ULL) ^ splitmix64(step) ^ j));
          mirror.push_back(u < mirror_ ? 1 : 0);
        }
      }
      if (world_ > 1) {
        const size_t share = rows.size() / static_cast<size_t>(world_), begin = share * static_cast<size_t>(rank_);
        rows = std::vector<int64_t>(rows.begin() + static_cast<std::ptrdiff_t>(begin),
                                    rows.begin() + static_cast<std::ptrdiff_t>(begin + share));
        if (!mirror.empty()) {
          mirror = std::vector<uint8_t>(mirror.begin() + static_cast<std::ptrdiff_t>(begin),
                                        mirror.begin() + static_cast<std::ptrdiff_t>(begin + share));
        }
      }
      item.batch = pack(data_, rows, pin_, mirror);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.push_back(std::move(item));
      }
      changed_.notify_all();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    failure_ = std::current_exception();
    changed_.notify_all();
  }
}

BatchLoader::Item BatchLoader::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return !ready_.empty() || failure_; });
  if (ready_.empty()) std::rethrow_exception(failure_);
  Item item = std::move(ready_.front());
  ready_.pop_front();
  changed_.notify_all();
  return item;
}

}  // namespace autoscale::train
