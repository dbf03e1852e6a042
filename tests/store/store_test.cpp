#include "autoscale/store/store.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "../scene/test_util.h"

namespace fs = std::filesystem;

namespace autoscale::scene {
namespace {

using testing::make_scene;
using testing::square_map;
using testing::temp_dir;

void expect_same(const Scene& a, const Scene& b) {
  EXPECT_EQ(a.token, b.token);
  EXPECT_EQ(a.log, b.log);
  EXPECT_EQ(a.map_id, b.map_id);
  EXPECT_EQ(a.domain, b.domain);
  EXPECT_EQ(a.timestamp_us, b.timestamp_us);
  EXPECT_EQ(a.generator, b.generator);
  EXPECT_EQ(a.generator_params, b.generator_params);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.source_log, b.source_log);
  EXPECT_EQ(a.command, b.command);
  EXPECT_EQ(a.num_history, b.num_history);
  EXPECT_EQ(a.ego_length, b.ego_length);
  EXPECT_EQ(a.ego_width, b.ego_width);
  ASSERT_EQ(a.ego.size(), b.ego.size());
  for (size_t i = 0; i < a.ego.size(); ++i) {
    EXPECT_EQ(a.ego[i].x, b.ego[i].x);
    EXPECT_EQ(a.ego[i].heading, b.ego[i].heading);
    EXPECT_EQ(a.ego[i].ay, b.ego[i].ay);
  }
  ASSERT_EQ(a.agents.size(), b.agents.size());
  for (size_t i = 0; i < a.agents.size(); ++i) {
    EXPECT_EQ(a.agents[i].id, b.agents[i].id);
    EXPECT_EQ(a.agents[i].category, b.agents[i].category);
    EXPECT_EQ(a.agents[i].type, b.agents[i].type);
    EXPECT_EQ(a.agents[i].length, b.agents[i].length);
    ASSERT_EQ(a.agents[i].states.size(), b.agents[i].states.size());
    for (size_t t = 0; t < a.agents[i].states.size(); ++t) {
      EXPECT_EQ(a.agents[i].states[t].valid, b.agents[i].states[t].valid);
      EXPECT_EQ(a.agents[i].states[t].x, b.agents[i].states[t].x);
      EXPECT_EQ(a.agents[i].states[t].vy, b.agents[i].states[t].vy);
    }
  }
  EXPECT_EQ(a.route, b.route);
  ASSERT_EQ(a.traffic_lights.size(), b.traffic_lights.size());
  EXPECT_EQ(a.traffic_lights[0].lane, b.traffic_lights[0].lane);
  EXPECT_EQ(a.traffic_lights[0].state, b.traffic_lights[0].state);
  EXPECT_EQ(a.traffic_lights[0].future, b.traffic_lights[0].future);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SceneStore, RoundTripAcrossShardsByRowTokenAndStream) {
  const auto dir = temp_dir("store-roundtrip");
  std::vector<Scene> scenes;
  {
    SceneStoreWriter w(dir.string(), {/*shard_size=*/3, /*compression=*/4});
    w.add_map(square_map("m"));
    for (int k = 0; k < 8; ++k) {
      scenes.push_back(make_scene("tok-" + std::to_string(k), "m", k, 10 + k));  // varying lengths
      w.add(scenes.back());
    }
    EXPECT_EQ(w.close(), 8u);
  }
  const auto store = SceneStore::open(dir.string());
  ASSERT_EQ(store.size(), 8u);
  EXPECT_EQ(store.shard_files().size(), 3u);  // 3 + 3 + 2
  for (size_t i = 0; i < scenes.size(); ++i) expect_same(store.read(i), scenes[i]);
  expect_same(store.read("tok-5"), scenes[5]);
  EXPECT_FALSE(store.find("nope").has_value());
  size_t i = 0;
  store.for_each([&](const Scene& s) { expect_same(s, scenes[i++]); });
  EXPECT_EQ(i, 8u);
  EXPECT_TRUE(*store.map("m") == square_map("m"));
  EXPECT_TRUE(store.unlisted_files().empty());
  fs::remove_all(dir);
}

// The filters of one dataset of an HDF5 file (ids: 1 deflate, 2 shuffle, 32004 LZ4).
std::vector<int> filters_of(const std::string& file, const std::string& dataset) {
  const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  const hid_t plist = H5Dget_create_plist(d);
  std::vector<int> ids;
  for (int i = 0; i < H5Pget_nfilters(plist); ++i) {
    unsigned flags = 0, config = 0;
    size_t n = 0;
    ids.push_back(static_cast<int>(H5Pget_filter2(plist, static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr,
                                                  &config)));
  }
  H5Pclose(plist);
  H5Dclose(d);
  H5Fclose(f);
  return ids;
}

// LZ4 (the default), gzip and no compression all round-trip, and one store may hold shards of
// each: the codec is per dataset, so appending with another codec needs no rewrite.
TEST(SceneStore, EveryCodecRoundTripsAndOneStoreMixesThem) {
  const auto dir = temp_dir("store-codecs");
  std::vector<Scene> scenes;
  const std::vector<std::pair<std::string, int64_t>> codecs = {{"gzip", 4}, {"lz4", 4}, {"lz4", 0}};
  for (size_t c = 0; c < codecs.size(); ++c) {
    StoreOptions o;
    o.shard_size = 2;
    o.codec = codecs[c].first;
    o.compression = codecs[c].second;
    o.append = c > 0;
    SceneStoreWriter w(dir.string(), o);
    if (c == 0) w.add_map(square_map("m"));
    for (int k = 0; k < 2; ++k) {
      scenes.push_back(make_scene("tok-" + std::to_string(scenes.size()), "m", k, 12 + 3 * k));
      w.add(scenes.back());
    }
    w.close();
  }
  const auto store = SceneStore::open(dir.string());
  ASSERT_EQ(store.shard_files().size(), 3u);
  for (size_t i = 0; i < scenes.size(); ++i) expect_same(store.read(i), scenes[i]);
  size_t i = 0;
  store.for_each([&](const Scene& s) { expect_same(s, scenes[i++]); });
  EXPECT_EQ(i, scenes.size());
  const auto shard = [&](size_t k) { return (dir / store.shard_files()[k]).string(); };
  EXPECT_EQ(filters_of(shard(0), "agents/state"), (std::vector<int>{2, 1}));  // shuffle, deflate
  EXPECT_EQ(filters_of(shard(1), "agents/state"), (std::vector<int>{32004}));
  EXPECT_TRUE(filters_of(shard(2), "agents/state").empty());  // compression 0: stored as it is
  EXPECT_EQ(filters_of((dir / "index.h5").string(), "scenes/token"), (std::vector<int>{2, 1}));  // index: gzip
  fs::remove_all(dir);

  StoreOptions bad;
  bad.codec = "zstd";
  EXPECT_EQ(error_of([&] { SceneStoreWriter w(temp_dir("store-badcodec").string(), bad); }),
            "store.codec: expected gzip or lz4, got \"zstd\"");
}

// More shards than the reader keeps open: reads in any order, interleaved with streaming passes,
// close and reopen shards and still return every scene as written.
TEST(SceneStore, ReadsAcrossManyMoreShardsThanItKeepsOpen) {
  const auto dir = temp_dir("store-manyshards");
  std::vector<Scene> scenes;
  {
    SceneStoreWriter w(dir.string(), {/*shard_size=*/1, /*compression=*/4});
    w.add_map(square_map("m"));
    for (int k = 0; k < 40; ++k) {
      scenes.push_back(make_scene("tok-" + std::to_string(k), "m", k % 5, 10 + k % 7));
      w.add(scenes.back());
    }
    w.close();
  }
  const auto store = SceneStore::open(dir.string());
  ASSERT_EQ(store.shard_files().size(), 40u);
  for (size_t round = 0; round < 3; ++round) {
    for (size_t i = 0; i < scenes.size(); ++i) {
      const size_t j = (i * 17 + round * 5) % scenes.size();  // a permutation: 17 is prime to 40
      expect_same(store.read(j), scenes[j]);
      EXPECT_LE(store.open_shards(), SceneStore::kMaxOpenShards);
    }
    EXPECT_EQ(store.open_shards(), SceneStore::kMaxOpenShards);
    size_t i = 0;
    store.for_each([&](const Scene& s) { expect_same(s, scenes[i++]); });
    EXPECT_EQ(i, scenes.size());
    EXPECT_EQ(store.open_shards(), 0u);  // a pass closes each shard behind it
  }
  fs::remove_all(dir);
}

// read_rows: any order, runs within a shard read as one block, runs split at shard borders;
// close_shards() releases every open shard.
TEST(SceneStore, ReadRowsInAnyOrderAcrossShards) {
  const auto dir = temp_dir("store-readrows");
  std::vector<Scene> scenes;
  {
    SceneStoreWriter w(dir.string(), {/*shard_size=*/4, /*compression=*/4});
    w.add_map(square_map("m"));
    for (int k = 0; k < 11; ++k) {
      scenes.push_back(make_scene("tok-" + std::to_string(k), "m", k % 3, 10 + k % 4));
      w.add(scenes.back());
    }
    w.close();
  }
  const auto store = SceneStore::open(dir.string());
  const std::vector<size_t> rows = {2, 3, 4, 5, 9, 10, 0, 7, 6, 6};  // runs 2-3 | 4-5, 9-10, back, repeats
  const auto got = store.read_rows(rows);
  ASSERT_EQ(got.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) expect_same(got[i], scenes[rows[i]]);
  EXPECT_GT(store.open_shards(), 0u);
  store.close_shards();
  EXPECT_EQ(store.open_shards(), 0u);
  EXPECT_TRUE(store.read_rows({}).empty());
  EXPECT_EQ(error_of([&] { store.read_rows({1, 11}); }),
            "scene store \"" + dir.string() + "\": row 11 out of range (size 11)");
  fs::remove_all(dir);
}

// /agents/category is optional (added within schema 1): shards written before it read as
// kUnspecified, with the coarse type intact.
TEST(SceneStore, ShardsWithoutAgentCategoriesStillRead) {
  const auto dir = temp_dir("store-nocategory");
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    w.add(make_scene("tok-0", "m", 0, 10));
    w.close();
  }
  const auto shard = (dir / "shard-000000.h5").string();
  const hid_t f = H5Fopen(shard.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_GE(H5Ldelete(f, "agents/category", H5P_DEFAULT), 0);
  H5Fclose(f);
  const Scene s = SceneStore::open(dir.string()).read(0);
  ASSERT_EQ(s.agents.size(), 2u);
  EXPECT_EQ(s.agents[0].type, AgentType::kVehicle);
  EXPECT_EQ(s.agents[1].type, AgentType::kPedestrian);
  for (const auto& a : s.agents) EXPECT_EQ(a.category, AgentCategory::kUnspecified);
  fs::remove_all(dir);
}

// Light states at future steps round-trip per light; shards written before the columns existed
// read with empty futures (the scorer then holds the current state).
TEST(SceneStore, LightFutureStatesRoundTripAndOlderShardsHoldTheCurrentState) {
  const auto dir = temp_dir("store-lightfuture");
  Scene a = make_scene("tok-0", "m", 0, 10);
  Scene b = make_scene("tok-1", "m", 1, 10);
  a.traffic_lights[0].future = {LightState::kRed, LightState::kRed, LightState::kGreen};
  b.traffic_lights.push_back({"l1", LightState::kYellow, {LightState::kRed}});
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    w.add(a);
    w.add(b);
    w.close();
  }
  {
    auto store = SceneStore::open(dir.string());
    const Scene ra = store.read(0), rb = store.read(1);
    EXPECT_EQ(ra.traffic_lights[0].future, a.traffic_lights[0].future);
    ASSERT_EQ(rb.traffic_lights.size(), 2u);
    EXPECT_TRUE(rb.traffic_lights[0].future.empty());
    EXPECT_EQ(rb.traffic_lights[1].future, std::vector<LightState>{LightState::kRed});
  }
  {  // a light cannot know more future than the scene has
    Scene c = make_scene("tok-2", "m", 2, 10);
    c.traffic_lights[0].future.assign(static_cast<size_t>(c.num_future()) + 1, LightState::kRed);
    SceneStoreWriter w((dir.string() + "-long"), {});
    w.add_map(square_map("m"));
    try {
      w.add(c);
      ADD_FAILURE() << "a light future longer than the ego's was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("scene tok-2: light on lane l2 has"), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir.string() + "-long");
  const auto shard = (dir / "shard-000000.h5").string();
  const hid_t f = H5Fopen(shard.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  EXPECT_GE(H5Ldelete(f, "traffic_lights/future", H5P_DEFAULT), 0);
  EXPECT_GE(H5Ldelete(f, "traffic_lights/future_offset", H5P_DEFAULT), 0);
  H5Fclose(f);
  const Scene old = SceneStore::open(dir.string()).read(0);
  EXPECT_EQ(old.traffic_lights[0].state, LightState::kRed);
  EXPECT_TRUE(old.traffic_lights[0].future.empty());
  fs::remove_all(dir);
}

TEST(SceneStore, AppendAddsShardsAndReusesIdenticalMaps) {
  const auto dir = temp_dir("store-append");
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    w.add(make_scene("a", "m", 0));
    w.close();
  }
  {
    SceneStoreWriter w(dir.string(), {1024, 0, /*append=*/true});
    w.add_map(square_map("m"));  // identical: reused
    w.add(make_scene("b", "m", 1));
    EXPECT_NE(error_of([&] { w.add(make_scene("a", "m", 2)); }).find("scene a: duplicate token"), std::string::npos);
    Map changed = square_map("m");
    changed.lanes[0].speed_limit = 1.0;
    EXPECT_NE(error_of([&] { w.add_map(changed); }).find("map \"m\" already exists with different content"),
              std::string::npos);
    w.close();
  }
  const auto store = SceneStore::open(dir.string());
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.read("b").timestamp_us, 1000000);
  EXPECT_EQ(store.map_ids(), std::vector<std::string>{"m"});
  fs::remove_all(dir);
}

TEST(SceneStore, RejectsBadScenesNamingTokenFieldAndRow) {
  const auto dir = temp_dir("store-bad");
  SceneStoreWriter w(dir.string(), {});
  w.add_map(square_map("m"));
  Scene nan_scene = make_scene("t-nan", "m", 0);
  nan_scene.ego[4].y = std::nan("");
  EXPECT_EQ(error_of([&] { w.add(nan_scene); }), "scene t-nan: ego state row 4 column y is nan");
  Scene inf_agent = make_scene("t-inf", "m", 0);
  inf_agent.agents[1].states[2].vx = INFINITY;
  EXPECT_EQ(error_of([&] { w.add(inf_agent); }), "scene t-inf: agent agent-1 state row 2 column vx is inf");
  Scene no_map = make_scene("t-map", "other", 0);
  EXPECT_EQ(error_of([&] { w.add(no_map); }), "scene t-map: map \"other\" was not added to the store");
  Scene empty = make_scene("t-empty", "m", 0);
  empty.ego.clear();
  empty.agents.clear();
  EXPECT_EQ(error_of([&] { w.add(empty); }), "scene t-empty: no ego states");
  Map bad_map = square_map("bad");
  bad_map.lanes[0].centerline[1].x = std::nan("");
  EXPECT_EQ(error_of([&] { w.add_map(bad_map); }), "map bad: lane l1 centerline point 1 is (nan, 0)");
}

TEST(SceneStore, WriterWithoutCloseLeavesNothing) {
  const auto dir = temp_dir("store-abort");
  try {
    SceneStoreWriter w(dir.string(), {2, 4});
    w.add_map(square_map("m"));
    for (int k = 0; k < 5; ++k) w.add(make_scene("t" + std::to_string(k), "m", k));  // two shards flushed
    throw std::runtime_error("importer failed half-way");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fs::exists(dir)) << "a new store that failed must disappear";

  // Appending that fails leaves the existing store exactly as it was.
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    w.add(make_scene("keep", "m", 0));
    w.close();
  }
  try {
    SceneStoreWriter w(dir.string(), {1, 4, true});
    w.add(make_scene("x1", "m", 1));
    w.add(make_scene("x2", "m", 2));
    throw std::runtime_error("killed");
  } catch (const std::runtime_error&) {
  }
  const auto store = SceneStore::open(dir.string());
  EXPECT_EQ(store.size(), 1u);
  EXPECT_TRUE(store.unlisted_files().empty());
  fs::remove_all(dir);
}

