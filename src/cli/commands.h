// The subcommands of `autoscale`, as plain functions over plain argument structs so that they
// can be tested without the command-line parser. Each returns the process exit code.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app_config.h"
#include "autoscale/eval/agents.h"
#include "autoscale/loop/experiment.h"

namespace autoscale::cli {

// What every command gets besides its own arguments: the resolved config and how it was called.
struct Invocation {
  AppConfig config;
  std::string config_yaml;  // the resolved config, written next to outputs
  std::string command_line;
  std::string config_path;  // --config ("" = defaults)
};

struct ImportArgs {
  std::vector<std::string> inputs;  // files or directories
  std::string out;                  // store directory
  bool append = false;
  std::string shard;                // "i/N": only the i-th contiguous block of the input files
};
int run_import(const ImportArgs& args, const Invocation& inv);

struct MergeStoresArgs {
  std::vector<std::string> parts;  // stores of `import --shard i/N` (or any stores), in order
  std::string out;                 // a new store
};
// The parts' maps and scenes, in part order, into one new store (duplicate tokens are errors).
int run_merge_stores(const MergeStoresArgs& args, const Invocation& inv);

struct InspectArgs {
  std::string store;
  bool json = false;
  bool strict = false;  // accepted for older scripts: problems always exit 3
  size_t max_problems = 50;
  std::vector<std::string> compare;  // other stores: print the domain-gap table(s) instead
  bool by_source = false;             // the domain-gap table by source over the store and `compare`
};
int run_inspect(const InspectArgs& args, const Invocation& inv);

struct BenchStoreArgs {
  std::string store;
  std::vector<std::string> raw;  // source files, to compare sizes
  size_t random_reads = 2000;
};
int run_bench_store(const BenchStoreArgs& args, const Invocation& inv);

struct BenchScaleStoreArgs {
  std::string from;  // a small real store
  std::string out;   // OUT/real and OUT/synthetic are made
  size_t real = 0, synthetic = 0;
  double agent_jitter_m = 0.2;
};
int run_bench_scale_store(const BenchScaleStoreArgs& args, const Invocation& inv);

struct ScoreArgs {
  std::string cases;  // autoscale-case/1 JSON file
};
int run_score(const ScoreArgs& args, const Invocation& inv);

struct EvalArgs {
  std::string scenes;  // store
  std::string agent;   // built-in agent name or planner file
  std::string trajectories;        // instead of an agent: plans by token from this file
  std::string write_trajectories;  // write the plans that were scored to this JSON-lines file
  std::string out;     // per-token CSV ("" = none)
  size_t limit = 0;    // first N scenes only
  std::string split;   // train | val | test: only the real scenes of that log split ("" = all)
  std::string shard = "0/1";  // i/N: only the logs of part i (whole logs, so v2 comfort pairs stay)
};
int run_eval(const EvalArgs& args, const Invocation& inv);

struct MergeScoresArgs {
  std::string scenes;               // the store the parts were scored on (gives the row order)
  std::vector<std::string> parts;   // per-token CSVs of `eval --shard i/N --out`
  std::string out;                  // merged CSV
};
int run_merge_scores(const MergeScoresArgs& args, const Invocation& inv);

struct BenchScoreArgs {
  std::string scenes;
  std::string agent = "constant_velocity";
  size_t repeat = 20;  // scorings per scene
  size_t limit = 0;
};
int run_bench_score(const BenchScoreArgs& args, const Invocation& inv);

struct SynthPerturbArgs {
  std::string scenes;  // real store
  std::string out;     // synthetic store
  std::string shard = "0/1";
  bool append = false;
};
int run_synth_perturb(const SynthPerturbArgs& args, const Invocation& inv);

struct SynthCorruptArgs {
  std::string scenes;  // synthetic store whose scenes are copied with corrupted labels
  std::string out;
  bool append = false;
};
int run_synth_corrupt(const SynthCorruptArgs& args, const Invocation& inv);

struct SynthSumoArgs {
  std::string out;
  std::string shard = "0/1";  // worlds w with w % N == i
  bool append = false;
  std::string work_dir;       // SUMO's files ("" = a temporary directory, removed afterwards)
  std::string scenario;       // a .sumocfg: synth.sumo.network=scenario with this file
};
int run_synth_sumo(const SynthSumoArgs& args, const Invocation& inv);

struct SynthSelectArgs {
  std::string scenes;
  std::string out;
  std::vector<std::string> types{"stop", "turn", "cruise"};
  bool as_real = false;  // testbed T1: simulated worlds standing in for recorded logs
  std::string tag;       // planted group name appended to the generator
  bool append = false;
};
int run_synth_select(const SynthSelectArgs& args, const Invocation& inv);

struct BenchMixtureArgs {
  std::string what;  // kmeans | index
  size_t n = 100000;
  int dim = 128;
  int k = 64;
  size_t queries = 1000;
};
int run_bench_mixture(const BenchMixtureArgs& args, const Invocation& inv);

struct EncodeArgs {
  std::vector<std::string> scenes;  // stores (real and synthetic)
  std::string out;                  // EMB.h5
  bool report = false;              // print the representation report
  std::string checkpoint;           // graph_rae: save the trained model here
  std::string load;                 // graph_rae: embed with this trained model instead of training
  std::string shard = "0/1";        // i/N: only scenes whose row is i mod N (needs --load)
  bool fit_only = false;            // graph_rae: train and save (--checkpoint), embed nothing
};
int run_encode(const EncodeArgs& args, const Invocation& inv);

struct MergeEmbeddingsArgs {
  std::vector<std::string> scenes;  // the stores, in the order they were embedded
  std::vector<std::string> parts;   // EMB.h5 parts of `encode --shard i/N`
  std::string out;
};
int run_merge_embeddings(const MergeEmbeddingsArgs& args, const Invocation& inv);

struct ClusterArgs {
  std::string embeddings;  // EMB.h5, rewritten with the assignment and centroids
};
int run_cluster(const ClusterArgs& args, const Invocation& inv);

struct IndexArgs {
  std::string embeddings;
  std::string out;  // directory
};
int run_index(const IndexArgs& args, const Invocation& inv);

struct RetrieveArgs {
  std::string index;       // directory from `autoscale index`
  std::string embeddings;  // the same embeddings file
  std::vector<std::string> queries;  // scene tokens
  int k = 10;
  int cluster = -1;        // -1: the global index
  std::vector<std::string> exclude_logs;
  std::string queries_from;  // a file of query tokens, one per line
  bool all_real = false;     // every real scene of the embeddings is a query
  std::string shard;         // "i/N": only the i-th contiguous block of the queries
  std::string out;           // a TSV (with a header), written atomically; "" = print
};
int run_retrieve(const RetrieveArgs& args, const Invocation& inv);

struct MergeNeighboursArgs {
  std::string embeddings;          // the embeddings the parts queried (sets the query order)
  std::vector<std::string> parts;  // TSVs of `retrieve --shard i/N --out`
  std::string out;
};
// The parts' rows in query order (the embeddings' row order); a query in two parts is an error.
int run_merge_neighbours(const MergeNeighboursArgs& args, const Invocation& inv);

struct TrainArgs {
  std::vector<std::string> scenes;     // real stores (split by log)
  std::vector<std::string> synthetic;  // synthetic stores, co-trained (leakage-guarded)
  std::string out;                     // run directory
  bool resume = false;
  int64_t stop_after = -1;             // tests: stop after this step as if killed
};
int run_train(const TrainArgs& args, const Invocation& inv);

struct RunArgs {
  bool compare = false;   // every method of loop.compare instead of loop.method
  std::string out;        // run directory ("" = runs/<config name>-<time>)
  std::string resume;     // a run directory to continue (its config.yaml and plan)
  bool report = true;     // write RUN/report.html at the end
  int64_t max_steps = -1; // pause after this many loop steps (-1: run to the end)
  int64_t job = -1;       // only this job of the plan (-1: all)
};
int run_loop(const RunArgs& args, const Invocation& inv);
// The loop's view of the app config; runs/<config name>-<time> for a run without -o.
loop::ExperimentConfig experiment_config(const Invocation& inv);
std::string default_run_dir(const std::string& config_path);

struct SlurmSubmitArgs {
  bool compare = false;  // plan loop.compare instead of loop.method
  std::string out;       // run directory of a new run
  std::string resume;    // continue this run: submit its next step (what the chained job does)
  bool dry_run = false;  // write the job scripts and print the sbatch lines, submit nothing
};
int run_slurm_submit(const SlurmSubmitArgs& args, const Invocation& inv);

struct ReportArgs {
  std::string run;  // run directory
  std::string out;  // HTML file ("" = RUN/report.html)
};
int run_report(const ReportArgs& args, const Invocation& inv);

struct PairedArgs {
  std::string run_a, method_a, run_b, method_b;
};
int run_paired(const PairedArgs& args, const Invocation& inv);

// The log split of the real scenes of `stores` under data.split and run.seed.
std::map<std::string, scene::Split> real_log_splits(const std::vector<const scene::SceneStore*>& stores,
                                                    const AppConfig& config);
// A learned planner (a planner or checkpoint file) as an eval agent, its plans computed in batches.
std::unique_ptr<eval::Agent> learned_agent(const std::string& path, const scene::SceneStore& store,
                                           const std::vector<size_t>& rows, const AppConfig& config);

// "i/N" -> (i, N), or "slurm": the Slurm array task's part; throws Error naming the flag and value.
std::pair<size_t, size_t> parse_shard(const std::string& text);

}  // namespace autoscale::cli
