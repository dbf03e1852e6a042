#include "app_config.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "autoscale/core/error.h"

namespace autoscale::cli {
namespace {

std::string error_of(const std::vector<std::string>& overrides) {
  try {
    load_app_config("", overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(AppConfig, DefaultsAreNavsimLikeWindows) {
  const AppConfig c = load_app_config("", {});
  EXPECT_EQ(c.import.commonroad.window.history_s, 1.5);
  EXPECT_EQ(c.import.commonroad.window.future_s, 5.0);
  EXPECT_EQ(c.store.shard_size, 1024);
  EXPECT_EQ(c.import.format, "auto");
}

TEST(AppConfig, OverridesReachNestedSections) {
  const AppConfig c = load_app_config("", {"import.commonroad.window.future_s=4.5", "store.compression=0",
                                           "import.format=commonroad", "run.seed=11"});
  EXPECT_EQ(c.import.commonroad.window.future_s, 4.5);
  EXPECT_EQ(c.store.compression, 0);
  EXPECT_EQ(c.import.format, "commonroad");
  EXPECT_EQ(c.run.seed, 11);
}

TEST(AppConfig, ErrorsNameTheKeyPath) {
  EXPECT_EQ(error_of({"store.shard_size=abc"}),
            "override \"store.shard_size=abc\": store.shard_size: expected an integer >= 1, got \"abc\"");
  EXPECT_EQ(error_of({"store.compression=12"}),
            "override \"store.compression=12\": store.compression: expected an integer in [0, 9], got 12");
  EXPECT_EQ(error_of({"import.format=las"}),
            "override \"import.format=las\": import.format: expected one of auto, commonroad, scenarionet, navsim, av2, "
            "got \"las\"");
  EXPECT_EQ(error_of({"import.commonroad.window.min_future_s=6"}),
            "config: import.commonroad.window: min_future_s (6) must not exceed future_s (5)");
}

TEST(AppConfig, ResolvedYamlLoadsBackIdentically) {
  AppConfig c = load_app_config("", {"run.seed=5", "import.navsim.maps_root=/maps"});
  const std::string yaml = config_to_yaml(c);
  EXPECT_NE(yaml.find("seed: 5"), std::string::npos) << yaml;
  AppConfig back;
  load_config_text([&](ConfigVisitor& v) { back.visit(v); }, yaml, "resolved.yaml");
  EXPECT_EQ(config_to_yaml(back), yaml);
  EXPECT_EQ(back.import.navsim.maps_root, "/maps");
}

// Run directories written before issue 18 carry eval.version; they must still resume.
TEST(AppConfig, TheRenamedPdmsVersionKeyStillLoads) {
  const auto dir = std::filesystem::temp_directory_path() / ("autoscale-renamed-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto old_config = (dir / "old.yaml").string();
  std::ofstream(old_config) << "eval:\n  version: \"v2\"\n";
  EXPECT_EQ(load_app_config(old_config, {}).eval.pdms_version, "v2");
  EXPECT_EQ(load_app_config("", {"eval.version=v2"}).eval.pdms_version, "v2");
  EXPECT_EQ(error_of({"eval.version=v3"}),
            "override \"eval.version=v3\": eval.pdms_version: expected one of v1, v2, got \"v3\"");
  EXPECT_NE(error_of({"eval.version=v2", "eval.pdms_version=v1"}).find("renamed eval.pdms_version; give only one"),
            std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace autoscale::cli
