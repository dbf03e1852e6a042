// Every command of `autoscale`, run in-process through run_cli() on the embedded NGSIM recordings:
// the binding (options reach the handler), the handler's logic (what it writes and prints) and
// its exit code. The shell test (cli_test.sh) covers the same commands as a user types them.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "autoscale/store/store.h"
#include "command.h"

namespace autoscale::cli {
namespace {

namespace fs = std::filesystem;

const std::string kData = AUTOSCALE_TEST_DATA;

struct Result {
  int code = -1;
  std::string out, err;
};

// Runs `autoscale args...` in this process; stdout and stderr are captured.
Result autoscale(std::vector<std::string> args) {
  args.insert(args.begin(), "autoscale");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  Result r;
  r.code = run_cli(static_cast<int>(argv.size()), argv.data());
  std::fflush(stdout);
  std::fflush(stderr);
  r.out = testing::internal::GetCapturedStdout();
  r.err = testing::internal::GetCapturedStderr();
  return r;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t lines(const fs::path& p) {
  const std::string text = read(p);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

#define EXPECT_OK(r) EXPECT_EQ((r).code, 0) << (r).out << (r).err

// One imported store and one synthetic store, made once for the suite.
class Commands : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("autoscale-commands-" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    ASSERT_EQ(autoscale({"import", kData + "/commonroad-ngsim", "-o", real(), "-q"}).code, 0);
    ASSERT_EQ(autoscale({"synth", "perturb", "--scenes", real(), "-o", synthetic(), "--shard", "0/3", "-q",
                         "eval.ego_size=recorded", "synth.perturb.samples_per_scene=2"})
                  .code,
              0);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string path(const std::string& name) { return (*dir_ / name).string(); }
  static std::string real() { return path("real"); }
  static std::string synthetic() { return path("synthetic"); }
  static std::vector<std::string> tiny_training() {
    return {"train.steps=4", "train.batch=8", "train.warmup_steps=1", "train.log_every=2", "train.eval_every=0",
            "train.checkpoint_every=2", "train.planner.d_model=16", "train.planner.layers=1", "train.planner.heads=2",
            "train.planner.feedforward=32", "data.split.val_logs=[USA_Lanker-1_1_T-1]",
            "data.split.test_logs=[USA_Peach-4_8_T-1]", "eval.ego_size=recorded"};
  }
  static fs::path* dir_;
};
fs::path* Commands::dir_ = nullptr;

TEST_F(Commands, ImportWritesTheStoreAndItsProvenance) {
  EXPECT_EQ(scene::SceneStore::open(real()).size(), 109u);
  EXPECT_FALSE(fs::is_empty(fs::path(real()) / "provenance"));
  const auto r = autoscale({"import", kData + "/commonroad-ngsim", "-o", path("part"), "--shard", "1/2", "-q"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("from 2 files"), std::string::npos) << r.out;  // a contiguous half of the 4 files
}

TEST_F(Commands, InspectReportsAndStrictModeExitsZeroOnValidStores) {
  auto r = autoscale({"inspect", real(), "--strict"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("scenes      109"), std::string::npos) << r.out;
  r = autoscale({"inspect", real(), "--json"});
  EXPECT_OK(r);
  EXPECT_EQ(nlohmann::json::parse(r.out).at("scenes"), 109);
  r = autoscale({"inspect", real(), "--compare", synthetic()});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("curvature"), std::string::npos);
}

TEST_F(Commands, ScoreReadsCaseFilesWithThePdmsVersionFlag) {
  auto r = autoscale({"score", kData + "/cases/straight_road.json", "--pdms-version", "v2", "-q"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("\"epdms\": 1"), std::string::npos) << r.out;  // v2 scores, not v1's "pdms"
  r = autoscale({"score", kData + "/cases/straight_road.json", "--pdms-version", "v3", "-q"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("eval.pdms_version"), std::string::npos) << r.err;
}

TEST_F(Commands, EvalShardsMergeIntoTheSingleRun) {
  const std::vector<std::string> common = {"--agent", "constant_velocity", "--pdms-version", "v2", "-q"};
  auto whole = common;
  whole.insert(whole.begin(), {"eval", "--scenes", real(), "--out", path("all.csv")});
  EXPECT_OK(autoscale(whole));
  EXPECT_EQ(lines(path("all.csv")), 111u);  // header, 109 scenes, NAVSIM's average row
  EXPECT_NE(read(path("all.csv")).find("lane_keeping"), std::string::npos);  // v2 columns
  std::vector<std::string> parts;
  for (int i = 0; i < 2; ++i) {
    auto part = common;
    parts.push_back(path("part" + std::to_string(i) + ".csv"));
    part.insert(part.begin(), {"eval", "--scenes", real(), "--shard", std::to_string(i) + "/2", "--out", parts.back()});
    EXPECT_OK(autoscale(part));
  }
  std::vector<std::string> merge = {"merge", "scores", "--scenes", real(), "-o", path("merged.csv"), "--parts"};
  merge.insert(merge.end(), parts.begin(), parts.end());
  EXPECT_OK(autoscale(merge));
  EXPECT_EQ(read(path("merged.csv")), read(path("all.csv")));
  const auto r = autoscale({"eval", "--scenes", real(), "--agent", "human", "--limit", "3", "-q"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("3 scenes"), std::string::npos) << r.out;
}

TEST_F(Commands, MergeStoresJoinsImportShards) {
  for (int i = 0; i < 2; ++i) {
    EXPECT_OK(autoscale({"import", kData + "/commonroad-ngsim", "-o", path("shard" + std::to_string(i)), "--shard",
                         std::to_string(i) + "/2", "-q"}));
  }
  EXPECT_OK(autoscale({"merge", "stores", "--parts", path("shard0"), path("shard1"), "-o", path("merged"), "-q"}));
  EXPECT_EQ(scene::SceneStore::open(path("merged")).size(), 109u);
}

TEST_F(Commands, SynthPerturbAndCorruptWriteSyntheticStores) {
  const auto perturbed = scene::SceneStore::open(synthetic());
  ASSERT_GT(perturbed.size(), 0u);
  EXPECT_EQ(perturbed.index()[0].domain, scene::Domain::kSynthetic);
  const auto r = autoscale({"synth", "corrupt", "--scenes", synthetic(), "-o", path("harm"), "-q",
                            "synth.corrupt.fraction=1"});
  EXPECT_OK(r);
  EXPECT_EQ(scene::SceneStore::open(path("harm")).size(), perturbed.size());
}

TEST_F(Commands, SynthSumoSimulatesAWorld) {
  const auto r = autoscale({"synth", "sumo", "-o", path("sumo"), "-q", "synth.sumo.worlds=1"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("simulated 1 SUMO worlds"), std::string::npos) << r.out;
}

TEST_F(Commands, EncodeClusterIndexRetrieveAndTheirMerges) {
  const std::vector<std::string> rae = {"encode.graph_rae.epochs=1", "encode.graph_rae.hidden=8",
                                        "encode.graph_rae.dim=4", "encode.graph_rae.rounds=1", "-q"};
  auto fit = rae;
  fit.insert(fit.begin(), {"encode", "--scenes", real(), synthetic(), "-o", path("emb.h5"), "--checkpoint",
                           path("rae.pt")});
  EXPECT_OK(autoscale(fit));
  std::vector<std::string> parts;
  for (int i = 0; i < 2; ++i) {
    auto part = rae;
    parts.push_back(path("emb" + std::to_string(i) + ".h5"));
    part.insert(part.begin(), {"encode", "--scenes", real(), synthetic(), "--load", path("rae.pt"), "--shard",
                               std::to_string(i) + "/2", "-o", parts.back()});
    EXPECT_OK(autoscale(part));
  }
  std::vector<std::string> merge = {"merge", "embeddings", "--scenes", real(), synthetic(), "-o", path("emb2.h5"), "-q",
                                    "--parts"};
  merge.insert(merge.end(), parts.begin(), parts.end());
  EXPECT_OK(autoscale(merge));
  EXPECT_OK(autoscale({"cluster", "--embeddings", path("emb.h5"), "-q", "mixture.kmeans.k=2"}));
  EXPECT_OK(autoscale({"index", "--embeddings", path("emb.h5"), "-o", path("index"), "-q"}));
  EXPECT_OK(autoscale({"retrieve", "--index", path("index"), "--embeddings", path("emb.h5"), "--all-real", "-k", "2",
                       "--out", path("nb.tsv"), "-q"}));
  EXPECT_EQ(lines(path("nb.tsv")), 1u + 109u * 2u);  // header + k rows per real query
  std::vector<std::string> nb_parts;
  for (int i = 0; i < 2; ++i) {
    nb_parts.push_back(path("nb" + std::to_string(i) + ".tsv"));
    EXPECT_OK(autoscale({"retrieve", "--index", path("index"), "--embeddings", path("emb.h5"), "--all-real", "-k", "2",
                         "--shard", std::to_string(i) + "/2", "--out", nb_parts.back(), "-q"}));
  }
  std::vector<std::string> nb_merge = {"merge", "neighbours", "--embeddings", path("emb.h5"), "-o", path("nb2.tsv"),
                                       "-q", "--parts"};
  nb_merge.insert(nb_merge.end(), nb_parts.begin(), nb_parts.end());
  EXPECT_OK(autoscale(nb_merge));
  EXPECT_EQ(read(path("nb2.tsv")), read(path("nb.tsv")));
}

TEST_F(Commands, TrainWritesAPlannerThatEvalScoresOnItsSplit) {
  auto args = tiny_training();
  args.insert(args.begin(), {"train", "--scenes", real(), "--synthetic", synthetic(), "-o", path("train"), "-q"});
  EXPECT_OK(autoscale(args));
  ASSERT_TRUE(fs::exists(path("train") + "/planner.pt"));
  auto eval = tiny_training();
  eval.insert(eval.begin(), {"eval", "--scenes", real(), "--agent", path("train") + "/planner.pt", "--split", "test",
                             "-q"});
  const auto r = autoscale(eval);
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("split test: 10 of 109 scenes"), std::string::npos) << r.out;
}

TEST_F(Commands, RunReportAndPairedOnATinyLoop) {
  auto args = tiny_training();
  args.insert(args.begin(), {"run", "-o", path("run"), "-q", "--no-report", "loop.method=vanilla_random",
                             "loop.real=[" + real() + "]", "loop.synthetic=[" + synthetic() + "]",
                             "loop.synthetic_budget=8", "encode.embedding=descriptor", "mixture.kmeans.k=2",
                             "mixture.kmeans.nredo=1"});
  auto r = autoscale(args);
  EXPECT_OK(r);
  EXPECT_TRUE(fs::exists(path("run") + "/run.json"));
  EXPECT_FALSE(fs::exists(path("run") + "/report.html"));  // --no-report
  r = autoscale({"run", "--resume", path("run"), "-q"});  // complete: resuming prints the result again
  EXPECT_OK(r);
  EXPECT_OK(autoscale({"report", path("run"), "-q"}));
  EXPECT_GT(fs::file_size(path("run") + "/report.html"), 1000u);
  r = autoscale({"paired", path("run"), "vanilla_random", path("run"), "vanilla_random", "-q"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("+0.0000"), std::string::npos) << r.out;  // a method against itself
  r = autoscale({"compare", "--resume", path("run"), "--config", "x.yaml", "-q"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("the run's own config.yaml is used"), std::string::npos) << r.err;
}

TEST_F(Commands, CompareRunsMethodsSideBySideIncludingTheGateAblation) {
  auto args = tiny_training();
  args.insert(args.begin(), {"compare", "-o", path("compare"), "-q", "--no-report",
                             "loop.compare.methods=[vanilla_random,gated_random]", "loop.compare.seeds=1",
                             "loop.compare.reference=vanilla_random", "loop.real=[" + real() + "]",
                             "loop.synthetic=[" + synthetic() + "]", "loop.synthetic_budget=8",
                             "encode.embedding=descriptor", "mixture.kmeans.k=2", "mixture.kmeans.nredo=1"});
  const auto r = autoscale(args);
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("| gated_random |"), std::string::npos) << r.out;
  // The gate scored every pool scene's label once (the pool: the synthetic scenes left after the
  // leakage guard); the gated selection holds only passing ones.
  const auto labels = nlohmann::json::parse(read(path("compare") + "/label_scores.json"));
  const auto run = nlohmann::json::parse(read(path("compare") + "/run.json"));
  EXPECT_EQ(labels.size(), run.at("data").at("pool").get<size_t>());
  EXPECT_EQ(labels.size() + run.at("data").at("leaked").get<size_t>(), scene::SceneStore::open(synthetic()).size());
  size_t checked = 0;
  for (const auto& job : fs::directory_iterator(path("compare") + "/jobs")) {
    if (job.path().filename().string().rfind("gated_random", 0) != 0) continue;
    const auto result = nlohmann::json::parse(read(job.path() / "result.json"));
    EXPECT_LE(result.at("n_syn").get<int>(), 8);
    const auto selection = nlohmann::json::parse(read(job.path() / "final" / "selection.json"));
    for (const auto& token : selection.at("tokens")) EXPECT_GE(labels.at(token.get<std::string>()).get<double>(), 0.9);
    checked += selection.at("tokens").size();
  }
  EXPECT_GT(checked, 0u);
}

TEST_F(Commands, SlurmSubmitDryRunWritesTheChain) {
  const auto r = autoscale({"slurm", "submit", "--dry-run", "-o", path("slurm-run"), "-q",
                            "loop.real=[" + real() + "]", "loop.synthetic=[" + synthetic() + "]",
                            "loop.method=vanilla_random"});
  EXPECT_OK(r);
  for (const char* script : {"prepare.sbatch", "step.sbatch", "continue.sbatch", "config.yaml"}) {
    EXPECT_TRUE(fs::exists(fs::path(path("slurm-run")) / "slurm" / script)) << script;
  }
  EXPECT_EQ(lines(fs::path(path("slurm-run")) / "slurm" / "submissions.jsonl"), 3u);
  EXPECT_NE(r.out.find("would submit:"), std::string::npos);
}

TEST_F(Commands, ConfigPrintsTheResolvedTreeAndVersionTheRelease) {
  auto r = autoscale({"config", "-q", "eval.pdms_version=v2"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("pdms_version: \"v2\""), std::string::npos);
  r = autoscale({"version"});
  EXPECT_OK(r);
  EXPECT_EQ(r.out.rfind("autoscale ", 0), 0u);
}

TEST_F(Commands, BenchesRunOnSmallInputs) {
  auto r = autoscale({"bench", "store", real(), "--random", "20", "-q"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("sequential read"), std::string::npos);
  r = autoscale({"bench", "score", "--scenes", real(), "--limit", "4", "--repeat", "1", "-q"});
  EXPECT_OK(r);
  r = autoscale({"bench", "kmeans", "--n", "500", "--dim", "8", "--k", "4", "-q"});
  EXPECT_OK(r);
  r = autoscale({"bench", "index", "--n", "1000", "--dim", "8", "--queries", "10", "-q"});
  EXPECT_OK(r);
  EXPECT_NE(r.out.find("recall"), std::string::npos) << r.out;
}

TEST_F(Commands, BadCommandLinesAreOneErrorLineWithExitCodeOne) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"eval", "--scenes", real()},  // --agent missing
           {"nonsense"},
           {"evl", "--scenes", real()},  // a typo: named as an unknown command
           {"inspect", path("missing-store")},
           {"eval", "--scenes", real(), "--agent", "human", "--version", "v2"}}) {  // the flag was renamed
    const auto r = autoscale(args);
    EXPECT_EQ(r.code, 1) << args.front();
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace autoscale::cli