TEST(SceneStore, RefusesToOverwriteAnExistingDirectory) {
  const auto dir = temp_dir("store-exists");
  fs::create_directories(dir);
  std::ofstream(dir / "something") << "x";
  EXPECT_NE(error_of([&] { SceneStoreWriter w(dir.string(), {}); }).find("already exists and is not empty"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "something"));
  fs::remove_all(dir);
}

TEST(SceneStore, DamagedOrForeignFilesGiveOneClearLine) {
  const auto dir = temp_dir("store-damaged");
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    for (int k = 0; k < 4; ++k) w.add(make_scene("t" + std::to_string(k), "m", k));
    w.close();
  }
  EXPECT_NE(error_of([&] { SceneStore::open((dir / "nope").string()); }).find("not a directory"), std::string::npos);
  EXPECT_NE(error_of([&] { SceneStore::open("/tmp"); }).find("no index.h5"), std::string::npos);

  // Truncate the shard: opening the store still works (index intact) but reading names the file.
  const auto shard = dir / "shard-000000.h5";
  const auto size = fs::file_size(shard);
  fs::resize_file(shard, size / 2);
  const auto store = SceneStore::open(dir.string());
  const std::string e = error_of([&] { store.read(0); });
  EXPECT_NE(e.find("shard-000000.h5"), std::string::npos) << e;

  // A text file posing as the index.
  write_file_atomic((dir / "index.h5").string(), "not hdf5 at all");
  EXPECT_NE(error_of([&] { SceneStore::open(dir.string()); }).find("is not an HDF5 file"), std::string::npos);
  // An empty index.
  write_file_atomic((dir / "index.h5").string(), "");
  EXPECT_NE(error_of([&] { SceneStore::open(dir.string()); }).find("index.h5"), std::string::npos);
  fs::remove_all(dir);
}

