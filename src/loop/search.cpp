#include "search.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <random>

#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"
#include "autoscale/mixture/allocation.h"
#include "autoscale/mixture/baselines.h"
#include "autoscale/mixture/cluster_ga.h"
#include "autoscale/mixture/guided_retrieval.h"
#include "autoscale/train/gradients.h"

namespace autoscale::loop {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A fixed random sample of each cluster's pool, measured every iteration (losses, gradients).
std::vector<std::vector<int64_t>> cluster_samples(const JobContext& ctx, int64_t n, const char* tag) {
  std::vector<std::vector<int64_t>> s;
  for (size_t k = 0; k < ctx.data.pool_by_cluster.size(); ++k) {
    s.push_back(mixture::random_subset(ctx.data.pool_by_cluster[k], n, derive_seed(ctx.spec.seed, tag, {k})));
  }
  return s;
}

// The model's training loss on each cluster's fixed sample (DoReMi, ODM).
std::vector<std::vector<double>> cluster_losses(const train::Planner& planner, const JobContext& ctx,
                                                const std::vector<std::vector<int64_t>>& samples) {
  std::vector<std::vector<double>> losses;
  for (const auto& xs : samples) losses.push_back(train::sample_losses(planner, ctx.data.data, xs));
  return losses;
}

// ---------------------------------------------------------------------------------------------
// Cluster-GA (autoscale) and its alignment-only ablation with random picks (DoGE-cluster).
class ClusterGaSearch : public Search {
 public:
  ClusterGaSearch(const JobContext& ctx, bool guided) : guided_(guided), options_(ctx.config.loop.cluster_ga) {
    if (!guided_) {  // DoGE (OOD): gradient alignment with the real-validation gradient only
      options_.use_deficit = false;
      options_.use_finite_difference = false;
      options_.use_alignment = true;
      options_.gamma_alignment = std::max(options_.gamma_alignment, 1.0);
    }
    std::vector<int64_t> counts;
    for (const auto& rows : ctx.data.val_by_cluster) counts.push_back(static_cast<int64_t>(rows.size()));
    state_ = mixture::cluster_ga_init(options_, counts);
    previous_.assign(counts.size(), {});
  }

  Selection select(const JobContext& ctx, int64_t t) override {
    return pick(ctx, state_.weights, derive_seed(ctx.spec.seed, "select", {static_cast<uint64_t>(t)}));
  }

  nlohmann::json update(const JobContext& ctx, int64_t /*t*/, const train::Planner& planner,
                        const eval::EvalReport& val) override {
    const auto& d = ctx.data;
    const size_t K = d.pool_by_cluster.size();
    val_pdms_.assign(d.val.size(), kNaN);
    mixture::ClusterFeedback fb;
    fb.pdms_sum.assign(K, 0.0);
    fb.count.assign(K, 0);
    for (size_t i = 0; i < d.val.size(); ++i) {
      if (!val.scenes[i].valid) continue;
      val_pdms_[i] = val.scenes[i].scores.score;
      const auto k = static_cast<size_t>(d.cluster[static_cast<size_t>(d.val[i])]);
      fb.pdms_sum[k] += val_pdms_[i];
      ++fb.count[k];
    }
    if (options_.use_alignment && options_.gamma_alignment > 0) {
      const auto t0 = Clock::now();
      fb.alignment = alignment(ctx, planner);
      extra_seconds += seconds_since(t0);
    }
    const auto step = mixture::cluster_ga_step(options_, state_, fb);
    cluster_pdms_ = step.cluster_pdms;
    return {{"cluster_pdms", numbers_json(step.cluster_pdms)}, {"cluster_count", fb.count},
            {"deficit", numbers_json(step.deficit)},           {"alignment", numbers_json(step.alignment)},
            {"finite_difference", numbers_json(step.finite_difference)}, {"gradient", numbers_json(step.gradient)},
            {"next_weights", step.weights}};
  }

  Selection final_selection(const JobContext& ctx) override {
    const auto w = ctx.config.loop.final_weights == "average" ? mixture::cluster_ga_average(state_) : state_.weights;
    return pick(ctx, w, derive_seed(ctx.spec.seed, "final"));
  }

