// AutoScale v2 (issue 16; mixture-review §3 changes 1, 2, 3, 4, 7): a search that nests the best
// static mixture and moves only on evidence.
//
//   1. gate    a synthetic scene can be chosen only if its own label scores ≥ label_min_pdms
//   2. prior   a static mixture of the gated pool: the domain classifier's top-N (real_likeness) or
//              gated_random's uniform draw (uniform); with several listed, a later one replaces the
//              first only on the paired out-of-fold evidence of step 5 (τ = 0, or no evidence: exactly
//              the first). The chosen prior's order also fills each cluster's quota in the steps.
//   3. feedback  the training logs are dealt into F inner folds; a proxy trained on the other folds
//              plus the prior scores each fold's windows: out-of-fold PDMS for every training log
//              (no proxy trains on synthetic scenes made from the logs it scores); with
//              validation_feedback the validation logs are dealt across the folds as well
//   4. candidate the prior tilted by τ toward the clusters where solvable windows fail, filled in
//              each cluster by the prior's order and relevance to those failures (ranks)
//   5. evidence fold f's candidate, aimed at the other folds' failures only, is trained like the
//              prior's proxy (same seed) and scores fold f's windows; the candidate aimed at every
//              fold's failures replaces the prior only when the paired gain over logs is above 0
//              by z standard errors (cross-fitting: the procedure is scored, not its fit)
//   6. rounds  an accepted candidate is the prior of the next step (up to `rounds` steps), whose
//              trust region grows to min(1, τ·expand); the first rejected step ends the search
//
// Everything is written under JOB/v2/ as it is made; decision.json (written last) and
// chosen/selection.json let a resumed job skip the search.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <unordered_map>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"
#include "autoscale/loop/scoring.h"
#include "autoscale/mixture/allocation.h"
#include "autoscale/mixture/baselines.h"
#include "autoscale/mixture/evidence.h"
#include "search.h"

namespace autoscale::loop {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double cosine(const ExperimentData& d, int64_t a, int64_t b) {
  const auto& e = d.embeddings;
  const float* x = e.z.data() + d.embedding_row[static_cast<size_t>(a)] * e.dim;
  const float* y = e.z.data() + d.embedding_row[static_cast<size_t>(b)] * e.dim;
  double xy = 0, xx = 0, yy = 0;
  for (int j = 0; j < e.dim; ++j) xy += double(x[j]) * y[j], xx += double(x[j]) * x[j], yy += double(y[j]) * y[j];
  return xx > 0 && yy > 0 ? xy / std::sqrt(xx * yy) : 0.0;
}

// One scored window of the out-of-fold pass.
struct Window {
  int64_t row = 0;   // row of the run's samples (a real training window)
  int64_t fold = 0;  // inner fold: scored by the proxy trained without it
  double human = kNaN, prior = kNaN, candidate = kNaN;
};

class V2Search {
 public:
  explicit V2Search(const JobContext& ctx) : ctx_(ctx), d_(ctx.data), o_(ctx.config.loop.v2), dir_(ctx.dir / "v2") {}

