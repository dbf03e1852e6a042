// `autoscale retrieve`: the nearest synthetic scenes to query scenes, for a few tokens on the
// terminal or in bulk (every real scene, or a token list) as a TSV, sharded by contiguous blocks
// of the queries; `autoscale merge neighbours` puts the parts back in query order.
#include <CLI/CLI.hpp>

#include <memory>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <unordered_map>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"
#include "autoscale/mixture/embeddings.h"
#include "autoscale/mixture/retrieval.h"
#include "autoscale/scene/types.h"
#include "command.h"
#include "commands.h"

namespace autoscale::cli {

namespace {

constexpr const char* kNeighboursHeader = "query\tneighbour\tsimilarity\tcluster\tsource_log";

std::unordered_map<std::string, size_t> rows_by_token(const mixture::Embeddings& e) {
  std::unordered_map<std::string, size_t> row_of;
  for (size_t i = 0; i < e.size(); ++i) row_of[e.tokens[i]] = i;
  return row_of;
}

std::vector<std::string> query_tokens(const RetrieveArgs& args, const mixture::Embeddings& e) {
  std::vector<std::string> queries = args.queries;
  if (!args.queries_from.empty()) {
    std::ifstream in(args.queries_from);
    AUTOSCALE_CHECK(in.good(), "retrieve: cannot open --queries-from {}", quote(args.queries_from));
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) queries.push_back(line);
    }
  }
  if (args.all_real) {
    for (size_t i = 0; i < e.size(); ++i) {
      if (e.domains[i] == static_cast<uint8_t>(scene::Domain::kReal)) queries.push_back(e.tokens[i]);
    }
  }
  AUTOSCALE_CHECK(!queries.empty(), "retrieve: no queries (--query, --queries-from or --all-real)");
  return queries;
}

}  // namespace

int run_retrieve(const RetrieveArgs& args, const Invocation&) {
  const auto e = mixture::read_embeddings(args.embeddings);
  const auto index = mixture::RetrievalIndex::load(args.index);
  const auto row_of = rows_by_token(e);
  std::vector<std::string> queries = query_tokens(args, e);
  if (!args.shard.empty()) {
    const auto [i, n] = parse_shard(args.shard);
    const size_t first = i * queries.size() / n, last = (i + 1) * queries.size() / n;
    queries = std::vector<std::string>(queries.begin() + static_cast<std::ptrdiff_t>(first),
                                       queries.begin() + static_cast<std::ptrdiff_t>(last));
  }
  const std::set<std::string> excluded(args.exclude_logs.begin(), args.exclude_logs.end());
  std::string table = args.out.empty() ? "" : std::string(kNeighboursHeader) + "\n";
  for (const auto& token : queries) {
    const auto it = row_of.find(token);
    AUTOSCALE_CHECK(it != row_of.end(), "retrieve: token {} is not in {}", quote(token), args.embeddings);
    const std::vector<float> q(e.z.begin() + static_cast<std::ptrdiff_t>(it->second * e.dim),
                               e.z.begin() + static_cast<std::ptrdiff_t>((it->second + 1) * e.dim));
    for (const auto& hit : index.search(q, args.k, args.cluster, excluded, e)) {
      const std::string line = fmt::format(
          "{}\t{}\t{:.4f}\t{}\t{}", token, e.tokens[hit.row], hit.similarity,
          e.assignment.empty() ? -1LL : static_cast<long long>(e.assignment[hit.row]),
          e.source_logs[hit.row].empty() ? "-" : e.source_logs[hit.row]);
      if (args.out.empty()) {
        std::printf("%s\n", line.c_str());
      } else {
        table += line + "\n";
      }
    }
  }
  if (!args.out.empty()) {
    write_file_atomic(args.out, table);
    std::printf("retrieved %d neighbours for each of %zu queries into %s\n", args.k, queries.size(), args.out.c_str());
  }
  return 0;
}

int run_merge_neighbours(const MergeNeighboursArgs& args, const Invocation&) {
  const auto e = mixture::read_embeddings(args.embeddings);
  const auto row_of = rows_by_token(e);
  struct Line {
    size_t query_row, rank;
    std::string text;
  };
  std::vector<Line> lines;
  std::unordered_map<std::string, std::string> part_of;  // query -> the part that answered it
  for (const auto& part : args.parts) {
    std::ifstream in(part);
    AUTOSCALE_CHECK(in.good(), "{}: cannot open", part);
    std::string head, line;
    AUTOSCALE_CHECK(std::getline(in, head) && head == kNeighboursHeader,
                    "{}: not a neighbour table (autoscale retrieve --out)", part);
    std::string last_query;
    size_t rank = 0;
    for (size_t n = 2; std::getline(in, line); ++n) {
      if (line.empty()) continue;
      const std::string query = line.substr(0, line.find('\t'));
      const auto it = row_of.find(query);
      AUTOSCALE_CHECK(it != row_of.end(), "{}:{}: query {} is not in {}", part, n, quote(query), args.embeddings);
      const auto [owner, fresh] = part_of.emplace(query, part);
      AUTOSCALE_CHECK(fresh || (owner->second == part && query == last_query),
                      "merge neighbours: query {} appears in {} and again in {}:{}", quote(query), owner->second, part, n);
      rank = query == last_query ? rank + 1 : 0;
      last_query = query;
      lines.push_back({it->second, rank, line});
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return std::tie(a.query_row, a.rank) < std::tie(b.query_row, b.rank); });
  std::string out = std::string(kNeighboursHeader) + "\n";
  for (const auto& l : lines) out += l.text + "\n";
  write_file_atomic(args.out, out);
  std::printf("merged %zu parts: %zu queries, %zu neighbours into %s\n", args.parts.size(), part_of.size(), lines.size(),
              args.out.c_str());
  return 0;
}

Commands bind_retrieve(CLI::App& app, GlobalOptions&) {
  auto args = std::make_shared<RetrieveArgs>();
  auto* cmd = app.add_subcommand("retrieve", "nearest synthetic scenes to given scenes");
  cmd->add_option("--index", args->index, "index directory")->required();
  cmd->add_option("--embeddings", args->embeddings, "the embeddings file it was built from")->required();
  cmd->add_option("--query", args->queries, "scene tokens to query with")->expected(1, -1);
  cmd->add_option("--queries-from", args->queries_from, "a file of query tokens, one per line");
  cmd->add_flag("--all-real", args->all_real, "query with every real scene of the embeddings");
  cmd->add_option("--shard", args->shard,
                  "answer only part i/N of the queries (contiguous; or slurm; merge with `merge neighbours`)");
  cmd->add_option("--out", args->out, "write a TSV with a header instead of printing");
  cmd->add_option("-k", args->k, "neighbours per query");
  cmd->add_option("--cluster", args->cluster, "search only this cluster (-1: all)");
  cmd->add_option("--exclude-logs", args->exclude_logs, "never return scenes from these (source) logs")->expected(1, -1);
  return {{cmd, [args](const Invocation& inv) { return run_retrieve(*args, inv); }}};
}

}  // namespace autoscale::cli
