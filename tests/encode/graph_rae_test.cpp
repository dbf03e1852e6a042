#include "autoscale/encode/graph_rae.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "autoscale/core/error.h"
#include "autoscale/core/threads.h"
#include "autoscale/import/commonroad.h"
#include "autoscale/store/features.h"

namespace autoscale::encode {
namespace {

const std::string kData = std::string(AUTOSCALE_TEST_DATA) + "/commonroad-ngsim/";

struct Data {
  std::vector<SceneGraph> graphs;
  std::vector<std::vector<float>> descriptors;  // standardised
};

// The real NGSIM scenes as graphs, with standardised descriptors.
const Data& ngsim() {
  static const Data data = [] {
    Data d;
    GraphOptions o;
    for (const char* f : {"USA_US101-4_1_T-1.xml", "USA_Peach-4_8_T-1.xml"}) {
      const auto r = scene::import_commonroad(kData + f, {});
      for (const auto& s : r.scenes) {
        d.graphs.push_back(build_graph(s, r.map, o));
        d.descriptors.push_back(scene::scene_descriptor(s, r.map));
      }
    }
    const size_t dim = d.descriptors[0].size();
    for (size_t j = 0; j < dim; ++j) {
      double mean = 0, var = 0;
      for (const auto& v : d.descriptors) mean += v[j];
      mean /= d.descriptors.size();
      for (const auto& v : d.descriptors) var += (v[j] - mean) * (v[j] - mean);
      const double sd = std::sqrt(var / d.descriptors.size());
      for (auto& v : d.descriptors) v[j] = sd > 1e-9 ? float((v[j] - mean) / sd) : 0.f;
    }
    return d;
  }();
  return data;
}

GraphRaeOptions small(int64_t epochs) {
  GraphRaeOptions o;
  o.dim = 16;
  o.hidden = 32;
  o.heads = 4;
  o.rounds = 2;
  o.epochs = epochs;
  o.batch = 16;
  return o;
}

TEST(GraphRae, LossDecreasesOnRealData) {
  configure_threads(2);
  GraphRae model({}, small(12), 1);
  const auto stats = model.train(ngsim().graphs, ngsim().descriptors);
  ASSERT_EQ(stats.epoch_loss.size(), 12u);
  for (double l : stats.epoch_loss) EXPECT_TRUE(std::isfinite(l));
  // Single epochs fluctuate (random masking and contrastive augmentation are in the loss):
  // compare the mean of the last three epochs with the first.
  const auto& l = stats.epoch_loss;
  const double late = (l[l.size() - 1] + l[l.size() - 2] + l[l.size() - 3]) / 3;
  EXPECT_LT(late, l.front() * 0.95);
  std::printf("Graph-RAE on %zu NGSIM scenes (%s): loss %.3f -> %.3f in %.1f s\n", ngsim().graphs.size(),
              stats.device.c_str(), stats.epoch_loss.front(), stats.epoch_loss.back(), stats.seconds);
}

TEST(GraphRae, EmbeddingsAreUnitAndIndependentOfBatchMates) {
  GraphRae model({}, small(1), 2);
  model.train(ngsim().graphs, ngsim().descriptors);
  const auto all = model.embed(ngsim().graphs);
  ASSERT_EQ(all.size(), ngsim().graphs.size() * 16);
  const auto alone = model.embed({ngsim().graphs[5]});
  const auto pair = model.embed({ngsim().graphs[40], ngsim().graphs[5]});
  double norm = 0;
  for (int d = 0; d < 16; ++d) {
    EXPECT_NEAR(alone[d], all[5 * 16 + d], 1e-5);
    EXPECT_NEAR(alone[d], pair[16 + d], 1e-5);
    norm += alone[d] * alone[d];
  }
  EXPECT_NEAR(norm, 1.0, 1e-5);
}

TEST(GraphRae, SameSeedSameEmbeddingsAndSaveLoadRoundTrip) {
  configure_threads(1);
  GraphRae a({}, small(2), 7), b({}, small(2), 7);
  a.train(ngsim().graphs, ngsim().descriptors);
  b.train(ngsim().graphs, ngsim().descriptors);
  const auto za = a.embed(ngsim().graphs), zb = b.embed(ngsim().graphs);
  EXPECT_EQ(za, zb);
  const auto path = (std::filesystem::temp_directory_path() / ("autoscale-rae-" + std::to_string(::getpid()) + ".pt")).string();
  a.save(path);
  GraphRae c({}, small(2), 99);
  c.load(path);
  const auto zc = c.embed(ngsim().graphs);
  ASSERT_EQ(zc.size(), za.size());
  for (size_t i = 0; i < za.size(); ++i) EXPECT_NEAR(zc[i], za[i], 1e-6);
  // The file carries its model's shape: a config that says otherwise loads the file's model.
  GraphRaeOptions other = small(2);
  other.dim = 32;
  GraphRae d({}, other, 1);
  d.load(path);
  EXPECT_EQ(d.dim(), 16);
  EXPECT_EQ(d.embed(ngsim().graphs), zc);
  std::filesystem::remove(path);
  configure_threads(0);
}

std::string load_error(GraphRae& model, const std::string& path) {
  try {
    model.load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// graph_rae.pt names its format and the graph options its scenes were built with (issue 18):
// a file without the tag, of another kind, or fitted on other graphs is refused by name.
TEST(GraphRae, FilesWithoutTheirFormatTagOrFromOtherGraphsAreRefused) {
  configure_threads(1);
  const auto dir = std::filesystem::temp_directory_path() / ("autoscale-rae-tags-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  GraphRae a({}, small(1), 7);
  a.train(ngsim().graphs, ngsim().descriptors);
  const std::string good = (dir / "good.pt").string();
  a.save(good);
  GraphOptions wider;
  wider.max_agents = 40;
  GraphRae b(wider, small(1), 7);
  EXPECT_EQ(load_error(b, good), good + ": fitted on scene graphs with other options than these (encode.graph: "
                                        "\"max_agents: 32\" vs \"max_agents: 40\")");
  // An archive of weights only (as written before format tags).
  torch::serialize::OutputArchive bare;
  bare.write("descriptor_dim", torch::tensor(int64_t{8}));
  const std::string untagged = (dir / "untagged.pt").string();
  bare.save_to(untagged);
  GraphRae c({}, small(1), 7);
  EXPECT_NE(load_error(c, untagged).find(untagged + ": not an autoscale Graph-RAE file (no format tag"),
            std::string::npos);
  torch::serialize::OutputArchive foreign;
  foreign.write("meta", c10::IValue(std::string("format: autoscale-planner/2\n")));
  const std::string planner = (dir / "planner.pt").string();
  foreign.save_to(planner);
  EXPECT_EQ(load_error(c, planner), planner + ": unsupported Graph-RAE file format \"autoscale-planner/2\" (this build "
                                              "reads autoscale-graph-rae/1)");
  std::filesystem::remove_all(dir);
  configure_threads(0);
}

}  // namespace
}  // namespace autoscale::encode