  std::vector<double> weights() const override { return state_.weights; }

  nlohmann::json save() const override {
    return {{"iteration", state_.iteration},
            {"weights", state_.weights},
            {"previous_weights", state_.previous_weights},
            {"previous_cluster_pdms", numbers_json(state_.previous_cluster_pdms)},
            {"history", state_.history},
            {"previous_selection", previous_},
            {"val_pdms", numbers_json(val_pdms_)},
            {"cluster_pdms", numbers_json(cluster_pdms_)}};
  }

  void load(const nlohmann::json& j, const fs::path& file) override {
    state_.iteration = field<int64_t>(j, "iteration", file);
    state_.weights = field<std::vector<double>>(j, "weights", file);
    state_.previous_weights = field<std::vector<double>>(j, "previous_weights", file);
    state_.previous_cluster_pdms = read_numbers(j, "previous_cluster_pdms", file);
    state_.history = field<std::vector<std::vector<double>>>(j, "history", file);
    previous_ = field<std::vector<std::vector<int64_t>>>(j, "previous_selection", file);
    val_pdms_ = read_numbers(j, "val_pdms", file);
    cluster_pdms_ = read_numbers(j, "cluster_pdms", file);
    AUTOSCALE_CHECK(state_.weights.size() == previous_.size(), "{}: {} weights for {} clusters", file.string(),
                    state_.weights.size(), previous_.size());
  }

 private:
  Selection pick(const JobContext& ctx, const std::vector<double>& weights, uint64_t seed) {
    if (!guided_) return random_within_clusters(ctx, weights, seed);
    const auto& d = ctx.data;
    const auto& e = d.embeddings;
    Selection s;
    s.weights = weights;
    s.quotas = mixture::allocate(ctx.spec.budget, weights, pool_sizes(d));
    for (size_t k = 0; k < s.quotas.size(); ++k) {
      if (s.quotas[k] == 0) {
        previous_[k].clear();
        continue;
      }
      // Rows of z on the retrieval side; the planner's rows on ours.
      std::unordered_map<int64_t, int64_t> sample_of;
      std::vector<int64_t> candidates, previous;
      for (int64_t r : d.pool_by_cluster[k]) {
        candidates.push_back(d.embedding_row[static_cast<size_t>(r)]);
        sample_of.emplace(candidates.back(), r);
      }
      for (int64_t r : previous_[k]) previous.push_back(d.embedding_row[static_cast<size_t>(r)]);
      mixture::ClusterQueries q;
      q.centroid.assign(e.centroids.begin() + static_cast<std::ptrdiff_t>(k * e.dim),
                        e.centroids.begin() + static_cast<std::ptrdiff_t>((k + 1) * e.dim));
      if (!val_pdms_.empty()) {  // after the first iteration: the cluster's scored validation scenes
        for (size_t i = 0; i < d.val.size(); ++i) {
          const auto r = static_cast<size_t>(d.val[i]);
          if (static_cast<size_t>(d.cluster[r]) != k || std::isnan(val_pdms_[i])) continue;
          q.val_rows.push_back(d.embedding_row[r]);
          q.val_pdms.push_back(std::clamp(val_pdms_[i], 0.0, 1.0));
        }
        q.cluster_pdms = std::clamp(cluster_pdms_.at(k), 0.0, 1.0);
      }
      const auto g = mixture::guided_retrieve(ctx.config.loop.retrieval, e.z, e.dim, q, candidates, s.quotas[k],
                                              derive_seed(seed, "cluster", {k}), previous);
      previous_[k].clear();
      for (int64_t z_row : g.rows) previous_[k].push_back(sample_of.at(z_row));
      s.rows.insert(s.rows.end(), previous_[k].begin(), previous_[k].end());
    }
    return s;
  }