  FoundSelection run() {
    const auto t0 = Clock::now();
    FoundSelection result;
    if (fs::exists(dir_ / "decision.json")) {
      const auto j = read_json(dir_ / "decision.json");
      result.selection = read_selection(ctx_, dir_ / "chosen");
      result.search_seconds = field<double>(j, "search_seconds", dir_ / "decision.json");
      return result;
    }
    nlohmann::json decision = {{"method", "autoscale_v2"}};
    const auto gated = gate(decision);
    const int64_t n = std::min<int64_t>(ctx_.spec.budget, static_cast<int64_t>(gated.size()));
    std::vector<Prior> priors;
    for (const auto& name : o_.priors) priors.push_back(make_prior(name, gated, n));
    write_selection(ctx_, dir_ / "prior", priors.front().selection);
    decision["prior"] = priors.front().name;
    decision["prior_weights"] = priors.front().selection.weights;
    Selection chosen = priors.front().selection;
    const auto& ev = o_.evidence;
    if (ev.trust > 0 && n > 0) {
      chosen = search(priors, gated, decision);
    } else if (priors.size() > 1) {
      spdlog::info("{}: loop.v2.evidence.trust = 0: the first prior ({}) is kept, the others are not evaluated",
                   ctx_.spec.name(), priors.front().name);
    }
    // accepted: a step moved the mixture; prior_replaced: a later prior won over the first.
    decision["accepted"] = decision.value("steps_accepted", int64_t{0}) > 0;
    decision["prior_replaced"] = decision.value("prior", priors.front().name) != priors.front().name;
    result.search_seconds = seconds_since(t0);  // of this process: a resumed search counts from its restart
    decision["search_seconds"] = result.search_seconds;
    // Where the search's time goes: proxy training against scoring (the first pass also builds
    // each window's metric cache, which later passes reuse).
    decision["search_cost"] = {{"proxies", cost_.proxies},
                               {"proxy_steps", cost_.steps},
                               {"train_seconds", cost_.train_seconds},
                               {"score_seconds", cost_.score_seconds}};
    spdlog::info("{}: search {:.1f} s: {} proxies ({} steps) trained in {:.1f} s, scored in {:.1f} s", ctx_.spec.name(),
                 result.search_seconds, cost_.proxies, cost_.steps, cost_.train_seconds, cost_.score_seconds);
    write_selection(ctx_, dir_ / "chosen", chosen);
    write_json(dir_ / "decision.json", decision);  // the search's end marker
    result.selection = chosen;
    return result;
  }

 private:
  std::vector<int64_t> clusters_of(const std::vector<int64_t>& rows) const {
    std::vector<int64_t> c;
    for (int64_t r : rows) c.push_back(d_.cluster[static_cast<size_t>(r)]);
    return c;
  }

  // The pool rows whose own label passes the quality gate (the gated_random baseline's pool).
  std::vector<int64_t> gate(nlohmann::json& decision) const {
    auto kept = label_gated_pool(ctx_);
    if (o_.label_min_pdms <= 0) return kept;
    decision["gated_out"] = d_.pool.size() - kept.size();
    spdlog::info("{}: quality gate keeps {} of {} synthetic scenes (label PDMS >= {})", ctx_.spec.name(), kept.size(),
                 d_.pool.size(), o_.label_min_pdms);
    return kept;
  }

  // A static mixture of the gated pool: its n highest-keyed scenes. The key (higher first) also
  // fills each cluster's quota in the steps, so a zero step reproduces the selection.
  struct Prior {
    std::string name;
    std::vector<double> key;  // per gated scene
    Selection selection;
  };

  Prior make_prior(const std::string& name, const std::vector<int64_t>& gated, int64_t n) const {
    Prior p{name, {}, {}};
    if (name == "real_likeness") {
      // P(real | z) of every gated scene: the domain classifier fitted on the real training windows.
      if (!gated.empty()) {
        p.key = mixture::domain_classifier_scores(embedding_rows(d_, d_.real_train), embedding_rows(d_, gated),
                                                  d_.embeddings.dim);
      }
      for (int64_t i : mixture::top_scored(p.key, n, derive_seed(ctx_.spec.seed, "domain_classifier"))) {
        p.selection.rows.push_back(gated[static_cast<size_t>(i)]);
      }
    } else {
      AUTOSCALE_CHECK(name == "uniform", "loop.v2.priors: unknown prior {}", name);
      // gated_random's draw: a partial Fisher-Yates shuffle is a prefix of the full one with the
      // same seed, so the key "earlier in the full shuffle" makes its top-n exactly that draw.
      std::vector<int64_t> index(gated.size());
      std::iota(index.begin(), index.end(), 0);
      const auto order = mixture::random_subset(index, static_cast<int64_t>(index.size()),
                                                derive_seed(ctx_.spec.seed, "gated_random"));
      p.key.resize(gated.size());
      for (size_t at = 0; at < order.size(); ++at) p.key[static_cast<size_t>(order[at])] = -static_cast<double>(at);
      for (size_t at = 0; at < static_cast<size_t>(n); ++at) {
        p.selection.rows.push_back(gated[static_cast<size_t>(order[at])]);
      }
    }
    p.selection.weights = mixture::cluster_histogram(clusters_of(p.selection.rows), d_.clusters());
    return p;
  }

