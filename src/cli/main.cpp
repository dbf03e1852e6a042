// `autoscale`: the one binary. This is the only translation unit that includes CLI11; the
// commands themselves live in commands.h as plain functions.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <regex>

#include "autoscale/core/error.h"
#include "autoscale/core/log.h"
#include "autoscale/core/termination.h"
#include "autoscale/core/threads.h"
#include "commands.h"

namespace {

using namespace autoscale;

// A bare "a.b=value" argument anywhere on the line is a config override, like --set a.b=value.
bool is_bare_override(const std::string& arg) {
  static const std::regex kOverride(R"(^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+=.*$)");
  return std::regex_match(arg, kOverride);
}

std::string join_command_line(int argc, char** argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) out += (i ? " " : "") + std::string(argv[i]);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  install_termination_handler();  // SIGTERM/SIGINT let a training checkpoint before it stops
  // Overrides are taken out before CLI11 sees the line: `--set k=v`, `--set=k=v` and bare
  // `k=v` may stand anywhere, also between a subcommand's positional arguments.
  std::vector<std::string> overrides;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i > 0 && arg == "--set" && i + 1 < argc) {
      overrides.emplace_back(argv[++i]);
    } else if (i > 0 && arg.rfind("--set=", 0) == 0) {
      overrides.push_back(arg.substr(6));
    } else if (i > 0 && is_bare_override(arg)) {
      overrides.push_back(arg);
    } else {
      args.push_back(argv[i]);
    }
  }

  CLI::App app{"autoscale: closed-loop real/synthetic data mixing for end-to-end driving planners"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  std::string config_path;
  std::vector<std::string> sets;  // documented here; taken out of the line above
  LogOptions log;
  int threads = -1;
  app.add_option("-c,--config", config_path, "YAML config file (defaults apply to missing keys)");
  app.add_option("--set", sets, "override a config key, key.path=value (repeatable; bare key.path=value works too)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--log-level", log.level, "trace, debug, info, warn, error or off")->capture_default_str();
  app.add_flag("-q,--quiet", log.quiet, "only warnings and errors on the terminal");
  app.add_option("--log-file", log.file, "also write the full log to this file");
  app.add_option("--threads", threads, "threads for OpenMP/BLAS/torch (overrides run.threads; 0 = all cores)");

  cli::ImportArgs import_args;
  auto* import_cmd = app.add_subcommand("import", "import real driving data into a scene store");
  import_cmd->add_option("inputs", import_args.inputs, "input files or directories (.xml CommonRoad, .pkl ScenarioNet)")
      ->required();
  import_cmd->add_option("-o,--out", import_args.out, "scene store directory")->required();
  import_cmd->add_flag("--append", import_args.append, "add to an existing store");
  import_cmd->add_option("--shard", import_args.shard,
                         "import only part i/N: a contiguous block of the (sorted) input files (or slurm; merge with `merge stores`)");

  cli::InspectArgs inspect_args;
  auto* inspect_cmd = app.add_subcommand("inspect", "summarise and validate a scene store");
  inspect_cmd->add_option("store", inspect_args.store, "scene store directory")->required();
  inspect_cmd->add_flag("--json", inspect_args.json, "print JSON instead of the report");
  inspect_cmd->add_flag("--strict", inspect_args.strict, "exit with code 3 when any scene or map is invalid");
  inspect_cmd->add_option("--max-problems", inspect_args.max_problems, "problems listed in the report");
  inspect_cmd->add_option("--compare", inspect_args.compare,
                          "another store: per-feature distributions of both and their KS distance");

  cli::ScoreArgs score_args;
  auto* score_cmd = app.add_subcommand("score", "score planner trajectories given as autoscale-case/1 JSON");
  score_cmd->add_option("cases", score_args.cases, "JSON file with one case or an array of cases")->required();
  std::string version;
  score_cmd->add_option("--version", version, "PDM Score version v1 or v2 (eval.version)");

  cli::EvalArgs eval_args;
  auto* eval_cmd = app.add_subcommand("eval", "score an agent on every scene of a store (PDM Score)");
  eval_cmd->add_option("--scenes", eval_args.scenes, "scene store directory")->required();
  eval_cmd->add_option("--agent", eval_args.agent,
                       "constant_velocity, constant_acceleration, human, pdm_closed, or a planner file (autoscale train)")->required();
  eval_cmd->add_option("--version", version, "PDM Score version v1 or v2 (eval.version)");
  eval_cmd->add_option("--out", eval_args.out, "write per-token sub-scores to this CSV");
  eval_cmd->add_option("--limit", eval_args.limit, "score only the first N scenes");
  eval_cmd->add_option("--split", eval_args.split, "only the real scenes of this log split (train | val | test; data.split)");
  eval_cmd->add_option("--shard", eval_args.shard, "score only part i/N (whole logs, balanced by scenes; merge the --out CSVs with `merge scores`)");

  auto* merge_cmd = app.add_subcommand("merge", "merge the parts of sharded stages");
  merge_cmd->require_subcommand(1);
  cli::MergeScoresArgs merge_scores_args;
  auto* merge_scores_cmd = merge_cmd->add_subcommand("scores", "per-token CSVs of `eval --shard i/N` -> one CSV in store order");
  merge_scores_cmd->add_option("--scenes", merge_scores_args.scenes, "the scored store")->required();
  merge_scores_cmd->add_option("--parts", merge_scores_args.parts, "the parts' CSV files")->required()->expected(1, -1);
  merge_scores_cmd->add_option("-o,--out", merge_scores_args.out, "merged CSV")->required();
  cli::MergeNeighboursArgs merge_nb_args;
  auto* merge_nb_cmd = merge_cmd->add_subcommand("neighbours", "TSVs of `retrieve --shard i/N --out` -> one table in query order");
  merge_nb_cmd->add_option("--embeddings", merge_nb_args.embeddings, "the embeddings file the parts queried")->required();
  merge_nb_cmd->add_option("--parts", merge_nb_args.parts, "the parts' TSV files")->required()->expected(1, -1);
  merge_nb_cmd->add_option("-o,--out", merge_nb_args.out, "merged TSV")->required();
  cli::MergeStoresArgs merge_stores_args;
  auto* merge_stores_cmd = merge_cmd->add_subcommand("stores", "scene stores of `import --shard i/N` -> one store, in part order");
  merge_stores_cmd->add_option("--parts", merge_stores_args.parts, "the parts' store directories, in order")->required()->expected(1, -1);
  merge_stores_cmd->add_option("-o,--out", merge_stores_args.out, "the merged store (new)")->required();
  cli::MergeEmbeddingsArgs merge_emb_args;
  auto* merge_emb_cmd = merge_cmd->add_subcommand("embeddings", "EMB.h5 parts of `encode --shard i/N` -> one file");
  merge_emb_cmd->add_option("--scenes", merge_emb_args.scenes, "the stores, in the order given to encode")->required()->expected(1, -1);
  merge_emb_cmd->add_option("--parts", merge_emb_args.parts, "the parts' embedding files")->required()->expected(1, -1);
  merge_emb_cmd->add_option("-o,--out", merge_emb_args.out, "merged embeddings file")->required();

  cli::TrainArgs train_args;
  auto* train_cmd = app.add_subcommand("train", "train a planner (train.*) on the real training split, co-training synthetic stores");
  train_cmd->add_option("--scenes", train_args.scenes, "real scene stores (split by log: data.split)")->required()->expected(1, -1);
  train_cmd->add_option("--synthetic", train_args.synthetic, "synthetic scene stores to co-train on")->expected(0, -1);
  train_cmd->add_option("-o,--out", train_args.out, "run directory (checkpoint.pt, planner.pt, metrics.jsonl)")->required();
  train_cmd->add_flag("--resume", train_args.resume, "continue from OUT/checkpoint.pt");
  train_cmd->add_option("--stop-after", train_args.stop_after, "stop after this step, as if killed (tests)");

  auto* synth_cmd = app.add_subcommand("synth", "generate synthetic scenes");
  synth_cmd->require_subcommand(1);
  cli::SynthPerturbArgs perturb_args;
  auto* perturb_cmd = synth_cmd->add_subcommand("perturb", "perturbed starts of real scenes, PDM-Closed labels");
  perturb_cmd->add_option("--scenes", perturb_args.scenes, "store of real scenes")->required();
  perturb_cmd->add_option("-o,--out", perturb_args.out, "store for the synthetic scenes")->required();
  perturb_cmd->add_option("--shard", perturb_args.shard, "this process's part i/N of the input scenes");
  perturb_cmd->add_flag("--append", perturb_args.append, "add to an existing store");
  cli::SynthCorruptArgs corrupt_args;
  auto* corrupt_cmd = synth_cmd->add_subcommand(
      "corrupt", "planted harm: copies of synthetic scenes with a wrong ego future (synth.corrupt)");
  corrupt_cmd->add_option("--scenes", corrupt_args.scenes, "store of synthetic scenes to copy")->required();
  corrupt_cmd->add_option("-o,--out", corrupt_args.out, "store for the corrupted copies")->required();
  corrupt_cmd->add_flag("--append", corrupt_args.append, "add to an existing store");

  cli::SynthSumoArgs sumo_args;
  auto* sumo_cmd = synth_cmd->add_subcommand("sumo", "SUMO traffic worlds, every suitable vehicle as the expert");
  sumo_cmd->add_option("-o,--out", sumo_args.out, "store for the synthetic scenes")->required();
  sumo_cmd->add_option("--shard", sumo_args.shard, "this process's worlds: w % N == i for i/N");
  sumo_cmd->add_flag("--append", sumo_args.append, "add to an existing store");
  sumo_cmd->add_option("--work-dir", sumo_args.work_dir, "keep SUMO's networks, routes and FCD here");

  cli::EncodeArgs encode_args;
  auto* encode_cmd = app.add_subcommand("encode", "embed every scene of the stores (encode.embedding)");
  encode_cmd->add_option("--scenes", encode_args.scenes, "scene stores (real and synthetic)")->required()->expected(1, -1);
  encode_cmd->add_option("-o,--out", encode_args.out, "embeddings file (HDF5)");
  encode_cmd->add_flag("--report", encode_args.report, "print same-log neighbour recall of the embedding");
  encode_cmd->add_option("--checkpoint", encode_args.checkpoint, "graph_rae: save the trained model to this file");
  encode_cmd->add_option("--load", encode_args.load, "graph_rae: embed with this trained model (no training)");
  encode_cmd->add_option("--shard", encode_args.shard, "with --load: embed only part i/N (merge with `merge embeddings`)");
  encode_cmd->add_flag("--fit-only", encode_args.fit_only,
                       "graph_rae: train the model and save it (--checkpoint), embed nothing (shards embed with --load)");
  cli::ClusterArgs cluster_args;
  auto* cluster_cmd = app.add_subcommand("cluster", "spherical k-means of the embeddings into scene types");
  cluster_cmd->add_option("--embeddings", cluster_args.embeddings, "embeddings file, updated in place")->required();

  cli::IndexArgs index_args;
  auto* index_cmd = app.add_subcommand("index", "FAISS indexes of the synthetic scenes, global and per cluster");
  index_cmd->add_option("--embeddings", index_args.embeddings, "embeddings file (clustered or not)")->required();
  index_cmd->add_option("-o,--out", index_args.out, "index directory")->required();
  cli::RetrieveArgs retrieve_args;
  auto* retrieve_cmd = app.add_subcommand("retrieve", "nearest synthetic scenes to given scenes");
  retrieve_cmd->add_option("--index", retrieve_args.index, "index directory")->required();
  retrieve_cmd->add_option("--embeddings", retrieve_args.embeddings, "the embeddings file it was built from")->required();
  retrieve_cmd->add_option("--query", retrieve_args.queries, "scene tokens to query with")->expected(1, -1);
  retrieve_cmd->add_option("--queries-from", retrieve_args.queries_from, "a file of query tokens, one per line");
  retrieve_cmd->add_flag("--all-real", retrieve_args.all_real, "query with every real scene of the embeddings");
  retrieve_cmd->add_option("--shard", retrieve_args.shard,
                           "answer only part i/N of the queries (contiguous; or slurm; merge with `merge neighbours`)");
  retrieve_cmd->add_option("--out", retrieve_args.out, "write a TSV with a header instead of printing");
  retrieve_cmd->add_option("-k", retrieve_args.k, "neighbours per query");
  retrieve_cmd->add_option("--cluster", retrieve_args.cluster, "search only this cluster (-1: all)");
  retrieve_cmd->add_option("--exclude-logs", retrieve_args.exclude_logs, "never return scenes from these (source) logs")
      ->expected(1, -1);

  cli::RunArgs run_args;
  auto* run_cmd = app.add_subcommand("run", "the closed loop: search the synthetic mixture (loop.method), train, score");
  auto* compare_cmd = app.add_subcommand("compare", "every method of loop.compare side by side: same steps, seeds, scoring");
  for (auto* cmd : {run_cmd, compare_cmd}) {
    cmd->add_option("-o,--out", run_args.out, "run directory (default runs/<config name>-<time>)");
    cmd->add_option("--resume", run_args.resume, "continue this run directory from its last completed step");
    cmd->add_flag("--no-report", [&](int64_t) { run_args.report = false; }, "do not write RUN/report.html");
    cmd->add_option("--max-steps", run_args.max_steps,
                    "run at most this many steps (loop iterations, final trainings), then pause; 0 = only prepare the run")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--job", run_args.job, "only the plan's job with this index (0-based; a Slurm array task)")
        ->check(CLI::NonNegativeNumber);
  }
  cli::SlurmSubmitArgs slurm_args;
  auto* slurm_cmd = app.add_subcommand("slurm", "run the closed loop as Slurm batch jobs");
  slurm_cmd->require_subcommand(1);
  auto* slurm_submit_cmd = slurm_cmd->add_subcommand(
      "submit", "submit the next loop step (and a job that chains the one after it, afterok) to Slurm (slurm.*)");
  slurm_submit_cmd->add_option("-o,--out", slurm_args.out, "run directory of a new run (default runs/<config name>-<time>)");
  slurm_submit_cmd->add_option("--resume", slurm_args.resume, "submit the next step of this run (complete: write its report)");
  slurm_submit_cmd->add_flag("--compare", slurm_args.compare, "plan loop.compare (every method) instead of loop.method");
  slurm_submit_cmd->add_flag("--dry-run", slurm_args.dry_run, "write the job scripts, print the sbatch lines, submit nothing");
  cli::ReportArgs report_args;
  auto* report_cmd = app.add_subcommand("report", "write the self-contained HTML report of a run directory");
  report_cmd->add_option("run", report_args.run, "run directory")->required();
  report_cmd->add_option("-o,--out", report_args.out, "HTML file (default RUN/report.html)");

  cli::PairedArgs paired_args;
  auto* paired_cmd = app.add_subcommand(
      "paired", "ΔPDMS of a method in one run against a method in another, paired by fold, seed and test window");
  paired_cmd->add_option("run_a", paired_args.run_a, "run directory A")->required();
  paired_cmd->add_option("method_a", paired_args.method_a, "method of A (METHOD@N: at budget N)")->required();
  paired_cmd->add_option("run_b", paired_args.run_b, "run directory B (the reference)")->required();
  paired_cmd->add_option("method_b", paired_args.method_b, "method of B")->required();

  auto* config_cmd = app.add_subcommand("config", "print the resolved, documented configuration");

  auto* bench_cmd = app.add_subcommand("bench", "benchmarks of the hot paths");
  bench_cmd->require_subcommand(1);
  cli::BenchStoreArgs bench_store_args;
  auto* bench_store_cmd = bench_cmd->add_subcommand("store", "scene store read throughput and size");
  bench_store_cmd->add_option("store", bench_store_args.store, "scene store directory")->required();
  bench_store_cmd->add_option("--raw", bench_store_args.raw, "raw source files, to compare sizes");
  bench_store_cmd->add_option("--random", bench_store_args.random_reads, "random single-scene reads");
  cli::BenchScoreArgs bench_score_args;
  auto* bench_score_cmd = bench_cmd->add_subcommand("score", "PDM scoring throughput per core and its split");
  bench_score_cmd->add_option("--scenes", bench_score_args.scenes, "scene store directory")->required();
  bench_score_cmd->add_option("--agent", bench_score_args.agent, "agent whose plans are scored");
  bench_score_cmd->add_option("--repeat", bench_score_args.repeat, "scorings per scene");
  bench_score_cmd->add_option("--limit", bench_score_args.limit, "first N scenes only");
  bench_score_cmd->add_option("--version", version, "PDM Score version v1 or v2 (eval.version)");

  cli::BenchMixtureArgs mixture_args;
  auto* bench_kmeans_cmd = bench_cmd->add_subcommand("kmeans", "spherical k-means time on random unit vectors");
  auto* bench_index_cmd = bench_cmd->add_subcommand("index", "flat/IVF/HNSW build, queries/s and recall@10");
  for (auto* cmd : {bench_kmeans_cmd, bench_index_cmd}) {
    cmd->add_option("--n", mixture_args.n, "vectors");
    cmd->add_option("--dim", mixture_args.dim, "dimensions");
  }
  bench_kmeans_cmd->add_option("--k", mixture_args.k, "clusters");
  bench_index_cmd->add_option("--queries", mixture_args.queries, "queries");

  auto* version_cmd = app.add_subcommand("version", "print the version");

  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and friends
    // A bad command line is an error like any other: one `error:` line, exit code 1.
    std::fprintf(stderr, "error: %s (see autoscale --help)\n", e.what());
    return 1;
  }

  try {
    init_logging(log);
    if (threads >= 0) overrides.push_back("run.threads=" + std::to_string(threads));
    if (!version.empty()) overrides.push_back("eval.version=" + version);
    const std::string resume = !run_args.resume.empty() ? run_args.resume : slurm_args.resume;
    if (!resume.empty()) {
      // A resumed run reads its own resolved config back; anything else could change the result.
      AUTOSCALE_CHECK(config_path.empty(), "--resume {}: the run's own config.yaml is used; drop --config {}", resume,
                      config_path);
      for (const auto& o : overrides) {
        AUTOSCALE_CHECK(o.rfind("run.threads=", 0) == 0, "--resume {}: config overrides would change the run ({})",
                        resume, o);
      }
      namespace fs = std::filesystem;
      config_path = (fs::path(resume) / "config.yaml").string();
      // A Slurm run whose prepare job has not written it yet: the config it was submitted with.
      if (!fs::exists(config_path) && fs::exists(fs::path(resume) / "slurm" / "config.yaml")) {
        config_path = (fs::path(resume) / "slurm" / "config.yaml").string();
      }
      AUTOSCALE_CHECK(fs::exists(config_path), "--resume {}: not a run directory (no config.yaml)", resume);
    }
    cli::Invocation inv;
    inv.config = cli::load_app_config(config_path, overrides);
    inv.config_path = config_path;
    inv.config_yaml = config_to_yaml(inv.config);
    inv.command_line = join_command_line(argc, argv);
    configure_threads(static_cast<int>(inv.config.run.threads));

    if (*version_cmd) {
      std::printf("autoscale 0.1.0\n");
      return 0;
    }
    if (*config_cmd) {
      std::fputs(inv.config_yaml.c_str(), stdout);
      return 0;
    }
    if (*import_cmd) return cli::run_import(import_args, inv);
    if (*inspect_cmd) return cli::run_inspect(inspect_args, inv);
    if (*bench_store_cmd) return cli::run_bench_store(bench_store_args, inv);
    if (*bench_score_cmd) return cli::run_bench_score(bench_score_args, inv);
    if (*bench_kmeans_cmd) return cli::run_bench_mixture((mixture_args.what = "kmeans", mixture_args), inv);
    if (*bench_index_cmd) return cli::run_bench_mixture((mixture_args.what = "index", mixture_args), inv);
    if (*score_cmd) return cli::run_score(score_args, inv);
    if (*eval_cmd) return cli::run_eval(eval_args, inv);
    if (*train_cmd) return cli::run_train(train_args, inv);
    if (*perturb_cmd) return cli::run_synth_perturb(perturb_args, inv);
    if (*corrupt_cmd) return cli::run_synth_corrupt(corrupt_args, inv);
    if (*encode_cmd) return cli::run_encode(encode_args, inv);
    if (*cluster_cmd) return cli::run_cluster(cluster_args, inv);
    if (*index_cmd) return cli::run_index(index_args, inv);
    if (*retrieve_cmd) return cli::run_retrieve(retrieve_args, inv);
    if (*sumo_cmd) return cli::run_synth_sumo(sumo_args, inv);
    if (*run_cmd) return cli::run_loop(run_args, inv);
    if (*compare_cmd) return cli::run_loop((run_args.compare = true, run_args), inv);
    if (*report_cmd) return cli::run_report(report_args, inv);
    if (*paired_cmd) return cli::run_paired(paired_args, inv);
    if (*slurm_submit_cmd) return cli::run_slurm_submit(slurm_args, inv);
    if (*merge_scores_cmd) return cli::run_merge_scores(merge_scores_args, inv);
    if (*merge_emb_cmd) return cli::run_merge_embeddings(merge_emb_args, inv);
    if (*merge_stores_cmd) return cli::run_merge_stores(merge_stores_args, inv);
    if (*merge_nb_cmd) return cli::run_merge_neighbours(merge_nb_args, inv);
  } catch (const Interrupted& e) {
    // Not a failure of the input: the work is saved. 128 + signal, as a shell reports a kill.
    std::fprintf(stderr, "stopped: %s\n", e.what());
    return 128 + e.signal();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
