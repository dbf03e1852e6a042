// `autoscale score` (case files) and `autoscale eval` (a store with an agent).
#include <CLI/CLI.hpp>

#include <memory>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/threads.h"
#include "autoscale/eval/case_file.h"
#include "autoscale/eval/evaluate.h"
#include "autoscale/eval/trajectory_file.h"
#include "command.h"
#include "commands.h"

namespace autoscale::cli {

int run_score(const ScoreArgs& args, const Invocation& inv) {
  const auto options = inv.config.eval.options();
  const auto cases = eval::read_cases(args.cases);
  std::vector<std::string> lines(cases.size());
  std::vector<std::string> errors(cases.size());
  // Cases are independent: score them in parallel, print in input order.
  parallel_for(cases.size(), [&](size_t i) {
    try {
      const auto cache = eval::MetricCache::build(cases[i].inputs, options);
      lines[i] = eval::score_json(cases[i].inputs.token, cache.score(cases[i].trajectory).scores, options.version);
    } catch (const Error& e) {
      errors[i] = fmt::format("{}: {}", args.cases, e.what());
    }
  });
  int rc = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    if (!errors[i].empty()) {
      std::fprintf(stderr, "error: %s\n", errors[i].c_str());
      rc = 1;
    } else {
      std::printf("%s\n", lines[i].c_str());
    }
  }
  return rc;
}

namespace {

// The split a learned planner was trained with: split.json beside the model file (what `autoscale
// train` writes), or nothing (a built-in agent, or a model file moved away from its run).
std::optional<std::map<std::string, scene::Split>> stored_split(const std::string& model) {
  const auto file = std::filesystem::path(model).parent_path() / "split.json";
  if (!std::filesystem::is_regular_file(model) || !std::filesystem::exists(file)) return std::nullopt;
  std::ifstream in(file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw Error(fmt::format("{}: not valid JSON: {}", file.string(), e.what()));
  }
  std::map<std::string, scene::Split> splits;
  for (const char* name : {"train", "val", "test"}) {
    AUTOSCALE_CHECK(j.contains(name) && j.at(name).is_array(), "{}: field {} is missing or not a list of logs",
                    file.string(), name);
    for (const auto& log : j.at(name)) {
      AUTOSCALE_CHECK(log.is_string(), "{}: field {} holds {}, not a log name", file.string(), name, log.dump());
      AUTOSCALE_CHECK(splits.emplace(log.get<std::string>(), scene::parse_split(name)).second,
                      "{}: log {} is listed in two splits", file.string(), log.dump());
    }
  }
  return splits;
}

// Passes another agent's plans through and keeps them, for --write-trajectories. Plans are asked
// for in parallel, hence the lock.
class RecordingAgent final : public eval::Agent {
 public:
  explicit RecordingAgent(const eval::Agent& inner) : inner_(inner) {}
  std::string name() const override { return inner_.name(); }
  eval::Plan plan(const scene::Scene& s, const eval::MetricCache& cache) const override {
    eval::Plan p = inner_.plan(s, cache);
    std::lock_guard<std::mutex> lock(mutex_);
    plans_[s.token] = p;
    return p;
  }
  const std::unordered_map<std::string, eval::Plan>& plans() const { return plans_; }

