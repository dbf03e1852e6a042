#include "autoscale/core/threads.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <atomic>
#include <cstdlib>
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
