#include "autoscale/loop/job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <unordered_map>
#include <cmath>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/seeds.h"
#include "external_planner.h"
#include "scene_picture.h"
#include "job_context.h"
#include "method_table.h"

namespace autoscale::loop {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string JobSpec::name() const {
  std::string plain = fmt::format("{}_n{}_s{}", method, budget, seed);
  if (!planner.empty()) plain += "_" + planner;
  return fold < 0 ? plain : fmt::format("f{}_{}", fold, plain);
}

namespace {

struct SearchOutcome {
  Selection selection;             // the final training's synthetic scenes
  std::unique_ptr<train::Planner> planner;  // online: the model after the last stage
  double search_seconds = 0, train_seconds = 0;
  bool paused = false;             // the step budget ran out before the search ended
};

SearchOutcome run_search(const JobContext& ctx, StepBudget& budget) {
  const auto& cfg = ctx.config;
  const auto& lo = cfg.loop;
  const bool online = lo.budget_mode == "online";
  const int64_t S = cfg.train.steps, T = lo.iterations;
  SearchOutcome out;
  auto search = method_entry(ctx.spec.method).iterative(ctx);
  search->prepare(ctx);  // DoReMi's reference model: search cost too
  out.search_seconds += search->extra_seconds;
  std::string last_model;
  Selection last_selection;
  for (int64_t t = 0; t < T; ++t) {
    const fs::path iter = ctx.dir / fmt::format("iter{}", t);
    if (fs::exists(iter / "iteration.json")) {  // completed before a restart
      search->load(read_json(iter / "state.json"), iter / "state.json");
      const auto done = read_json(iter / "iteration.json");
      out.search_seconds += field<double>(done, "search_seconds", iter / "iteration.json");
      if (online) out.train_seconds += field<double>(done.at("seconds"), "train", iter / "iteration.json");
      last_model = (iter / "train" / "planner.pt").string();
      last_selection = read_selection(ctx, iter);
      continue;
    }
    if (!budget.take()) {
      out.paused = true;
      return out;
    }
    const double extra_before = search->extra_seconds;
    auto t0 = Clock::now();
    const Selection sel = search->select(ctx, t);
    write_selection(ctx, iter, sel);
    const double select_s = seconds_since(t0);
    const std::vector<double> weights = search->weights();

    const int64_t stage = S / T;
    const int64_t steps = online ? stage + (t == T - 1 ? S % T : 0)
                                 : std::max<int64_t>(1, std::llround(lo.proxy_fraction * static_cast<double>(S)));
    // Offline proxies all start from the same initial model; online stages continue the last one.
    const uint64_t seed = online && t > 0 ? derive_seed(ctx.spec.seed, "stage", {static_cast<uint64_t>(t)}) : ctx.spec.seed;
    TrainingPlan plan;
    if (online) plan.start = last_model, plan.schedule_offset = t * stage, plan.schedule_total = S;
    auto trained = train_selection(ctx, iter / "train", sel, steps, seed, plan);
    t0 = Clock::now();
    const auto val = score_and_write(ctx, *trained.planner, ctx.data.val, iter / "val_scores.csv");
    const double eval_s = seconds_since(t0);
    nlohmann::json it = search->update(ctx, t, *trained.planner, val);
    const double gradients_s = search->extra_seconds - extra_before;
    const double iteration_search = select_s + eval_s + gradients_s + (online ? 0.0 : trained.seconds);
    it["iteration"] = t;
    it["weights"] = weights;
    it["quotas"] = sel.quotas;
    it["selected"] = sel.rows.size();
    it["steps"] = steps;
    it["val"] = scores_json(val.mean(), val.valid());
    it["seconds"] = {{"select", select_s}, {"train", trained.seconds}, {"eval", eval_s}, {"gradients", gradients_s}};
    it["search_seconds"] = iteration_search;
    write_json(iter / "state.json", search->save());
    write_json(iter / "iteration.json", it);  // written last: the iteration's end marker
    spdlog::info("{}: iteration {} of {}: val PDMS {:.4f} on {} scenes", ctx.spec.name(), t + 1, T, val.mean().score,
                 val.valid());
    out.search_seconds += iteration_search;
    if (online) out.train_seconds += trained.seconds;
    last_model = (iter / "train" / "planner.pt").string();
    last_selection = sel;
  }
  if (online) {  // the last stage's model is the result: the step budget is spent
    out.selection = last_selection;
    out.planner = std::make_unique<train::Planner>(train::Planner::load(last_model, cfg.train.device));
  } else {
    const auto t0 = Clock::now();
    out.selection = search->final_selection(ctx);
    out.search_seconds += seconds_since(t0);
  }
  return out;
}

}  // namespace

std::optional<JobResult> run_job(const ExperimentConfig& run_cfg, const ExperimentData& data, const JobSpec& spec,
                                 const std::string& job_dir, StepBudget& budget) {
  ExperimentConfig cfg = run_cfg;  // a compare over planners trains this job's planner
  if (!spec.planner.empty()) cfg.train.planner.kind = spec.planner;
  const fs::path dir(job_dir);
  if (fs::exists(dir / "result.json")) return read_job_result(job_dir);
  if (budget.exhausted()) return std::nullopt;
  fs::create_directories(dir);
  // One process per job: a second `--resume` of a live run, or two workers handed the same job,
  // get an error naming the holder instead of both training into one directory (issue 23).
  const DirectoryLock lock(dir.string(), fmt::format("job {}", quote(dir.string())));
  if (fs::exists(dir / "result.json")) return read_job_result(job_dir);  // finished while we waited to look
  const JobContext ctx{cfg, data, spec, dir};
  spdlog::info("job {}", spec.name());

  SearchOutcome outcome;
  const MethodEntry& method = method_entry(spec.method);
  if (method.iterative) {
    outcome = run_search(ctx, budget);
    if (outcome.paused) return std::nullopt;
  } else if (method.searched) {
    if (!fs::exists(dir / method.decision) && !budget.take()) return std::nullopt;  // the search is a step
    auto found = method.searched(ctx);
    outcome.selection = std::move(found.selection);
    outcome.search_seconds = found.search_seconds;
  } else {
    const auto t0 = Clock::now();
    outcome.selection = method.one_shot(ctx);
    outcome.search_seconds = seconds_since(t0);
  }
  if (!budget.take()) return std::nullopt;
  const fs::path final_dir = dir / "final";
  write_selection(ctx, final_dir, outcome.selection);
  const bool external = !cfg.train.external.command.empty();
  std::unique_ptr<eval::Agent> planner;
  std::unordered_map<std::string, eval::Plan> external_plans;  // read once: scored, then drawn
  if (external) {  // the user's planner trains on the final mixture (an online run's stages included)
    std::vector<int64_t> predict = data.test;
    predict.insert(predict.end(), data.val.begin(), data.val.end());
    auto trained = train_external(ctx, final_dir / "external", outcome.selection, predict, cfg.train.steps, spec.seed);
    external_plans = std::move(trained.plans);
    planner = eval::make_precomputed_agent("external", external_plans);
    outcome.train_seconds += trained.seconds;
  } else if (!outcome.planner) {
    // The final training also measures validation L2 (the report's curves); proxies do not.
    TrainingPlan plan;
    plan.validation_rows = &data.val;
    auto trained = train_selection(ctx, final_dir / "train", outcome.selection, cfg.train.steps, spec.seed, plan);
    outcome.planner = std::move(trained.planner);
    outcome.train_seconds += trained.seconds;
  }
  const auto score = [&](const std::vector<int64_t>& rows, const char* file) {
    return external ? score_and_write(ctx, *planner, rows, final_dir / file)
                    : score_and_write(ctx, *outcome.planner, rows, final_dir / file);
  };
  const auto test = score(data.test, "test_scores.csv");
  const auto val = score(data.val, "val_scores.csv");
  // What the planner did where it did worst: pictures for the report.
  const auto plans_of = [&](const std::vector<int64_t>& rows) {
    return external ? external_plans : train::predict_plans(*outcome.planner, data.data, rows);
  };
  try {  // pictures are for people: a failure to draw them must not fail a finished job
    write_worst_pictures(ctx, test, data.test, plans_of, final_dir / "pictures");
    write_selection_pictures(data, outcome.selection.rows, final_dir / "pictures");
  } catch (const std::exception& e) {
    spdlog::warn("{}: no pictures of the worst test scenes: {}", spec.name(), e.what());
  }

  const auto mix = training_mixture(ctx, outcome.selection.rows);
  nlohmann::json sources = nlohmann::json::object();  // the selection's scenes per generator (planted groups)
  for (int64_t r : outcome.selection.rows) {
    const auto& g = data.data.info(static_cast<size_t>(r)).generator;
    sources[g] = sources.value(g, 0) + 1;
  }
  nlohmann::json tokens = nlohmann::json::array(), logs = nlohmann::json::array(), pdms = nlohmann::json::array();
  for (size_t i = 0; i < test.scenes.size(); ++i) {
    const auto& s = test.scenes[i];
    if (!s.valid) continue;
    tokens.push_back(s.token), pdms.push_back(s.scores.score);
    logs.push_back(data.data.info(static_cast<size_t>(data.test[i])).log);
  }
  const nlohmann::json result = {
      {"method", spec.method},
      {"seed", spec.seed},
      {"fold", spec.fold},
      {"planner", external ? std::string("external") : cfg.train.planner.kind},
      {"synthetic_budget", spec.budget},
      {"n_syn", outcome.selection.rows.size()},
      {"n_real", data.real_train.size()},
      {"real_share", mix.weights[0] / std::max(1e-300, mix.weights[0] + mix.weights[1])},
      {"steps", cfg.train.steps},
      {"search_seconds", outcome.search_seconds},
      {"train_seconds", outcome.train_seconds},
      {"test", scores_json(test.mean(), test.valid(), test.version == eval::PdmsVersion::kV2)},
      {"val", scores_json(val.mean(), val.valid(), val.version == eval::PdmsVersion::kV2)},
      {"weights", outcome.selection.weights},
      {"quotas", outcome.selection.quotas},
      {"selection_sources", sources},
      {"test_tokens", tokens},
      {"test_logs", logs},
      {"test_pdms", pdms}};
  write_json(dir / "result.json", result);  // the job's end marker
  spdlog::info("{}: test PDMS {:.4f} on {} scenes ({} synthetic scenes)", spec.name(), test.mean().score, test.valid(),
               outcome.selection.rows.size());
  return read_job_result(job_dir);
}

JobResult read_job_result(const std::string& job_dir) {
  const fs::path path = fs::path(job_dir) / "result.json";
  const auto j = read_json(path);
  auto scores = [&](const char* name) {
    AUTOSCALE_CHECK(j.contains(name) && j.at(name).is_object(), "{}: field {} is missing or not an object",
                    path.string(), name);
    const auto& o = j.at(name);
    auto num = [&](const char* key) {
      AUTOSCALE_CHECK(o.contains(key), "{}: field {}.{} is missing", path.string(), name, key);
      return o.at(key).is_null() ? std::numeric_limits<double>::quiet_NaN() : field<double>(o, key, path);
    };
    eval::SubScores s;
    s.score = num("pdms"), s.nc = num("nc"), s.dac = num("dac"), s.ddc = num("ddc"), s.ttc = num("ttc");
    s.c = num("c"), s.ep = num("ep");
    const bool v2 = o.contains("tlc");  // EPDMS's own sub-scores: NaN where the run scored v1
    for (auto [key, value] : {std::pair{"tlc", &s.tlc}, {"lk", &s.lk}, {"hc", &s.hc}, {"ec", &s.ec}}) {
      *value = v2 ? num(key) : std::numeric_limits<double>::quiet_NaN();
    }
    return std::pair{s, field<int64_t>(o, "scenes", path)};
  };
  JobResult r;
  r.spec.method = field<std::string>(j, "method", path);
  r.spec.seed = field<uint64_t>(j, "seed", path);
  r.spec.budget = field<int64_t>(j, "synthetic_budget", path);
  r.n_syn = field<int64_t>(j, "n_syn", path);
  r.n_real = field<int64_t>(j, "n_real", path);
  r.real_share = field<double>(j, "real_share", path);
  r.steps = field<int64_t>(j, "steps", path);
  r.search_seconds = field<double>(j, "search_seconds", path);
  r.train_seconds = field<double>(j, "train_seconds", path);
  std::tie(r.test, r.test_scenes) = scores("test");
  std::tie(r.val, r.val_scenes) = scores("val");
  r.weights = field<std::vector<double>>(j, "weights", path);
  r.quotas = field<std::vector<int64_t>>(j, "quotas", path);
  r.test_tokens = field<std::vector<std::string>>(j, "test_tokens", path);
  r.test_pdms = field<std::vector<double>>(j, "test_pdms", path);
  if (j.contains("selection_sources")) {
    r.selection_sources = field<std::map<std::string, int64_t>>(j, "selection_sources", path);
  }
  // Runs from before folds and logs were recorded: the single split, every window its own log.
  r.spec.fold = j.contains("fold") ? field<int64_t>(j, "fold", path) : -1;
  r.planner = j.contains("planner") ? field<std::string>(j, "planner", path) : "";
  r.test_logs = j.contains("test_logs") ? field<std::vector<std::string>>(j, "test_logs", path) : r.test_tokens;
  AUTOSCALE_CHECK(r.test_logs.size() == r.test_tokens.size(), "{}: {} test tokens but {} test logs", path.string(),
                  r.test_tokens.size(), r.test_logs.size());
  AUTOSCALE_CHECK(r.test_tokens.size() == r.test_pdms.size(), "{}: {} test tokens but {} scores", path.string(),
                  r.test_tokens.size(), r.test_pdms.size());
  return r;
}

}  // namespace autoscale::loop
