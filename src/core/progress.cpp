#include "autoscale/core/progress.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "autoscale/core/log.h"

namespace autoscale {
namespace {
// A terminal bar redraws at most 10 times a second; a plain log gets a line every 10 s.
constexpr double kTtyInterval = 0.1;
constexpr double kLogInterval = 10.0;
}  // namespace

Progress::Progress(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && spdlog::default_logger()->should_log(spdlog::level::info)),
      tty_(stderr_is_tty()),
      start_(std::chrono::steady_clock::now()),
      last_report_(start_) {}

Progress::~Progress() {
  if (!finished_) finish();
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(uint64_t n) {
  done_.fetch_add(n);
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_report_).count();
  if (since < (tty_ ? kTtyInterval : kLogInterval)) return;
  std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;  // another worker is reporting right now
  last_report_ = now;
  report(false);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  report(true);
}

void Progress::report(bool final) {
  const uint64_t done = done_.load();
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? done / elapsed : 0.0;
  std::string counts = total_ ? fmt::format("{}/{}", done, total_) : fmt::format("{}", done);
  std::string eta;
  if (!final && total_ && rate > 0 && done < total_) eta = fmt::format(", eta {:.0f}s", (total_ - done) / rate);
  const std::string stats = fmt::format("{} ({:.1f}/s, {:.1f}s{})", counts, rate, elapsed, eta);
  if (tty_) {
    constexpr int kWidth = 30;
    std::string bar;
    if (total_) {
      const int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(done) / total_));
      bar = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
    std::fprintf(stderr, "\r\033[K%s %s%s%s", label_.c_str(), bar.c_str(), stats.c_str(), final ? "\n" : "");
    std::fflush(stderr);
  } else {
    spdlog::info("{}: {}{}", label_, stats, final ? " done" : "");
  }
}

}  // namespace autoscale
