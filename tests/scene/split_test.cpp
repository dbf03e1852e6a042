#include "autoscale/scene/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "autoscale/core/error.h"

namespace autoscale::scene {
namespace {

std::vector<std::string> logs(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back("log-" + std::to_string(i));
  return out;
}

TEST(SplitLogs, EveryLogInExactlyOneSplitWithTheRequestedShares) {
  const auto s = split_logs(logs(100), {0.1, 0.2, {}, {}}, 0);
  ASSERT_EQ(s.size(), 100u);
  int counts[3] = {0, 0, 0};
  for (const auto& [log, split] : s) counts[static_cast<int>(split)]++;
  EXPECT_EQ(counts[1], 10);
  EXPECT_EQ(counts[2], 20);
  EXPECT_EQ(counts[0], 70);
}

TEST(SplitLogs, DependsOnTheSetAndSeedNotTheOrder) {
  auto l = logs(20);
  const auto a = split_logs(l, {}, 3);
  std::reverse(l.begin(), l.end());
  l.push_back("log-3");  // duplicates (many scenes per log) do not matter
  EXPECT_EQ(split_logs(l, {}, 3), a);
  EXPECT_NE(split_logs(l, {}, 4), a);
}

TEST(SplitLogs, SmallSetsKeepOneLogPerSplit) {
  const auto s = split_logs(logs(3), {}, 0);
  std::set<Split> seen;
  for (const auto& [log, split] : s) seen.insert(split);
  EXPECT_EQ(seen.size(), 3u);
  const auto two = split_logs(logs(2), {}, 0);  // too few to hold out both: train keeps one
  int train = 0;
  for (const auto& [log, split] : two) train += split == Split::kTrain;
  EXPECT_GE(train, 1);
}

TEST(SplitLogs, ExplicitListsWinAndMustNotOverlap) {
  SplitOptions o;
  o.val_logs = {"log-1"};
  o.test_logs = {"log-2", "not-in-data"};
  const auto s = split_logs(logs(5), o, 0);
  EXPECT_EQ(s.at("log-1"), Split::kVal);
  EXPECT_EQ(s.at("log-2"), Split::kTest);
  EXPECT_EQ(s.at("log-0"), Split::kTrain);
  EXPECT_EQ(s.count("not-in-data"), 0u);
  o.test_logs.push_back("log-1");
  EXPECT_THROW(split_logs(logs(5), o, 0), Error);
  EXPECT_THROW(split_logs(logs(5), {0.6, 0.5, {}, {}}, 0), Error);
  EXPECT_THROW(parse_split("holdout"), Error);
}

}  // namespace
}  // namespace autoscale::scene
