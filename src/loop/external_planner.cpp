#include "external_planner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>
#include <sstream>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/core/subprocess.h"
#include "autoscale/eval/trajectory_file.h"
#include "autoscale/loop/slurm_chain.h"

namespace autoscale::loop {

namespace fs = std::filesystem;

namespace {

std::string store_dir(const ExperimentData& d, int64_t row) {
  return fs::absolute(d.stores[d.store_of[static_cast<size_t>(row)]].dir()).string();
}

// CSV cells here are store paths and tokens: quoted when they hold a comma or a quote.
std::string cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string weighted_csv(const ExperimentData& d, const std::vector<int64_t>& rows, double group_weight) {
  std::string out = "store,token,weight\n";
  const double each = rows.empty() ? 0.0 : group_weight / static_cast<double>(rows.size());
  for (int64_t r : rows) {
    out += fmt::format("{},{},{:.17g}\n", cell(store_dir(d, r)), cell(d.data.info(static_cast<size_t>(r)).token), each);
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

std::string last_lines(const fs::path& file, size_t n) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += "\n  | " + lines[i];
  return out;
}

}  // namespace

ExternalTraining train_external(const JobContext& ctx, const fs::path& dir, const Selection& selection,
                                const std::vector<int64_t>& predict_rows, int64_t steps, uint64_t seed) {
  const auto& d = ctx.data;
  const auto& cfg = ctx.config;
  fs::create_directories(dir / "out");
  const fs::path real = dir / "real.csv", chosen = dir / "selection.csv", predict = dir / "predict.csv";
  const fs::path trajectories = dir / "trajectories.jsonl", log = dir / "command.log", done = dir / "done.json";

  const auto mix = training_mixture(ctx, d.real_train, selection.rows);
  const double total = mix.weights[0] + mix.weights[1];
  AUTOSCALE_CHECK(total > 0, "{}: the job's training mixture is empty", dir.string());
  write_file_atomic(real.string(), weighted_csv(d, d.real_train, mix.weights[0] / total));
  write_file_atomic(chosen.string(), weighted_csv(d, selection.rows, mix.weights[1] / total));
  std::string rows = "store,token,split\n";
  std::map<int64_t, std::string> split_of;
  for (int64_t r : d.val) split_of[r] = "val";
  for (int64_t r : d.test) split_of[r] = "test";
  for (int64_t r : predict_rows) {
    const auto it = split_of.find(r);
    rows += fmt::format("{},{},{}\n", cell(store_dir(d, r)), cell(d.data.info(static_cast<size_t>(r)).token),
                        it == split_of.end() ? "train" : it->second);
  }
  write_file_atomic(predict.string(), rows);

  std::string command = cfg.train.external.command;
  const std::pair<const char*, std::string> placeholders[] = {
      {"{real}", shell_quote(real.string())},
      {"{selection}", shell_quote(chosen.string())},
      {"{predict}", shell_quote(predict.string())},
      {"{trajectories}", shell_quote(trajectories.string())},
      {"{out}", shell_quote((dir / "out").string())},
      {"{steps}", std::to_string(steps)},
      {"{batch}", std::to_string(cfg.train.batch)},
      {"{seed}", std::to_string(seed)}};
  for (const auto& [key, value] : placeholders) command = replace_all(command, key, value);

  ExternalTraining out;
  if (fs::exists(done) && fs::exists(trajectories)) {
    out.seconds = read_json(done).value("seconds", 0.0);
    spdlog::info("{}: external planner already trained ({})", ctx.spec.name(), done.string());
  } else {
    spdlog::info("{}: external planner: {} (log: {})", ctx.spec.name(), command, log.string());
    fs::remove(trajectories);
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = run_process({"/bin/sh", "-c", command}, log.string());
    out.seconds = seconds_since(t0);
    AUTOSCALE_CHECK(rc == 0, "train.external.command exited with code {} ({}); the end of {}:{}", rc, command,
                    log.string(), last_lines(log, 8));
    AUTOSCALE_CHECK(fs::exists(trajectories), "train.external.command exited 0 but wrote no {} ({})",
                    trajectories.string(), command);
    write_json(done, {{"seconds", out.seconds}, {"command", command}});
  }
  auto file = eval::read_trajectory_file(trajectories.string());
  std::vector<std::string> missing;
  for (int64_t r : predict_rows) {
    const auto& token = d.data.info(static_cast<size_t>(r)).token;
    if (!file.plans.count(token)) missing.push_back(token);
  }
  AUTOSCALE_CHECK(missing.empty(), "{}: no plan for {} of the {} scenes in {} (the first: {})", trajectories.string(),
                  missing.size(), predict_rows.size(), predict.string(), quote(missing.front()));
  out.plans = std::move(file.plans);
  return out;
}

}  // namespace autoscale::loop