  // a_k = cos(g_k, g_val): g_val weights each validation scene by its failure 1 − PDMS.
  std::vector<double> alignment(const JobContext& ctx, const train::Planner& planner) const {
    const auto& d = ctx.data;
    const auto& lo = ctx.config.loop;
    std::vector<int64_t> scored;
    for (size_t i = 0; i < d.val.size(); ++i) {
      if (!std::isnan(val_pdms_[i])) scored.push_back(static_cast<int64_t>(i));
    }
    const auto picked = mixture::random_subset(scored, lo.alignment_val_samples, derive_seed(ctx.spec.seed, "val"));
    std::vector<int64_t> rows;
    std::vector<double> failure;
    for (int64_t i : picked) {
      rows.push_back(d.val[static_cast<size_t>(i)]);
      failure.push_back(1 - std::clamp(val_pdms_[static_cast<size_t>(i)], 0.0, 1.0));
    }
    const auto g_val = train::head_gradient(planner, d.data, rows, failure);
    std::vector<double> a;
    for (const auto& xs : cluster_samples(ctx, lo.alignment_cluster_samples, "align")) {
      if (xs.empty()) {
        a.push_back(kNaN);
        continue;
      }
      const double c = train::cosine(train::head_gradient(planner, d.data, xs, std::vector<double>(xs.size(), 1.0)), g_val);
      a.push_back(std::isfinite(c) ? std::clamp(c, -1.0, 1.0) : kNaN);
    }
    return a;
  }

  bool guided_;
  mixture::ClusterGaOptions options_;
  mixture::ClusterGaState state_;
  std::vector<std::vector<int64_t>> previous_;  // the last selection per cluster (cumulative mode)
  std::vector<double> val_pdms_;                // the last model's PDMS per validation scene
  std::vector<double> cluster_pdms_;            // P_k of the last step
};

// ---------------------------------------------------------------------------------------------
// DoReMi-cluster: a real-only reference model, then per iteration the proxy's excess loss over it
// on a fixed sample of each cluster moves the weights (group DRO); the output is their average.
class DoremiSearch : public Search {
 public:
  explicit DoremiSearch(const JobContext& ctx) {
    std::vector<double> sizes;
    for (const auto& rows : ctx.data.pool_by_cluster) sizes.push_back(static_cast<double>(rows.size()));
    state_ = mixture::doremi_init(sizes);
  }

  void prepare(const JobContext& ctx) override {
    const auto t0 = Clock::now();
    const auto& cfg = ctx.config;
    const int64_t steps = std::max<int64_t>(1, std::llround(cfg.loop.proxy_fraction * cfg.train.steps));
    const auto reference = train_selection(ctx, ctx.dir / "reference", Selection{}, steps, ctx.spec.seed);
    samples_ = cluster_samples(ctx, cfg.loop.loss_samples, "loss");
    reference_loss_ = cluster_losses(*reference.planner, ctx, samples_);
    extra_seconds += seconds_since(t0);
  }

  Selection select(const JobContext& ctx, int64_t t) override {
    return random_within_clusters(ctx, state_.weights, derive_seed(ctx.spec.seed, "select", {static_cast<uint64_t>(t)}));
  }

  nlohmann::json update(const JobContext& ctx, int64_t, const train::Planner& planner, const eval::EvalReport&) override {
    const auto t0 = Clock::now();
    std::vector<double> excess;
    const auto losses = cluster_losses(planner, ctx, samples_);
    for (size_t k = 0; k < samples_.size(); ++k) {
      double sum = 0;  // DoReMi clips per sample, then averages
      const auto& loss = losses[k];
      for (size_t i = 0; i < loss.size(); ++i) sum += std::max(loss[i] - reference_loss_[k][i], 0.0);
      excess.push_back(loss.empty() ? 0.0 : sum / static_cast<double>(loss.size()));
    }
    mixture::doremi_step(ctx.config.loop.doremi, state_, excess);
    extra_seconds += seconds_since(t0);
    return {{"excess_loss", excess}, {"next_weights", state_.weights}};
  }