  // The paired out-of-fold gain of each window's `candidate` over its `prior`, one unit per log
  // (a log's windows move together).
  mixture::PairedEvidence log_paired_gain(const std::vector<Window>& windows) const {
    std::map<std::string, std::pair<double, int64_t>> per_log;
    for (const auto& w : windows) {
      if (std::isnan(w.prior) || std::isnan(w.candidate)) continue;
      auto& [sum, count] = per_log[d_.data.info(static_cast<size_t>(w.row)).log];
      sum += w.candidate - w.prior, ++count;
    }
    std::vector<double> sums;
    std::vector<int64_t> counts;
    for (const auto& [log, sc] : per_log) sums.push_back(sc.first), counts.push_back(sc.second);
    return mixture::paired_evidence(sums, counts, o_.evidence.z);
  }

  static nlohmann::json evidence_json(const mixture::PairedEvidence& e, double z) {
    return {{"gain", number_json(e.mean)}, {"se", number_json(e.se)}, {"lower", number_json(e.lower)},
            {"logs", e.units},          {"windows", e.windows}, {"z", z}};
  }

  Selection search(const std::vector<Prior>& priors, const std::vector<int64_t>& gated, nlohmann::json& decision) {
    // Inner folds over the training logs, stratified by source as the outer folds are.
    std::vector<std::string> logs;
    std::map<std::string, std::string> sources;
    for (int64_t r : d_.real_train) {
      const auto& info = d_.data.info(static_cast<size_t>(r));
      if (sources.emplace(info.log, info.generator).second) logs.push_back(info.log);
    }
    if (static_cast<int64_t>(logs.size()) < o_.inner_folds) {
      decision["reason"] = fmt::format("{} training logs for {} inner folds: the prior is kept", logs.size(),
                                       o_.inner_folds);
      return priors.front().selection;
    }
    const auto dealt = scene::fold_logs(logs, o_.inner_folds, derive_seed(ctx_.spec.seed, "inner_folds"), sources);
    for (size_t f = 0; f < dealt.size(); ++f) {
      for (const auto& log : dealt[f]) inner_fold_[log] = static_cast<int64_t>(f);
    }
    std::vector<Window> windows;
    for (int64_t r : thin_windows(d_.data, d_.real_train, o_.window_stride_s)) windows.push_back({r, inner_fold(r)});
    if (o_.validation_feedback) {
      std::set<std::string> val_logs;
      for (int64_t r : d_.val) val_logs.insert(d_.data.info(static_cast<size_t>(r)).log);
      int64_t next = 0;  // dealt in name order: the same folds for every seed
      for (const auto& log : val_logs) inner_fold_[log] = next++ % o_.inner_folds;
      for (int64_t r : thin_windows(d_.data, d_.val, o_.window_stride_s)) windows.push_back({r, inner_fold(r)});
      decision["validation_logs"] = val_logs.size();
    }
    // Inner leakage guard: a fold's proxies never train on synthetic scenes made from its logs.
    auto per_fold = [&](const Selection& s) {
      std::vector<Selection> out;
      for (int64_t f = 0; f < o_.inner_folds; ++f) out.push_back(without_fold(s, f));
      return out;
    };
    std::vector<Selection> folds_current = per_fold(priors.front().selection);
    proxy_pass(folds_current, windows, "prior");
    decision["prior_oof_pdms"] = mean_of(windows, &Window::prior);
    decision["windows"] = windows.size();
    const Prior* chosen = &priors.front();
    nlohmann::json challengers = nlohmann::json::array();
    for (size_t i = 1; i < priors.size(); ++i) {  // each challenger against the incumbent, paired
      auto folds_challenger = per_fold(priors[i].selection);
      proxy_pass(folds_challenger, windows, "prior_" + priors[i].name);
      const auto e = log_paired_gain(windows);
      challengers.push_back({{"prior", priors[i].name},
                             {"against", chosen->name},
                             {"oof_pdms", number_json(mean_of(windows, &Window::candidate))},
                             {"evidence", evidence_json(e, o_.evidence.z)},
                             {"accepted", e.accept}});
      spdlog::info("{}: prior {} against {}: out-of-fold gain {:+.4f} (SE {:.4f}, {} logs): {}", ctx_.spec.name(),
                   priors[i].name, chosen->name, e.mean, e.se, e.units, e.accept ? "it replaces it" : "kept out");
      if (e.accept) {
        chosen = &priors[i];
        folds_current = std::move(folds_challenger);
        for (auto& w : windows) w.prior = w.candidate;
      }
      for (auto& w : windows) w.candidate = kNaN;
    }
    if (!challengers.empty()) {
      decision["prior_challengers"] = challengers;
      decision["prior"] = chosen->name;
      decision["prior_weights"] = chosen->selection.weights;
      decision["prior_oof_pdms"] = mean_of(windows, &Window::prior);
      if (chosen != &priors.front()) write_selection(ctx_, dir_ / "prior", chosen->selection);  // the steps' start
    }

    Selection current = chosen->selection;
    nlohmann::json steps = nlohmann::json::array();
    double trust = o_.evidence.trust;
    for (int64_t round = 0; round < o_.rounds; ++round) {
      nlohmann::json step;
      const bool accepted = try_step(round, trust, current, folds_current, gated, chosen->key, windows, step);
      steps.push_back(step);
      if (!accepted) break;
      trust = mixture::grown_trust(trust, o_.evidence);
    }
    // The first step's record at the top level, as before rounds existed.
    for (const char* key : {"failure_target", "candidate_weights", "candidate_quotas", "candidate_oof_pdms", "evidence",
                            "reason"}) {
      if (steps.front().contains(key)) decision[key] = steps.front()[key];
    }
    decision["steps"] = steps;
    decision["steps_accepted"] = std::count_if(steps.begin(), steps.end(), [](const nlohmann::json& st) {
      return st.value("accepted", false);
    });
    return current;
  }

