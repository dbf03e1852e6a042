#include "autoscale/core/threads.h"

#include <gtest/gtest.h>
#include <omp.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <sstream>
#include <string>

#include "autoscale/core/error.h"

namespace autoscale {
namespace {

TEST(Threads, ConfigureSetsEveryPoolAndCallsHooks) {
  int hooked = -1;
  add_thread_hook([&](int n) { hooked = n; });
  EXPECT_EQ(configure_threads(2), 2);
  EXPECT_EQ(num_threads(), 2);
  EXPECT_EQ(hooked, 2);
  EXPECT_EQ(omp_get_max_threads(), 2);
  EXPECT_STREQ(std::getenv("OMP_NUM_THREADS"), "2");
  EXPECT_STREQ(std::getenv("OPENBLAS_NUM_THREADS"), "1");
  EXPECT_GE(configure_threads(0), 1);  // 0 = all cores
}

// --threads 20000 made a 1 s command take 18.5 s: the count is capped at 4 per core, and the
// cap is reported once, not on every call with the same request.
TEST(Threads, AnAbsurdCountIsCappedWithOneWarning) {
  std::ostringstream log;
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  const int cap = max_threads();
  EXPECT_GE(cap, 4);
  EXPECT_EQ(configure_threads(20000), cap);
  EXPECT_EQ(num_threads(), cap);
  EXPECT_EQ(omp_get_max_threads(), cap);
  EXPECT_EQ(configure_threads(20000), cap);
  EXPECT_EQ(configure_threads(cap), cap) << "the cap itself is allowed";
  spdlog::set_default_logger(previous);
  const std::string text = log.str();
  EXPECT_NE(text.find("threads: 20000 requested; using " + std::to_string(cap)), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  configure_threads(2);
}

TEST(Threads, ParallelForVisitsEveryIndexOnce) {
  configure_threads(2);
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(hits.size(), [&](size_t i) { hits[i]++; });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(Threads, ParallelForRethrowsOnTheCaller) {
  configure_threads(2);
  EXPECT_THROW(parallel_for(100, [](size_t i) {
                 if (i == 37) AUTOSCALE_THROW("bad item {}", i);
               }),
               Error);
}

}  // namespace
}  // namespace autoscale