TEST(SceneStore, UnlistedFilesAreReported) {
  const auto dir = temp_dir("store-unlisted");
  {
    SceneStoreWriter w(dir.string(), {});
    w.add_map(square_map("m"));
    w.add(make_scene("a", "m", 0));
    w.close();
  }
  std::ofstream(dir / ".shard-000001.h5.tmp-123-0") << "left by kill -9";
  const auto store = SceneStore::open(dir.string());
  EXPECT_EQ(store.unlisted_files(), std::vector<std::string>{".shard-000001.h5.tmp-123-0"});
  fs::remove_all(dir);
}

// The store must be readable by h5py users as docs/data-format.md describes: write here,
// check every value from Python.
TEST(SceneStore, ReadableWithH5py) {
  if (!fs::exists(AUTOSCALE_PYTHON)) GTEST_SKIP() << "no " << AUTOSCALE_PYTHON;
  const auto dir = temp_dir("store-h5py");
  nlohmann::json expected;
  {
    SceneStoreWriter w(dir.string(), {2, 4});
    w.add_map(square_map("m"));
    for (int k = 0; k < 5; ++k) {
      const Scene s = make_scene("tok-" + std::to_string(k), "m", k, 8 + k);
      w.add(s);
      nlohmann::json j;
      j["log"] = s.log;
      j["map_id"] = s.map_id;
      j["domain"] = static_cast<int>(s.domain);
      j["num_history"] = s.num_history;
      for (const auto& e : s.ego) j["ego"].push_back({e.x, e.y, e.heading, e.vx, e.vy, e.ax, e.ay});
      for (const auto& a : s.agents) {
        nlohmann::json ja{{"id", a.id}, {"type", static_cast<int>(a.type)}, {"size", {a.length, a.width, a.height}}};
        for (const auto& st : a.states) {
          ja["state"].push_back({st.x, st.y, st.heading, st.vx, st.vy});
          ja["valid"].push_back(st.valid ? 1 : 0);
        }
        j["agents"].push_back(ja);
      }
      j["route"] = s.route;
      j["traffic_lights"] = nlohmann::json::array();
      for (const auto& l : s.traffic_lights) j["traffic_lights"].push_back({l.lane, static_cast<int>(l.state)});
      expected[s.token] = j;
    }
    w.close();
  }
  const auto json_path = dir.string() + ".expected.json";
  write_file_atomic(json_path, expected.dump());
  const std::string cmd = std::string(AUTOSCALE_PYTHON) + " " + AUTOSCALE_TESTS_DIR +
                          "/scripts/check_cpp_store.py " + dir.string() + " " + json_path;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  fs::remove_all(dir);
  fs::remove(json_path);
}

}  // namespace
}  // namespace autoscale::scene
