// The HTML report on hand-made run directories: content, escaping, errors naming file and field.
#include "autoscale/loop/run_report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "autoscale/core/error.h"
#include "error_of.h"

namespace autoscale::loop {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class RunReport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("autoscale-report-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    write(dir_ / "run.json", R"({"format":"autoscale-run/1","command":"autoscale run <&>","created":"2026-11-25T10:00:00Z",
      "mode":"offline","iterations":2,"steps":600,"synthetic_budget":400,"clusters":2,"methods":["autoscale"],
      "seeds":[0],"budgets":[],"data":{"real_train":634,"val":146,"test":176,"pool":2441,"leaked":431,
      "pool_per_cluster":[2000,441],"val_per_cluster":[100,46]}})");
    write(dir_ / "config.yaml", "loop:\n  method: \"<b>autoscale</b>\"\n");
    const std::string val = R"("val":{"pdms":0.8,"nc":0.9,"dac":0.95,"ddc":1,"ttc":0.9,"c":1,"ep":0.7,"scenes":146})";
    for (int t = 0; t < 2; ++t) {
      write(dir_ / "jobs/autoscale_n400_s0" / ("iter" + std::to_string(t)) / "iteration.json",
            R"({"iteration":)" + std::to_string(t) + R"(,"weights":[0.6,0.4],"quotas":[240,160],"selected":400,)" + val +
                R"(,"cluster_pdms":[0.7,null],"cluster_count":[100,46],"next_weights":[0.5,0.5]})");
    }
    write(dir_ / "jobs/autoscale_n400_s0/result.json",
          R"({"method":"autoscale","seed":0,"synthetic_budget":400,"n_syn":400,"n_real":634,"real_share":0.61,
            "steps":600,"search_seconds":35.2,"train_seconds":40.1,"test":{"pdms":0.8531,"nc":0.9,"dac":0.95,"ddc":1,
            "ttc":0.9,"c":1,"ep":0.7,"scenes":176},)" + val + R"(,"weights":[0.5,0.5],"quotas":[200,200],
            "test_tokens":["a","b"],"test_pdms":[0.8,0.9]})");
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(RunReport, ShowsTheRunAndEscapesText) {
  const std::string html = report_html(dir_.string());
  for (const char* part : {"<h2>Summary</h2>", "<h2>Closed loop per iteration</h2>", "autoscale_n400_s0", "0.853",
                           "Synthetic mixture weight per cluster", "Validation PDMS per cluster", "cluster 0 (100)", "<th>DDC</th>",
                           "<h2>Resolved configuration</h2>"}) {
    EXPECT_NE(html.find(part), std::string::npos) << part;
  }
  EXPECT_NE(html.find("&lt;b&gt;autoscale&lt;/b&gt;"), std::string::npos);  // config text escaped
  EXPECT_NE(html.find("autoscale run &lt;&amp;&gt;"), std::string::npos);    // command escaped
  EXPECT_EQ(html.find("<b>autoscale</b>"), std::string::npos);
  EXPECT_EQ(html.find("<h2>Comparison</h2>"), std::string::npos);  // no compare.json: no section
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST_F(RunReport, AClusterWithoutValidationScenesShowsNoMeasurement) {
  // Its cluster_pdms is the shrinkage prior (0.65 here): an empty cell, not a score.
  for (int t = 0; t < 2; ++t) {
    write(dir_ / "jobs/autoscale_n400_s0" / ("iter" + std::to_string(t)) / "iteration.json",
          R"({"iteration":)" + std::to_string(t) + R"(,"weights":[0.6,0.4],"quotas":[240,160],"selected":400,)" +
              R"("val":{"pdms":0.8,"nc":0.9,"dac":0.95,"ddc":1,"ttc":0.9,"c":1,"ep":0.7,"scenes":146})" +
              R"(,"cluster_pdms":[0.7,0.65],"cluster_count":[146,0]})");
  }
  const std::string html = report_html(dir_.string());
  EXPECT_NE(html.find("cluster 1 (no val scenes)"), std::string::npos);
  EXPECT_NE(html.find(">0.70<"), std::string::npos);
  EXPECT_EQ(html.find(">0.65<"), std::string::npos);
}

TEST_F(RunReport, AnEpdmsRunShowsItsOwnSubScores) {
  write(dir_ / "jobs/autoscale_n400_s0/result.json",
        R"({"method":"autoscale","seed":0,"n_syn":400,"search_seconds":1,"train_seconds":2,"test":{"pdms":0.61,"nc":0.9,
          "dac":0.95,"ddc":0.99,"ttc":0.9,"c":1,"ep":0.7,"tlc":0.98,"lk":0.876,"hc":0.97,"ec":null,"scenes":176}})");
  const std::string html = report_html(dir_.string());
  for (const char* part : {"<th>Test EPDMS</th>", "<th>TLC</th>", "<th>LK</th>", "<th>HC</th>", "<th>EC</th>",
                           "<td>0.876</td>", "<td>0.990</td>"}) {
    EXPECT_NE(html.find(part), std::string::npos) << part;
  }
}

