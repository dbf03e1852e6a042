#include "autoscale/loop/options.h"

#include <algorithm>

#include "autoscale/core/error.h"

namespace autoscale::loop {

namespace {
// The docs of the method fields, from the method table (kept alive: the visitor takes char*).
const char* compare_methods_doc() {
  static const std::string doc = "methods run side by side (" + methods_help() + ")";
  return doc.c_str();
}
}  // namespace

CompareOptions::CompareOptions() : methods(compared_method_names()) {}

void AutoscaleV2Options::visit(ConfigVisitor& v) {
  v.field("priors", priors,
          "static mixtures nested as the prior, the default first: real_likeness (domain classifier's top-N of the "
          "gated pool) | uniform (uniform draw of the gated pool = gated_random); a later one replaces the "
          "incumbent only on paired out-of-fold evidence, and orders each cluster's fill in the steps");
  v.field("label_min_pdms", label_min_pdms,
          "quality gate: a synthetic scene can be selected only if its own label (the plan it teaches) scores at "
          "least this PDMS (0 = no gate)",
          in_range(0, 1));
  v.field("inner_folds", inner_folds,
          "the training logs are dealt into this many folds; a proxy trained without a fold scores it (out-of-fold "
          "feedback over every training log)",
          at_least(2));
  v.field("window_stride_s", window_stride_s, "out-of-fold windows are scored this far apart per log [s]",
          at_least(0));
  v.field("validation_feedback", validation_feedback,
          "also score the validation logs out of sample (dealt across the inner folds; no proxy trains on them), so "
          "feedback sees scene types the training logs lack");
  v.field("rounds", rounds,
          "candidate steps at most: an accepted candidate is the next step's prior; the first rejected step ends the "
          "search",
          at_least(1));
  v.section("evidence", evidence, "the candidate step and the paired evidence it needs");
}

void CompareOptions::visit(ConfigVisitor& v) {
  v.field("methods", methods, compare_methods_doc());
  v.field("seeds", seeds, "seeds per method (run.seed, run.seed + 1, ...)", at_least(1));
  v.field("reference", reference, "the method ΔPDMS and its paired-bootstrap CI are measured against",
          Choices(method_names()));
  v.field("curve_budgets", curve_budgets,
          "extra synthetic budgets N_syn for the PDMS-vs-N_syn curve of vanilla_random, autoscale and autoscale_v2 [scenes]",
          at_least(1));
  v.field("bootstrap", bootstrap,
          "two-level bootstrap resamples (test logs within folds, then seeds) for the 95% CIs and the MDE",
          at_least(100));
  v.field("folds", folds,
          "cross-fitted compare: run every method on each of the first `folds` folds of data.split.folds "
          "(0 = all of them; needs data.split.folds)",
          at_least(0));
  v.field("planners", planners,
          "planner kinds (transformer, ego_mlp, gated) each method is trained with, side by side; the reference is "
          "the reference method with the first; empty = train.planner.kind");
}

void LoopOptions::visit(ConfigVisitor& v) {
  v.field("real", real, "real scene stores, split by log into train/val/test (data.split)");
  v.field("synthetic", synthetic, "synthetic scene stores: the pool the mixture draws from");
  v.field("embeddings", embeddings,
          "clustered embeddings of every scene (autoscale encode + cluster); \"\" = encode and cluster in the run");
  v.field("method", method, "what `autoscale run` does (see compare.methods)", Choices(method_names()));
  v.field("synthetic_budget", synthetic_budget, "N_syn: synthetic scenes in the training mixture [scenes]",
          at_least(0));
  v.field("iterations", iterations, "T: closed-loop iterations (search methods)", at_least(1));
  v.field("budget_mode", budget_mode,
          "offline: search on proxy trainings, then train the final model from scratch; online: one training split "
          "into T stages while the mixture changes",
          Choices{"offline", "online"});
  v.field("proxy_fraction", proxy_fraction, "offline: share of train.steps each search iteration trains",
          {0, 1, true, false});
  v.field("final_weights", final_weights, "offline: final mixture from the averaged (DoReMi) or the last weights",
          Choices{"average", "last"});
  v.field("alignment_val_samples", alignment_val_samples,
          "V': validation scenes in the failure-weighted gradient [scenes]", at_least(1));
  v.field("alignment_cluster_samples", alignment_cluster_samples,
          "X_k: synthetic samples per cluster gradient [scenes]", at_least(1));
  v.field("test_stride_s", test_stride_s,
          "score test windows every this many seconds of each log (0 = every window; windows 0.1 s apart are near "
          "duplicates) [s]",
          at_least(0));
  v.field("loss_samples", loss_samples, "doremi/odm: samples per cluster whose loss is measured [scenes]",
          at_least(1));
  v.field("scoring_cache_scenes", scoring_cache_scenes,
          "validation, test and search scenes kept prepared (metric cache with PDM-Closed) for every later scoring "
          "in the process, ~0.3-0.4 MiB each; the scores are the same, 0 prepares every scene anew [scenes]",
          at_least(0));
  v.section("cluster_ga", cluster_ga, "Cluster-GA: exponentiated-gradient steps on the cluster weights");
  v.section("retrieval", retrieval, "failure-guided retrieval within each cluster");
  v.section("doremi", doremi, "DoReMi baseline (clusters as domains)");
  v.section("v2", v2, "AutoScale v2: the domain classifier's selection, moved only on paired evidence");
  v.section("compare", compare, "`autoscale compare`: methods side by side");
}

void LoopOptions::validate() const {
  for (const auto& m : compare.methods) with_context("loop.compare.methods", [&] { method_info(m); });
  for (const auto& p : compare.planners) {
    AUTOSCALE_CHECK(p == "transformer" || p == "ego_mlp" || p == "gated",
                    "loop.compare.planners: unknown planner {} (transformer | ego_mlp | gated)", quote(p));
  }
  AUTOSCALE_CHECK(!v2.priors.empty(), "loop.v2.priors: empty: expected at least one of real_likeness | uniform");
  for (size_t i = 0; i < v2.priors.size(); ++i) {
    const auto& p = v2.priors[i];
    AUTOSCALE_CHECK(p == "real_likeness" || p == "uniform",
                    "loop.v2.priors: unknown prior {} (real_likeness | uniform)", quote(p));
    AUTOSCALE_CHECK(std::find(v2.priors.begin(), v2.priors.begin() + static_cast<long>(i), p) ==
                        v2.priors.begin() + static_cast<long>(i),
                    "loop.v2.priors: {} is listed twice", quote(p));
  }
  AUTOSCALE_CHECK(compare.methods.empty() ||
                      std::find(compare.methods.begin(), compare.methods.end(), compare.reference) !=
                          compare.methods.end(),
                  "loop.compare.reference: {} is not one of loop.compare.methods", quote(compare.reference));
}

}  // namespace autoscale::loop