  // One candidate step of trust region `trust` from `current` (whose per-fold selections are
  // `per_fold` and whose proxies' out-of-fold scores are each window's `prior`). Accepted:
  // `current`, `per_fold` and the window scores become the candidate's, the next step's baseline.
  bool try_step(int64_t round, double trust, Selection& current, std::vector<Selection>& per_fold, const std::vector<int64_t>& gated,
                const std::vector<double>& key, std::vector<Window>& windows, nlohmann::json& step) {
    const auto& ev = o_.evidence;
    const auto target = failure_target(windows, -1);
    step["trust"] = trust;
    step["failure_target"] = target;
    if (std::all_of(target.begin(), target.end(), [](double t) { return t == 0; })) {
      step["reason"] = "no solvable failure out of fold: the prior is kept";
      return false;
    }
    // Cross-fitted candidates: fold f's is aimed at the other folds' failures only, so its
    // score on fold f measures the procedure, not its fit to the windows it is scored on.
    std::vector<Selection> candidates;
    for (int64_t f = 0; f < o_.inner_folds; ++f) {
      candidates.push_back(candidate_selection(per_fold[static_cast<size_t>(f)], current.weights, trust, gated, key,
                                               failure_target(windows, f), windows, f));
    }
    const Selection candidate = candidate_selection(current, current.weights, trust, gated, key, target, windows, -1);
    const std::string name = round == 0 ? "candidate" : fmt::format("candidate{}", round + 1);
    write_selection(ctx_, dir_ / name, candidate);
    step["candidate_weights"] = candidate.weights;
    step["candidate_quotas"] = candidate.quotas;
    proxy_pass(candidates, windows, name);
    step["candidate_oof_pdms"] = mean_of(windows, &Window::candidate);

    const auto e = log_paired_gain(windows);
    step["evidence"] = evidence_json(e, ev.z);
    step["accepted"] = e.accept;
    spdlog::info("{}: step {} candidate out-of-fold gain {:+.4f} (SE {:.4f}, {} logs): {}", ctx_.spec.name(),
                 round + 1, e.mean, e.se, e.units, e.accept ? "accepted" : "the prior is kept");
    if (!e.accept) {
      step["reason"] = "the paired gain's lower bound is not above 0: the prior is kept";
      return false;
    }
    current = candidate;
    per_fold = std::move(candidates);
    for (auto& w : windows) w.prior = w.candidate, w.candidate = kNaN;
    return true;
  }

