#include "autoscale/mixture/embeddings.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "../scene/test_util.h"
#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/mixture/kmeans.h"
#include "autoscale/store/features.h"

namespace fs = std::filesystem;

namespace autoscale::mixture {
namespace {

TEST(Embeddings, DescriptorEmbeddingsRoundTripWithClusters) {
  const auto dir = scene::testing::temp_dir("embeddings");
  {
    scene::SceneStoreWriter w((dir / "store").string(), {});
    w.add_map(scene::testing::square_map("m"));
    for (int k = 0; k < 12; ++k) w.add(scene::testing::make_scene("t" + std::to_string(k), "m", k, 20 + k));
    w.close();
  }
  const auto store = scene::SceneStore::open((dir / "store").string());
  auto e = descriptor_embeddings({&store});
  ASSERT_EQ(e.size(), 12u);
  EXPECT_EQ(e.dim, static_cast<int>(scene::descriptor_names().size()));
  for (size_t i = 0; i < e.size(); ++i) {  // unit rows
    double n = 0;
    for (int j = 0; j < e.dim; ++j) n += e.z[i * e.dim + j] * e.z[i * e.dim + j];
    EXPECT_NEAR(n, 1.0, 1e-5) << e.tokens[i];
  }
  EXPECT_EQ(e.domains[1], 1);  // make_scene: odd k synthetic
  EXPECT_EQ(e.source_logs[1], "log-0");
  KMeansParams p;
  p.k = 3;
  const auto r = kmeans(e.z, e.dim, p);
  e.assignment = r.assignment;
  e.similarity = r.similarity;
  e.centroids = r.centroids;
  const std::string path = (dir / "emb.h5").string();
  write_embeddings(path, e);
  const auto back = read_embeddings(path);
  EXPECT_EQ(back.tokens, e.tokens);
  EXPECT_EQ(back.z, e.z);
  EXPECT_EQ(back.assignment, e.assignment);
  EXPECT_EQ(back.clusters(), 3);
  EXPECT_NE(cluster_report(back).find("3 clusters of 12 scenes"), std::string::npos);
  write_file_atomic(path, "junk");
  EXPECT_THROW(read_embeddings(path), Error);
  fs::remove_all(dir);
}

TEST(Embeddings, DescriptorNamesMatchValues) {
  const auto s = scene::testing::make_scene("d", "m", 0, 30);
  const auto d = scene::scene_descriptor(s, scene::testing::square_map("m"));
  ASSERT_EQ(d.size(), scene::descriptor_names().size());
  EXPECT_FLOAT_EQ(d[0], 10.0f);  // speed
  EXPECT_FLOAT_EQ(d[4], 1.0f);   // straight
  for (float v : d) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace autoscale::mixture
