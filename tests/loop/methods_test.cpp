// The method registry: one entry per method, each wired to exactly one kind of selection, and
// the config, plan and dispatch all read from it.
#include "autoscale/loop/methods.h"

#include <gtest/gtest.h>

#include <set>

#include "autoscale/core/error.h"
#include "autoscale/loop/options.h"
#include "../../src/loop/method_table.h"

namespace autoscale::loop {
namespace {

TEST(Methods, EveryEntryRunsExactlyTheKindItDeclares) {
  std::set<std::string> names;
  for (const auto& info : methods()) {
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate " << info.name;
    const auto& e = method_entry(info.name);
    EXPECT_EQ(e.one_shot != nullptr, info.kind == MethodKind::kOneShot) << info.name;
    EXPECT_EQ(e.iterative != nullptr, info.kind == MethodKind::kIterative) << info.name;
    EXPECT_EQ(e.searched != nullptr, info.kind == MethodKind::kSearched) << info.name;
    EXPECT_EQ(e.decision.empty(), info.kind != MethodKind::kSearched) << info.name;
    EXPECT_FALSE(info.help.empty()) << info.name;
    if (!info.alias_of.empty()) {
      EXPECT_EQ(method_entry(info.alias_of).iterative, e.iterative) << info.name;
    }
  }
  EXPECT_EQ(names.size(), 14u);
}

TEST(Methods, TheTableSetsBudgetsCurveAndDefaults) {
  EXPECT_EQ(method_info("real_only").budget, MethodBudget::kNone);
  EXPECT_EQ(method_info("vanilla_all").budget, MethodBudget::kWholePool);
  EXPECT_TRUE(method_info("autoscale_v2").on_curve);
  EXPECT_TRUE(method_info("autoscale_v2").scores_labels);
  EXPECT_EQ(CompareOptions().methods, compared_method_names());
  EXPECT_EQ(compared_method_names().front(), "real_only");
  EXPECT_NE(methods_help().find("random_best_of: "), std::string::npos);
}

TEST(Methods, AnUnknownNameListsTheKnownOnes) {
  try {
    method_info("autoscale_v3");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"autoscale_v3\" (known: real_only, vanilla_all"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace autoscale::loop
