// `--shard i/N` of the sharded stages, or `--shard slurm`: this task's part of a Slurm job array.
#include <cstdio>
#include <cstdlib>

#include "autoscale/core/error.h"
#include "commands.h"

namespace autoscale::cli {

namespace {

size_t slurm_variable(const char* name) {
  const char* v = std::getenv(name);
  AUTOSCALE_CHECK(v && *v, "--shard slurm: {} is not set (not inside a Slurm job array task?)", name);
  char* end = nullptr;
  const long long x = std::strtoll(v, &end, 10);
  AUTOSCALE_CHECK(end && *end == '\0' && x >= 0, "--shard slurm: {}={} is not a non-negative integer", name, quote(v));
  return static_cast<size_t>(x);
}

}  // namespace

std::pair<size_t, size_t> parse_shard(const std::string& text) {
  if (text == "slurm") {
    // Arrays need not start at 0 (--array=1-8): the part is the task's offset from the first.
    const size_t id = slurm_variable("SLURM_ARRAY_TASK_ID"), first = slurm_variable("SLURM_ARRAY_TASK_MIN");
    const size_t count = slurm_variable("SLURM_ARRAY_TASK_COUNT");
    AUTOSCALE_CHECK(count > 0 && id >= first && id - first < count,
                    "--shard slurm: task {} of an array of {} starting at {}: use a contiguous --array=A-B", id, count,
                    first);
    return {id - first, count};
  }
  size_t i = 0, n = 0;
  char slash = 0, extra = 0;
  const int got = std::sscanf(text.c_str(), "%zu%c%zu%c", &i, &slash, &n, &extra);
  AUTOSCALE_CHECK(got == 3 && slash == '/' && n > 0 && i < n, "--shard: expected i/N with 0 <= i < N, or slurm, got {}",
                  quote(text));
  return {i, n};
}

}  // namespace autoscale::cli
