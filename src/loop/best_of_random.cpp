// The compute-matched baseline of the search methods (mixture-review §2a.6): draw `iterations`
// random selections, train a proxy on each (proxy_fraction of the steps, as AutoScale v1's
// proxies), and keep the one with the best validation PDMS. It costs what v1's search costs
// and uses no signal but the outcome, so a search method must beat it to show its signals help.
// Written under JOB/best_of/: cand<i>/ (selection, proxy, validation scores), decision.json last.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>

#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"
#include "autoscale/mixture/baselines.h"
#include "search.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

FoundSelection best_of_random_selection(const JobContext& ctx) {
  const auto t0 = std::chrono::steady_clock::now();
  const fs::path dir = ctx.dir / "best_of";
  FoundSelection result;
  if (fs::exists(dir / "decision.json")) {
    const auto j = read_json(dir / "decision.json");
    const auto best = field<int64_t>(j, "best", dir / "decision.json");
    result.selection = read_selection(ctx, dir / fmt::format("cand{}", best));
    result.search_seconds = field<double>(j, "search_seconds", dir / "decision.json");
    return result;
  }
  const auto& cfg = ctx.config;
  const int64_t draws = cfg.loop.iterations;
  const int64_t steps = std::max<int64_t>(1, std::llround(cfg.loop.proxy_fraction * static_cast<double>(cfg.train.steps)));
  std::vector<double> val_pdms;
  int64_t best = 0;
  std::vector<Selection> candidates;
  for (int64_t i = 0; i < draws; ++i) {
    const fs::path cdir = dir / fmt::format("cand{}", i);
    Selection s;
    s.rows = mixture::random_subset(ctx.data.pool, ctx.spec.budget,
                                    derive_seed(ctx.spec.seed, "best_of", {static_cast<uint64_t>(i)}));
    write_selection(ctx, cdir, s);
    const auto trained = train_selection(ctx, cdir / "train", s, steps, ctx.spec.seed);
    const auto val = score_and_write(ctx, *trained.planner, ctx.data.val, cdir / "val_scores.csv");
    val_pdms.push_back(val.mean().score);
    const double v = val_pdms.back(), b = val_pdms[static_cast<size_t>(best)];
    if (!std::isnan(v) && (std::isnan(b) || v > b)) best = i;  // a draw with no valid score never wins
    candidates.push_back(std::move(s));
  }
  spdlog::info("{}: best of {} random selections: draw {} (validation PDMS {:.4f})", ctx.spec.name(), draws, best,
               val_pdms[static_cast<size_t>(best)]);
  result.selection = candidates[static_cast<size_t>(best)];
  result.search_seconds = seconds_since(t0);
  write_json(dir / "decision.json",
             {{"val_pdms", numbers_json(val_pdms)}, {"best", best}, {"search_seconds", result.search_seconds}});
  return result;
}

}  // namespace autoscale::loop
