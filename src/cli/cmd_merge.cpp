// `autoscale merge ...`: joins the parts of the sharded stages. The handlers live with the
// stage they merge (import, eval, encode, retrieve); this file only binds the group.
#include <CLI/CLI.hpp>

#include <memory>

#include "command.h"
#include "commands.h"

namespace autoscale::cli {

Commands bind_merge(CLI::App& app, GlobalOptions&) {
  auto* merge = app.add_subcommand("merge", "merge the parts of sharded stages");
  merge->require_subcommand(1);
  auto scores = std::make_shared<MergeScoresArgs>();
  auto* scores_cmd = merge->add_subcommand("scores", "per-token CSVs of `eval --shard i/N` -> one CSV in store order");
  scores_cmd->add_option("--scenes", scores->scenes, "the scored store")->required();
  scores_cmd->add_option("--parts", scores->parts, "the parts' CSV files")->required()->expected(1, -1);
  scores_cmd->add_option("-o,--out", scores->out, "merged CSV")->required();
  auto neighbours = std::make_shared<MergeNeighboursArgs>();
  auto* neighbours_cmd =
      merge->add_subcommand("neighbours", "TSVs of `retrieve --shard i/N --out` -> one table in query order");
  neighbours_cmd->add_option("--embeddings", neighbours->embeddings, "the embeddings file the parts queried")->required();
  neighbours_cmd->add_option("--parts", neighbours->parts, "the parts' TSV files")->required()->expected(1, -1);
  neighbours_cmd->add_option("-o,--out", neighbours->out, "merged TSV")->required();
  auto stores = std::make_shared<MergeStoresArgs>();
  auto* stores_cmd = merge->add_subcommand("stores", "scene stores of `import --shard i/N` -> one store, in part order");
  stores_cmd->add_option("--parts", stores->parts, "the parts' store directories, in order")->required()->expected(1, -1);
  stores_cmd->add_option("-o,--out", stores->out, "the merged store (new)")->required();
  auto embeddings = std::make_shared<MergeEmbeddingsArgs>();
  auto* embeddings_cmd = merge->add_subcommand("embeddings", "EMB.h5 parts of `encode --shard i/N` -> one file");
  embeddings_cmd->add_option("--scenes", embeddings->scenes, "the stores, in the order given to encode")
      ->required()
      ->expected(1, -1);
  embeddings_cmd->add_option("--parts", embeddings->parts, "the parts' embedding files")->required()->expected(1, -1);
  embeddings_cmd->add_option("-o,--out", embeddings->out, "merged embeddings file")->required();
  return {{scores_cmd, [scores](const Invocation& inv) { return run_merge_scores(*scores, inv); }},
          {neighbours_cmd, [neighbours](const Invocation& inv) { return run_merge_neighbours(*neighbours, inv); }},
          {stores_cmd, [stores](const Invocation& inv) { return run_merge_stores(*stores, inv); }},
          {embeddings_cmd, [embeddings](const Invocation& inv) { return run_merge_embeddings(*embeddings, inv); }}};
}

}  // namespace autoscale::cli
