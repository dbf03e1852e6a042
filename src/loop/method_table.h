// Internal to the loop module: what each method of the public table (methods.h) runs. Exactly one
// of the three functions is set, matching info.kind.
#pragma once

#include <memory>
#include <string>

#include "autoscale/loop/methods.h"
#include "job_context.h"
#include "search.h"

namespace autoscale::loop {

struct MethodEntry {
  MethodInfo info;
  Selection (*one_shot)(const JobContext& ctx) = nullptr;
  std::unique_ptr<Search> (*iterative)(const JobContext& ctx) = nullptr;
  FoundSelection (*searched)(const JobContext& ctx) = nullptr;
  std::string decision;  // searched: the file under JOB/ that marks its search as done (resume)
};

// The entry of `name`; Error lists the known names.
const MethodEntry& method_entry(const std::string& name);

}  // namespace autoscale::loop
