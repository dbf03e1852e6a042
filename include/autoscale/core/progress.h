// Progress reporting for long work: a redrawn bar on a terminal, periodic log lines otherwise
// (CI logs, Slurm output files). Thread-safe: workers call advance() concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace autoscale {

class Progress {
 public:
  // total = 0 means unknown (a counter instead of a bar). Silent when `enabled` is false.
  Progress(std::string label, uint64_t total, bool enabled = true);
  ~Progress();  // finishes the line if finish() was not called
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(uint64_t n = 1);
  void finish();  // prints the final count, rate and elapsed time once

  uint64_t done() const { return done_.load(); }
  double elapsed_seconds() const;

 private:
  void report(bool final);

  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::atomic<uint64_t> done_{0};
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_report_;
  std::mutex mutex_;
};

}  // namespace autoscale