  static double mean_of(const std::vector<Window>& windows, double Window::*field_ptr) {
    double sum = 0;
    int64_t n = 0;
    for (const auto& w : windows) {
      if (!std::isnan(w.*field_ptr)) sum += w.*field_ptr, ++n;
    }
    return n ? sum / static_cast<double>(n) : kNaN;
  }

  // A synthetic scene made from a log of inner fold f (never trained on by fold f's proxies).
  bool derived_from_fold(int64_t row, int64_t f) const {
    const auto it = inner_fold_.find(d_.data.info(static_cast<size_t>(row)).source_log);
    return f >= 0 && it != inner_fold_.end() && it->second == f;
  }

  Selection without_fold(const Selection& s, int64_t f) const {
    Selection out;
    out.weights = s.weights;
    for (int64_t r : s.rows) {
      if (!derived_from_fold(r, f)) out.rows.push_back(r);
    }
    return out;
  }

  // Where the solvable failures of the windows outside inner fold `skip` are (-1: all windows).
  std::vector<double> failure_target(const std::vector<Window>& windows, int64_t skip) const {
    std::vector<mixture::WindowOutcome> outcomes;
    for (const auto& w : windows) {
      if (w.fold != skip) outcomes.push_back({d_.cluster[static_cast<size_t>(w.row)], w.prior, w.human});
    }
    return mixture::failure_target(outcomes, d_.clusters(), o_.evidence);
  }

  // `base` weights tilted by `trust` toward the failure target, |base.rows| scenes; each cluster's quota
  // filled by the prior's order (`prior_key`: real-likeness or the uniform draw's) and relevance
  // to the cluster's solvable failures outside inner fold `fold` (ranks, weight β), from the
  // gated scenes not made from fold `fold`'s logs. A target with no failure keeps `base`.
  Selection candidate_selection(const Selection& base, const std::vector<double>& weights, double trust,
                                const std::vector<int64_t>& gated, const std::vector<double>& prior_key,
                                const std::vector<double>& target, const std::vector<Window>& windows,
                                int64_t fold) const {
    const auto& ev = o_.evidence;
    if (std::all_of(target.begin(), target.end(), [](double t) { return t == 0; })) return base;
    const auto K = static_cast<size_t>(d_.clusters());
    std::vector<std::vector<size_t>> members(K);  // indices into gated
    for (size_t i = 0; i < gated.size(); ++i) {
      if (derived_from_fold(gated[i], fold)) continue;
      members[static_cast<size_t>(d_.cluster[static_cast<size_t>(gated[i])])].push_back(i);
    }
    std::vector<int64_t> sizes;
    for (const auto& m : members) sizes.push_back(static_cast<int64_t>(m.size()));
    Selection s;
    s.weights = mixture::tilt(weights, target, trust);
    s.quotas = mixture::allocate(static_cast<int64_t>(base.rows.size()), s.weights, sizes);
    for (size_t k = 0; k < K; ++k) {
      if (s.quotas[k] == 0) continue;
      std::vector<std::pair<int64_t, double>> queries;  // failure windows of cluster k, headroom
      for (const auto& w : windows) {
        if (w.fold == fold || static_cast<size_t>(d_.cluster[static_cast<size_t>(w.row)]) != k) continue;
        if (w.human >= ev.solvable_pdms && w.prior < ev.failure_pdms) queries.emplace_back(w.row, w.human - w.prior);
      }
      std::vector<double> likeness, relevance;
      for (size_t i : members[k]) {
        likeness.push_back(prior_key[i]);
        double best = 0;
        for (const auto& [q, headroom] : queries) best = std::max(best, headroom * cosine(d_, gated[i], q));
        relevance.push_back(best);
      }
      const auto key = mixture::blended_rank(likeness, relevance, queries.empty() ? 0.0 : ev.relevance);
      for (int64_t j : mixture::top_scored(key, s.quotas[k], derive_seed(ctx_.spec.seed, "v2_cluster", {k}))) {
        s.rows.push_back(gated[members[k][static_cast<size_t>(j)]]);
      }
    }
    return s;
  }

