// The method registry: each selection method once, with what it runs. mixture-design 5.3 and
// mixture-review §3 describe them; the iterative ones live in search.cpp, the searched ones in
// autoscale_v2.cpp and best_of_random.cpp, the one-shot baselines here.
#include "autoscale/loop/methods.h"

#include <fmt/format.h>

#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"
#include "autoscale/mixture/baselines.h"
#include "method_table.h"

namespace autoscale::loop {

namespace {

std::vector<int64_t> pool_rows_at(const ExperimentData& d, const std::vector<int64_t>& indices) {
  std::vector<int64_t> rows;
  for (int64_t i : indices) rows.push_back(d.pool[static_cast<size_t>(i)]);
  return rows;
}

uint64_t method_seed(const JobContext& ctx) { return derive_seed(ctx.spec.seed, ctx.spec.method); }

Selection no_synthetic(const JobContext&) { return {}; }

Selection whole_pool(const JobContext& ctx) { return {ctx.data.pool, {}, {}}; }

Selection uniform_random(const JobContext& ctx) {
  return {mixture::random_subset(ctx.data.pool, ctx.spec.budget, method_seed(ctx)), {}, {}};
}

Selection stratified(const JobContext& ctx) {
  return random_within_clusters(ctx, mixture::stratified_weights(ctx.data.clusters()), method_seed(ctx));
}

// Uniform among the scenes whose own label passes v2's quality gate: the gate alone, as an
// ablation of autoscale_v2 (which adds the real-likeness prior and the evidence-gated step).
Selection gated_random(const JobContext& ctx) {
  const double gate = ctx.config.loop.v2.label_min_pdms;
  AUTOSCALE_CHECK(gate > 0, "loop.v2.label_min_pdms: gated_random needs a gate above 0, got {}", gate);
  return {mixture::random_subset(label_gated_pool(ctx), ctx.spec.budget, method_seed(ctx)), {}, {}};
}

// The two real-likeness baselines score the pool against the real training scenes' embeddings.
template <bool kImportance>
Selection real_like(const JobContext& ctx) {
  const auto& d = ctx.data;
  const int64_t n = ctx.spec.budget;
  if (d.pool.empty() || n == 0) return {};
  const auto real_z = embedding_rows(d, d.real_train);
  const auto syn_z = embedding_rows(d, d.pool);
  const int dim = d.embeddings.dim;
  const uint64_t seed = method_seed(ctx);
  return {pool_rows_at(d, kImportance ? mixture::importance_resample(real_z, syn_z, dim, n, seed)
                                      : mixture::most_real_like(real_z, syn_z, dim, n, seed)),
          {}, {}};
}

std::unique_ptr<Search> autoscale_v1(const JobContext& ctx) { return make_cluster_ga_search(ctx, /*guided=*/true); }
std::unique_ptr<Search> doge(const JobContext& ctx) { return make_cluster_ga_search(ctx, /*guided=*/false); }

MethodEntry one_shot(MethodInfo info, Selection (*f)(const JobContext&)) {
  info.kind = MethodKind::kOneShot;
  return {std::move(info), f, nullptr, nullptr, ""};
}
MethodEntry iterative(MethodInfo info, std::unique_ptr<Search> (*f)(const JobContext&)) {
  info.kind = MethodKind::kIterative;
  return {std::move(info), nullptr, f, nullptr, ""};
}
MethodEntry searched(MethodInfo info, FoundSelection (*f)(const JobContext&), std::string decision) {
  info.kind = MethodKind::kSearched;
  return {std::move(info), nullptr, nullptr, f, std::move(decision)};
}

using K = MethodKind;
using B = MethodBudget;

const std::vector<MethodEntry>& entries() {
  // {name, kind (set by the helper), budget, on_curve, compared by default, alias_of, help, scores_labels}
  static const std::vector<MethodEntry> kEntries = {
      one_shot({"real_only", K{}, B::kNone, false, true, "", "no synthetic data"}, no_synthetic),
      one_shot({"vanilla_all", K{}, B::kWholePool, false, true, "", "every synthetic scene"}, whole_pool),
      one_shot({"vanilla_random", K{}, B::kBudget, true, true, "", "N_syn synthetic scenes drawn uniformly"},
               uniform_random),
      one_shot({"stratified", K{}, B::kBudget, false, true, "", "equal quotas per cluster, random within"}, stratified),
      one_shot({"dsir", K{}, B::kBudget, false, true, "", "importance resampling toward the real embeddings"},
               real_like<true>),
      one_shot({"domain_classifier", K{}, B::kBudget, false, true, "",
                "the N_syn synthetic scenes a real/synthetic classifier finds most real-like"},
               real_like<false>),
      one_shot({"gated_random", K{}, B::kBudget, false, false, "",
                "N_syn drawn uniformly among the scenes whose own label passes loop.v2.label_min_pdms", true},
               gated_random),
      iterative({"doremi", K{}, B::kBudget, false, true, "", "group DRO on the excess loss over a real-only reference"},
                make_doremi_search),
      iterative({"doge", K{}, B::kBudget, false, true, "", "Cluster-GA on gradient alignment only"}, doge),
      iterative({"odm", K{}, B::kBudget, false, true, "", "an EXP3 bandit over clusters rewarded by the loss"},
                make_odm_search),
      iterative({"autoscale", K{}, B::kBudget, true, true, "",
                 "AutoScale v1: Cluster-GA on closed-loop feedback with failure-guided retrieval"},
                autoscale_v1),
      iterative({"autoscale_v1", K{}, B::kBudget, false, false, "autoscale", "the same as autoscale"}, autoscale_v1),
      searched({"autoscale_v2", K{}, B::kBudget, true, false, "",
                "the domain classifier's selection, moved toward solvable failures only on paired evidence", true},
               autoscale_v2_selection, "v2/decision.json"),
      searched({"random_best_of", K{}, B::kBudget, false, false, "",
                "the best of loop.iterations random selections by proxy validation PDMS (compute-matched to autoscale)"},
               best_of_random_selection, "best_of/decision.json"),
  };
  return kEntries;
}

}  // namespace

const MethodEntry& method_entry(const std::string& name) {
  for (const auto& e : entries()) {
    if (e.info.name == name) return e;
  }
  AUTOSCALE_THROW("unknown method {} (known: {})", quote(name), fmt::join(method_names(), ", "));
}

const std::vector<MethodInfo>& methods() {
  static const std::vector<MethodInfo> kInfos = [] {
    std::vector<MethodInfo> out;
    for (const auto& e : entries()) out.push_back(e.info);
    return out;
  }();
  return kInfos;
}

const MethodInfo& method_info(const std::string& name) { return method_entry(name).info; }

std::vector<std::string> method_names() {
  std::vector<std::string> out;
  for (const auto& m : methods()) out.push_back(m.name);
  return out;
}

std::vector<std::string> compared_method_names() {
  std::vector<std::string> out;
  for (const auto& m : methods()) {
    if (m.compared) out.push_back(m.name);
  }
  return out;
}

std::string methods_help() {
  std::string out;
  for (const auto& m : methods()) out += fmt::format("{}{}: {}", out.empty() ? "" : "; ", m.name, m.help);
  return out;
}

}  // namespace autoscale::loop