 private:
  const eval::Agent& inner_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, eval::Plan> plans_;
};

// The rows of an external planner's trajectory file: its tokens, in store order. Tokens the store
// does not hold are an error (a trajectory file for another split or dataset).
std::vector<size_t> trajectory_rows(const eval::TrajectoryFile& file, const std::string& path,
                                    const scene::SceneStore& store, const std::string& store_dir) {
  std::vector<size_t> rows;
  std::vector<std::string> unknown;
  for (const auto& token : file.tokens) {
    const auto row = store.find(token);
    if (row) {
      rows.push_back(*row);
    } else {
      unknown.push_back(token);
    }
  }
  AUTOSCALE_CHECK(unknown.empty(), "{}: {} of {} tokens are not scenes of {} (the first: {})", path, unknown.size(),
                  file.tokens.size(), store_dir, quote(unknown.front()));
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace

int run_eval(const EvalArgs& args, const Invocation& inv) {
  AUTOSCALE_CHECK(args.agent.empty() != args.trajectories.empty(),
                  "eval: give exactly one of --agent (a built-in agent or a planner file) and --trajectories FILE");
  const auto options = inv.config.eval.options();
  const auto store = scene::SceneStore::open(args.scenes);
  std::optional<eval::TrajectoryFile> external;
  if (!args.trajectories.empty()) external = eval::read_trajectory_file(args.trajectories);
  std::vector<size_t> rows;
  // Every token of the file must be a scene of the store, with or without --split (a file for
  // another data set is an error, not a split with nothing planned).
  const auto file_rows = external ? trajectory_rows(*external, args.trajectories, store, args.scenes) : rows;
  if (args.split.empty() && external) {
    rows = file_rows;
  } else if (args.split.empty()) {
    for (size_t i = 0; i < store.size(); ++i) rows.push_back(i);
  } else {  // the real scenes of one log-disjoint split, as `autoscale train` splits them
    const scene::Split wanted = with_context("--split", [&] { return scene::parse_split(args.split); });
    const auto splits = real_log_splits({&store}, inv.config);
    // A trained model is scored on its own split: a config that splits the logs otherwise would
    // score it on logs it trained on (issue 20), so it is refused rather than followed.
    const auto model = stored_split(args.agent);
    if (model) {
      const auto dir = std::filesystem::path(args.agent).parent_path();
      for (const auto& [log, s] : splits) {
        const auto it = model->find(log);
        AUTOSCALE_CHECK(it == model->end() || it->second == s,
                        "--split {}: the config puts log {} in {}, but {} was trained with it in {} ({}); evaluate "
                        "with the model's own config: -c {}",
                        args.split, quote(log), scene::split_name(s), args.agent, scene::split_name(it->second),
                        (dir / "split.json").string(), (dir / "config.yaml").string());
      }
    }
    auto in_split = [&](const std::string& log) {  // a log the model never saw splits as the config says
      if (model) {
        const auto it = model->find(log);
        if (it != model->end()) return it->second == wanted;
      }
      return splits.at(log) == wanted;
    };
    for (size_t i = 0; i < store.size(); ++i) {
      const auto& e = store.index()[i];
      if (e.domain == scene::Domain::kReal && in_split(e.log)) rows.push_back(i);
    }
    std::printf("split %s: %zu of %zu scenes\n", args.split.c_str(), rows.size(), store.size());
  }
  if (args.limit && rows.size() > args.limit) rows.resize(args.limit);
  const auto [shard, shards] = parse_shard(args.shard);
  if (shards > 1) {
    // Whole logs per shard (the v2 two-frame comfort pairs scenes within a log), balanced by
    // scene count: largest log first onto the lightest shard, ties by first appearance.
    std::vector<std::string> logs;
    std::unordered_map<std::string, size_t> count;
    for (size_t r : rows) {
      if (count[store.index()[r].log]++ == 0) logs.push_back(store.index()[r].log);
    }
    std::stable_sort(logs.begin(), logs.end(), [&](const auto& a, const auto& b) { return count[a] > count[b]; });
    std::vector<size_t> load(shards, 0);
    std::unordered_map<std::string, size_t> shard_of;
    for (const auto& log : logs) {
      const size_t lightest = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
      shard_of[log] = lightest;
      load[lightest] += count[log];
    }
    std::vector<size_t> mine;
    for (size_t r : rows) {
      if (shard_of.at(store.index()[r].log) == shard) mine.push_back(r);
    }
    std::printf("shard %zu/%zu: %zu of %zu scenes\n", shard, shards, mine.size(), rows.size());
    rows = std::move(mine);
  }
  std::unique_ptr<eval::Agent> agent;
  if (external) {  // a split's scenes the file has no plan for are reported invalid, by token
    size_t covered = 0;
    for (size_t r : rows) covered += external->plans.count(store.index()[r].token);
    if (!args.split.empty()) {
      std::printf("trajectories for %zu of the %zu scenes (%zu of the file's %zu outside the split)\n", covered,
                  rows.size(), external->tokens.size() - covered, external->tokens.size());
    }
    agent = eval::make_precomputed_agent(std::filesystem::path(args.trajectories).filename().string(),
                                         std::move(external->plans));
  } else if (std::filesystem::is_regular_file(args.agent)) {
    agent = learned_agent(args.agent, store, rows, inv.config);
  } else {
    agent = eval::make_agent(args.agent);
  }
  RecordingAgent recorder(*agent);
  const bool record = !args.write_trajectories.empty();
  const auto report = eval::evaluate_store(store, record ? static_cast<const eval::Agent&>(recorder) : *agent, options, rows);
  if (record) {
    std::vector<std::string> tokens;
    for (size_t r : rows) tokens.push_back(store.index()[r].token);
    write_file_atomic(args.write_trajectories, eval::trajectory_jsonl(tokens, recorder.plans()));
    std::printf("wrote %zu trajectories to %s\n", recorder.plans().size(), args.write_trajectories.c_str());
  }
  if (!args.out.empty()) {
    write_file_atomic(args.out, eval::with_average_row(eval::report_csv(report)));
    write_file_atomic(args.out + ".config.yaml", "# " + inv.command_line + "\n" + inv.config_yaml);
    spdlog::info("per-token scores written to {}", args.out);
  }
  std::fputs(eval::report_table(report).c_str(), stdout);
  if (report.valid() > 0 || report.scenes.empty()) return 0;
  // Nothing could be scored: one error line (the report above lists every scene's reason).
  std::fprintf(stderr, "error: no scene of %s could be scored (%zu invalid; the first: %s)\n", args.scenes.c_str(),
               report.scenes.size(), report.scenes.front().error.c_str());
  return 1;
}

int run_merge_scores(const MergeScoresArgs& args, const Invocation&) {
  AUTOSCALE_CHECK(!args.parts.empty(), "merge scores: no --parts");
  const auto store = scene::SceneStore::open(args.scenes);
  std::string header;
  std::vector<std::pair<size_t, std::string>> lines;  // (store row, CSV line)
  for (const auto& part : args.parts) {
    std::ifstream in(part);
    AUTOSCALE_CHECK(in.good(), "{}: cannot open", part);
    std::string head, line;
    AUTOSCALE_CHECK(std::getline(in, head) && head.rfind("token,", 0) == 0, "{}: not a per-token score CSV (autoscale eval --out)",
                    part);
    AUTOSCALE_CHECK(header.empty() || head == header, "{}: its columns differ from {} (another PDMS version?)", part,
                    args.parts.front());
    header = head;
    for (size_t n = 2; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      const std::string token = line.substr(0, line.find(','));
      if (token == "average") continue;  // NAVSIM's summary row: made again for the merged rows
      const auto row = store.find(token);
      AUTOSCALE_CHECK(row.has_value(), "{}:{}: scene {} is not in {}", part, n, quote(token), args.scenes);
      lines.emplace_back(*row, line);
    }
  }
  std::sort(lines.begin(), lines.end());
  for (size_t i = 1; i < lines.size(); ++i) {
    AUTOSCALE_CHECK(lines[i].first != lines[i - 1].first, "merge scores: scene {} is in more than one part",
                    quote(store.index()[lines[i].first].token));
  }
  std::string out = header + "\n";
  for (const auto& [row, line] : lines) out += line + "\n";
  write_file_atomic(args.out, eval::with_average_row(out));
  std::printf("merged %zu parts: %zu scenes in store order into %s\n", args.parts.size(), lines.size(), args.out.c_str());
  return 0;
}

Commands bind_score(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<ScoreArgs>();
  auto* cmd = app.add_subcommand("score", "score planner trajectories given as autoscale-case/1 JSON");
  cmd->add_option("cases", args->cases, "JSON file with one case or an array of cases")->required();
  cmd->add_option("--pdms-version", global.pdms_version, "PDM Score version v1 or v2 (eval.pdms_version)");
  return {{cmd, [args](const Invocation& inv) { return run_score(*args, inv); }}};
}

Commands bind_eval(CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "score an agent on every scene of a store (PDM Score)");
  cmd->add_option("--scenes", args->scenes, "scene store directory")->required();
  auto* agent = cmd->add_option("--agent", args->agent,
                                "constant_velocity, constant_acceleration, human, pdm_closed, or a planner file (autoscale train)");
  cmd->add_option("--trajectories", args->trajectories,
                  "instead of --agent: score the plans in this file, by token (an external planner's; JSON lines "
                  "{\"token\", \"poses\": [[x, y, heading], ...], \"interval\"} or CSV token,x,y,heading[,t]; ego frame, "
                  "NAVSIM's 8 poses at 0.5 s or 40 at 0.1 s)")
      ->excludes(agent);
  cmd->add_option("--write-trajectories", args->write_trajectories,
                  "write the scored plans to this JSON-lines file (the format --trajectories reads)");
  cmd->add_option("--pdms-version", global.pdms_version, "PDM Score version v1 or v2 (eval.pdms_version)");
  cmd->add_option("--out", args->out, "write per-token sub-scores to this CSV (NAVSIM's columns and its average row)");
  cmd->add_option("--limit", args->limit, "score only the first N scenes");
  cmd->add_option("--split", args->split, "only the real scenes of this log split (train | val | test; data.split)");
  cmd->add_option("--shard", args->shard,
                  "score only part i/N (whole logs, balanced by scenes; merge the --out CSVs with `merge scores`)");
  return {{cmd, [args](const Invocation& inv) { return run_eval(*args, inv); }}};
}

}  // namespace autoscale::cli