  Selection final_selection(const JobContext& ctx) override {
    return random_within_clusters(ctx, state_.average, derive_seed(ctx.spec.seed, "final"));
  }
  std::vector<double> weights() const override { return state_.weights; }
  nlohmann::json save() const override {
    return {{"steps", state_.steps}, {"weights", state_.weights}, {"average", state_.average}};
  }
  void load(const nlohmann::json& j, const fs::path& file) override {
    state_.steps = field<int64_t>(j, "steps", file);
    state_.weights = field<std::vector<double>>(j, "weights", file);
    state_.average = field<std::vector<double>>(j, "average", file);
  }

 private:
  mixture::DoremiState state_;
  std::vector<std::vector<int64_t>> samples_;
  std::vector<std::vector<double>> reference_loss_;
};

// ---------------------------------------------------------------------------------------------
// ODM-cluster: EXP3 over clusters. ODM pulls once per training batch; here the pulls of an
// iteration (one per optimiser step it trained) happen after it, each rewarded with the loss of
// a random sample of the pulled cluster under the iteration's model.
class OdmSearch : public Search {
 public:
  explicit OdmSearch(const JobContext& ctx) : bandit_(static_cast<int64_t>(ctx.data.pool_by_cluster.size())) {}

  void prepare(const JobContext& ctx) override { samples_ = cluster_samples(ctx, ctx.config.loop.loss_samples, "loss"); }

  Selection select(const JobContext& ctx, int64_t t) override {
    return random_within_clusters(ctx, bandit_.probabilities, derive_seed(ctx.spec.seed, "select", {static_cast<uint64_t>(t)}));
  }

  nlohmann::json update(const JobContext& ctx, int64_t t, const train::Planner& planner, const eval::EvalReport&) override {
    const auto t0 = Clock::now();
    const auto& cfg = ctx.config;
    const auto losses = cluster_losses(planner, ctx, samples_);
    const int64_t pulls = cfg.loop.budget_mode == "online"
                              ? cfg.train.steps / cfg.loop.iterations
                              : std::max<int64_t>(1, std::llround(cfg.loop.proxy_fraction * cfg.train.steps));
    std::mt19937_64 rng(derive_seed(ctx.spec.seed, "odm", {static_cast<uint64_t>(t)}));
    std::vector<int64_t> pulled(samples_.size(), 0);
    for (int64_t p = 0; p < pulls; ++p) {
      const double u = unit_interval(rng());
      const int64_t k = bandit_.sample(u);
      const auto& l = losses[static_cast<size_t>(k)];
      const double loss = l.empty() ? 0.0 : l[static_cast<size_t>(rng() % l.size())];  // an empty cluster teaches nothing
      bandit_.update(k, loss);
      ++pulled[static_cast<size_t>(k)];
    }
    extra_seconds += seconds_since(t0);
    return {{"pulls", pulled}, {"next_weights", bandit_.probabilities}};
  }

  Selection final_selection(const JobContext& ctx) override {
    return random_within_clusters(ctx, bandit_.probabilities, derive_seed(ctx.spec.seed, "final"));
  }
  std::vector<double> weights() const override { return bandit_.probabilities; }
  nlohmann::json save() const override {
    return {{"steps", bandit_.steps}, {"cumulative_reward", bandit_.cumulative_reward},
            {"probabilities", bandit_.probabilities}};
  }
  void load(const nlohmann::json& j, const fs::path& file) override {
    bandit_.steps = field<int64_t>(j, "steps", file);
    bandit_.cumulative_reward = field<std::vector<double>>(j, "cumulative_reward", file);
    bandit_.probabilities = field<std::vector<double>>(j, "probabilities", file);
  }

 private:
  mixture::Exp3 bandit_;
  std::vector<std::vector<int64_t>> samples_;
};

}  // namespace

std::unique_ptr<Search> make_cluster_ga_search(const JobContext& ctx, bool guided) {
  return std::make_unique<ClusterGaSearch>(ctx, guided);
}
std::unique_ptr<Search> make_doremi_search(const JobContext& ctx) { return std::make_unique<DoremiSearch>(ctx); }
std::unique_ptr<Search> make_odm_search(const JobContext& ctx) { return std::make_unique<OdmSearch>(ctx); }

}  // namespace autoscale::loop