TEST_F(RunReport, AnEpdmsComparisonShowsItsOwnSubScores) {
  const std::string stats = R"("std":{"pdms":null,"nc":null,"dac":null,"ddc":null,"ttc":null,"c":null,"ep":null,)"
                            R"("tlc":null,"lk":null,"hc":null,"ec":null})";
  write(dir_ / "compare.json",
        R"({"reference":null,"rows":[{"method":"autoscale","label":"autoscale","synthetic_budget":400,"seeds":1,)"
        R"("n_syn":400,"real_share":0.6,"search_seconds":1,"pdms":{"mean":0.61,"has_ci":false},"delta":null,)"
        R"("mean":{"pdms":0.61,"nc":0.9,"dac":0.95,"ddc":0.99,"ttc":0.9,"c":1,"ep":0.7,"tlc":0.981,"lk":0.876,)"
        R"("hc":0.97,"ec":0.5},)" + stats + "}]}");
  const std::string html = report_html(dir_.string());
  const auto table = html.substr(html.find("<h2>Comparison</h2>"));
  for (const char* part : {"<th>EP</th><th>TLC</th><th>LK</th><th>HC</th><th>EC</th><th>PDMS", "<td>0.981</td>",
                           "<td>0.500</td>"}) {
    EXPECT_NE(table.find(part), std::string::npos) << part;
  }
}

TEST_F(RunReport, TheDataPanelNamesBothDomainGaps) {
  // Cluster 0: 9 real (one test) and 1 synthetic. Cluster 1: one test scene, no real training scene,
  // and 3 synthetic scenes (1 of 4 real: not a gap). Cluster 2: synthetic only (4 in the pool).
  std::string points;
  const auto add = [&](int cluster, const char* domain, const char* split, int n) {
    for (int i = 0; i < n; ++i) {
      points += fmt::format(R"({}{{"x":{},"y":0,"cluster":{},"domain":"{}","split":"{}"}})", points.empty() ? "" : ",",
                            0.1 * cluster, cluster, domain, split);
    }
  };
  add(0, "real", "train", 8), add(0, "real", "test", 1), add(0, "synthetic", "pool", 1);
  add(1, "real", "test", 1), add(1, "synthetic", "pool", 3), add(2, "synthetic", "pool", 4);
  add(2, "synthetic", "leaked", 2);
  write(dir_ / "embedding_map.json", R"({"explained":[0.5,0.2],"points":[)" + points + "]}");
  const std::string html = report_html(dir_.string());
  // The pool: 8 scenes, 4 in a type under 5% real; the test set: 2 scenes, 1 in a type without training data.
  EXPECT_NE(html.find("50% of the synthetic pool lies in scene types that are under 5% real; 50% of the real test "
                      "scenes lie in types with no real training scene"),
            std::string::npos);
  EXPECT_NE(html.find("Scenes per cluster"), std::string::npos);
  EXPECT_NE(html.find("<h2>Data and domain gap</h2>"), std::string::npos);
}

TEST_F(RunReport, WritesAtomically) {
  const fs::path out = dir_ / "report.html";
  write_report(dir_.string(), out.string());
  EXPECT_GT(fs::file_size(out), 1000u);
  for (const auto& e : fs::directory_iterator(dir_)) {
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
  }
}

TEST_F(RunReport, ErrorsNameTheFileAndField) {
  fs::remove(dir_ / "run.json");
  EXPECT_NE(error_of([&] { report_html(dir_.string()); }).find("run.json"), std::string::npos);
  SetUp();
  write(dir_ / "jobs/autoscale_n400_s0/result.json", R"({"method":"autoscale","seed":0,"n_syn":400,"test":{"pdms":"x"}})");
  const auto e = error_of([&] { report_html(dir_.string()); });
  EXPECT_NE(e.find("result.json"), std::string::npos) << e;
  EXPECT_NE(e.find("nc"), std::string::npos) << e;  // the first score field it needs
  SetUp();
  write(dir_ / "jobs/autoscale_n400_s0/iter1/iteration.json", "{not json");
  EXPECT_NE(error_of([&] { report_html(dir_.string()); }).find("iteration.json"), std::string::npos);
}

}  // namespace
}  // namespace autoscale::loop
