// What a closed-loop run does (mixture-design 4.6 and 5): the data it mixes, the synthetic
// budget, the loop's iterations and budget mode, and the methods `autoscale compare` runs side
// by side. Every method gets the same optimiser steps (train.steps), seeds and evaluation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "autoscale/core/config.h"
#include "autoscale/mixture/baselines.h"
#include "autoscale/mixture/cluster_ga.h"
#include "autoscale/mixture/evidence.h"
#include "autoscale/mixture/guided_retrieval.h"
#include "autoscale/loop/methods.h"

namespace autoscale::loop {

struct CompareOptions {
  CompareOptions();
  std::vector<std::string> methods;   // default: the methods the table marks as compared (methods.h)
  int64_t seeds = 3;                  // seeds run.seed, run.seed + 1, ...
  std::string reference = "vanilla_random";  // ΔPDMS and its CI are measured against it
  std::vector<double> curve_budgets;  // extra N_syn for the PDMS-vs-N_syn curve (vanilla_random, autoscale, autoscale_v2)
  int64_t bootstrap = 2000;           // two-level bootstrap resamples (logs within folds, seeds)
  int64_t folds = 0;                  // with data.split.folds: run the first `folds` folds (0 = all)
  std::vector<std::string> planners;  // planner kinds compared side by side; empty = train.planner.kind

  void visit(ConfigVisitor& v);
};

// AutoScale v2 (issue 16; mixture-review §3): the domain classifier's selection as the prior,
// a quality gate on every synthetic scene's own label, one failure-aimed candidate inside a trust
// region, and paired cross-fitted proxies over the training logs that must show it is better.
struct AutoscaleV2Options {
  // The static mixtures v2 nests, first the default: real_likeness (the domain classifier's top-N
  // of the gated pool) and uniform (a uniform draw of the gated pool: gated_random's selection for
  // the same seed). A later one replaces the incumbent only on the same paired out-of-fold evidence
  // a step needs; the chosen one also orders each cluster's fill in the steps.
  std::vector<std::string> priors = {"real_likeness", "uniform"};
  double label_min_pdms = 0.9;  // a synthetic scene trains only if its own label scores at least this (0 = no gate)
  int64_t inner_folds = 2;      // the training logs are dealt into this many folds for out-of-fold feedback
  double window_stride_s = 2.0; // out-of-fold windows scored this far apart per log [s]
  // The validation logs join the feedback too, dealt across the inner folds: no proxy trains on
  // them, so each is out of sample for the fold that scores it. They show scene types the
  // training logs lack (testbed T1's removed stops); off, only the training logs are read.
  bool validation_feedback = false;
  // Steps in a row: an accepted candidate becomes the next step's prior (its proxies' scores are
  // the new baseline, so a step costs only its candidate's proxies); the first rejected step,
  // or no failure left to aim at, ends the search.
  int64_t rounds = 3;
  mixture::EvidenceOptions evidence;

  void visit(ConfigVisitor& v);
};

struct LoopOptions {
  std::vector<std::string> real;       // real scene stores (split by log: data.split)
  std::vector<std::string> synthetic;  // synthetic scene stores (the pool)
  std::string embeddings;              // clustered embeddings of every scene; "" = encode and cluster in the run
  std::string method = "autoscale";    // what `autoscale run` does
  int64_t synthetic_budget = 2000;     // N_syn: synthetic scenes in the training mixture
  int64_t iterations = 4;              // T: closed-loop iterations
  std::string budget_mode = "offline"; // offline | online
  double proxy_fraction = 0.25;        // offline: each search iteration trains this share of train.steps
  std::string final_weights = "average";  // offline: the final mixture uses the averaged or the last weights
  int64_t alignment_val_samples = 512; // V': validation scenes in the failure-weighted gradient
  int64_t alignment_cluster_samples = 64;  // X_k: synthetic samples per cluster gradient
  double test_stride_s = 0;            // score test windows this far apart per log (0 = all)
  int64_t loss_samples = 64;           // doremi/odm: samples per cluster whose loss is measured
  int64_t scoring_cache_scenes = 4000;  // prepared scenes kept for rescoring (eval::ScoringCache); 0 = none
  mixture::ClusterGaOptions cluster_ga;
  mixture::GuidedRetrievalOptions retrieval;
  mixture::DoremiOptions doremi;
  AutoscaleV2Options v2;
  CompareOptions compare;

  void visit(ConfigVisitor& v);
  void validate() const;  // cross-field rules; Error names the key
};

}  // namespace autoscale::loop
