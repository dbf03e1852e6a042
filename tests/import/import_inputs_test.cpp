// Which files an import reads, on the embedded NGSIM directory.
#include "autoscale/import/import_inputs.h"

#include <gtest/gtest.h>

#include <fstream>

#include "autoscale/core/error.h"
#include "../scene/test_util.h"

namespace autoscale::scene {
namespace {

const std::string kNgsim = std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim";

TEST(ImportInputs, AutoDetectsTheFormatAndExpandsDirectoriesSorted) {
  EXPECT_EQ(resolve_import_format({kNgsim}, "auto"), "commonroad");
  EXPECT_EQ(resolve_import_format({"x.pkl"}, "auto"), "scenarionet");
  EXPECT_EQ(resolve_import_format({"anything"}, "navsim"), "navsim");  // configured wins
  const auto files = expand_import_inputs({kNgsim}, "commonroad");
  ASSERT_EQ(files.size(), 4u);  // the .md and .txt files are not inputs
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
  EXPECT_NE(files.front().find("USA_Lanker-1_1_T-1.xml"), std::string::npos);
}

// Argoverse 2 inputs are log directories, found by their ego-pose file (a tree of empty files
// shaped like the logs; tests/scripts/test_import_av2.py reads the real ones).
TEST(ImportInputs, Av2InputsBecomeLogDirectoriesEachOnce) {
  const auto dir = testing::temp_dir("import-av2");
  for (const char* log : {"log-b", "log-a"}) {
    std::filesystem::create_directories(dir / "val" / log / "map");
    std::filesystem::create_directories(dir / "val" / log / "sensors" / "lidar");
    std::ofstream(dir / "val" / log / "city_SE3_egovehicle.feather") << "";
    std::ofstream(dir / "val" / log / "annotations.feather") << "";
    std::ofstream(dir / "val" / log / "sensors" / "lidar" / "315.feather") << "";
  }
  std::filesystem::create_directories(dir / "empty");
  EXPECT_EQ(resolve_import_format({dir.string()}, "auto"), "av2");
  const auto a = (dir / "val" / "log-a").string(), b = (dir / "val" / "log-b").string();
  EXPECT_EQ(expand_import_inputs({dir.string()}, "av2"), (std::vector<std::string>{a, b}));  // sorted
  EXPECT_EQ(expand_import_inputs({b, a + "/annotations.feather", a + "/sensors/lidar/315.feather"}, "av2"),
            (std::vector<std::string>{b, a}));  // as given, a log once, a sweep file's log found above it
  std::ofstream(dir / "stray.feather") << "";
  try {
    expand_import_inputs({(dir / "stray.feather").string()}, "av2");
    ADD_FAILURE() << "a Feather file outside any log was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not in an Argoverse 2 log"), std::string::npos) << e.what();
  }
  try {
    expand_import_inputs({(dir / "empty").string()}, "av2");
    ADD_FAILURE() << "a directory without a log was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no Argoverse 2 log"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(ImportInputs, ShardsAreContiguousBlocksThatCoverEveryFileOnce) {
  const std::vector<std::string> files = {"a", "b", "c", "d", "e"};
  std::vector<std::string> joined;
  for (size_t i = 0; i < 3; ++i) {
    const auto part = import_shard(files, i, 3);
    joined.insert(joined.end(), part.begin(), part.end());
  }
  EXPECT_EQ(joined, files);
  EXPECT_EQ(import_shard(files, 0, 3), (std::vector<std::string>{"a"}));
  EXPECT_THROW(import_shard(files, 0, 6), Error);
}

TEST(ImportInputs, UnknownMixedAndMissingInputsAreNamed) {
  const auto dir = testing::temp_dir("import-inputs");
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "notes.txt") << "x";
  const auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message([&] { resolve_import_format({(dir / "notes.txt").string()}, "auto"); }).find("notes.txt"),
            std::string::npos);
  EXPECT_NE(message([&] { resolve_import_format({"a.xml", "b.pkl"}, "auto"); }).find("mix formats"), std::string::npos);
  EXPECT_NE(message([&] { expand_import_inputs({(dir / "gone.xml").string()}, "commonroad"); }).find("gone.xml"),
            std::string::npos);
  EXPECT_NE(message([&] { expand_import_inputs({dir.string()}, "commonroad"); }).find("no commonroad files"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace autoscale::scene