  // Trains one proxy per inner fold on the other folds' logs plus the fold's selection and
  // scores the fold's windows with it (and, on the prior's pass, with the logged plan: solvability).
  // Written under v2/<name>_fold<f>/.
  void proxy_pass(const std::vector<Selection>& selections, std::vector<Window>& windows, const std::string& name) {
    const bool candidate = name != "prior";
    const auto& cfg = ctx_.config;
    const int64_t steps = std::max<int64_t>(1, std::llround(cfg.loop.proxy_fraction * static_cast<double>(cfg.train.steps)));
    const auto human = eval::make_agent("human");
    for (int64_t f = 0; f < o_.inner_folds; ++f) {
      std::vector<int64_t> train_rows, rows;
      std::vector<size_t> at;
      for (int64_t r : d_.real_train) {
        if (inner_fold(r) != f) train_rows.push_back(r);
      }
      for (size_t i = 0; i < windows.size(); ++i) {
        if (windows[i].fold == f) rows.push_back(windows[i].row), at.push_back(i);
      }
      const fs::path pdir = dir_ / fmt::format("{}_fold{}", name, f);
      write_selection(ctx_, pdir, selections[static_cast<size_t>(f)]);
      TrainingPlan plan;
      plan.real_rows = &train_rows;
      auto trained = train_selection(ctx_, pdir / "train", selections[static_cast<size_t>(f)], steps, ctx_.spec.seed, plan);
      cost_.proxies += 1, cost_.steps += steps, cost_.train_seconds += trained.seconds;
      const auto scoring_start = Clock::now();
      const auto proxy = eval::make_precomputed_agent("planner:" + trained.planner->options().kind,
                                                      train::predict_plans(*trained.planner, d_.data, rows));
      std::vector<const eval::Agent*> agents{proxy.get()};
      if (!candidate) agents.push_back(human.get());
      const auto reports = score_agents(agents, d_, rows, cfg.show_progress);
      write_file_atomic((pdir / "oof_scores.csv").string(), eval::report_csv(reports[0]));
      cost_.score_seconds += seconds_since(scoring_start);
      for (size_t j = 0; j < at.size(); ++j) {
        Window& w = windows[at[j]];
        const auto& s = reports[0].scenes[j];
        (candidate ? w.candidate : w.prior) = s.valid ? s.scores.score : kNaN;
        if (!candidate) w.human = reports[1].scenes[j].valid ? reports[1].scenes[j].scores.score : kNaN;
      }
    }
  }

  // The inner fold a training row's log was dealt to.
  int64_t inner_fold(int64_t r) const { return inner_fold_.at(d_.data.info(static_cast<size_t>(r)).log); }

  const JobContext& ctx_;
  const ExperimentData& d_;
  const AutoscaleV2Options& o_;
  fs::path dir_;
  std::unordered_map<std::string, int64_t> inner_fold_;  // training log -> inner fold
  struct {
    int64_t proxies = 0, steps = 0;
    double train_seconds = 0, score_seconds = 0;  // proxy training; prediction and scoring of its windows
  } cost_;
};

}  // namespace

FoundSelection autoscale_v2_selection(const JobContext& ctx) { return V2Search(ctx).run(); }

}  // namespace autoscale::loop
