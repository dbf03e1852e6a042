#include "autoscale/scene/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
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

// Cross-fitting: every log is a test log of exactly one fold, sources spread over the folds,
// and each fold's split is disjoint with its validation logs from the next fold.
TEST(SplitLogs, FoldsPartitionTheLogsStratifiedBySource) {
  std::vector<std::string> l;
  std::map<std::string, std::string> sources;
  for (int i = 0; i < 7; ++i) l.push_back("nusc" + std::to_string(i)), sources[l.back()] = "scenarionet";
  for (int i = 0; i < 9; ++i) l.push_back("ngsim" + std::to_string(i)), sources[l.back()] = "commonroad";
  const auto folds = fold_logs(l, 5, 1, sources);
  ASSERT_EQ(folds.size(), 5u);
  std::map<std::string, int> seen;
  for (const auto& f : folds) {
    EXPECT_GE(f.size(), 3u);  // 16 logs over 5 folds: 3 or 4 each
    EXPECT_LE(f.size(), 4u);
    int ngsim = 0;
    for (const auto& log : f) ++seen[log], ngsim += sources[log] == "commonroad";
    EXPECT_GE(ngsim, 1);  // 9 NGSIM logs dealt over 5 folds: every fold gets one or two
    EXPECT_LE(ngsim, 2);
  }
  EXPECT_EQ(seen.size(), l.size());
  for (const auto& [log, n] : seen) EXPECT_EQ(n, 1) << log;

  SplitOptions o;
  o.folds = 5;
  o.val_logs_per_fold = 1;
  for (int64_t k = 0; k < 5; ++k) {
    o.fold = k;
    const auto s = split_logs(l, o, 1, sources);
    size_t test = 0, val = 0;
    for (const auto& [log, split] : s) {
      test += split == Split::kTest, val += split == Split::kVal;
      if (split == Split::kTest) {
        EXPECT_NE(std::find(folds[k].begin(), folds[k].end(), log), folds[k].end());
      }
    }
    EXPECT_EQ(test, folds[k].size());
    EXPECT_EQ(val, 1u);
    EXPECT_EQ(s.at(folds[(k + 1) % 5][0]), Split::kVal);
  }
  // Order of the input does not matter; the seed does.
  std::vector<std::string> reversed(l.rbegin(), l.rend());
  EXPECT_EQ(fold_logs(reversed, 5, 1, sources), folds);
  EXPECT_NE(fold_logs(l, 5, 2, sources), folds);
}

TEST(SplitLogs, FoldsRejectBadSettings) {
  SplitOptions o;
  o.folds = 4;
  EXPECT_THROW(split_logs(logs(3), o, 0), Error);  // fewer logs than folds
  o.folds = 2, o.fold = 2;
  EXPECT_THROW(split_logs(logs(6), o, 0), Error);  // no such fold
  o.fold = 0, o.test_logs = {"log0"};
  EXPECT_THROW(split_logs(logs(6), o, 0), Error);  // explicit lists and folds
  o.test_logs.clear(), o.folds = 1;
  EXPECT_THROW(split_logs(logs(6), o, 0), Error);  // one fold is no cross-fitting
}

}  // namespace
}  // namespace autoscale::scene
