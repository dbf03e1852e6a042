// The selection methods, in one table: it feeds the config's choices and help text, the compare
// defaults, the plan (which budget a method runs at, which are on the N_syn curve) and the job
// dispatch. Adding a method is one entry in src/loop/methods.cpp.
#pragma once

#include <string>
#include <vector>

namespace autoscale::loop {

enum class MethodKind {
  kOneShot,    // the selection is computed once (the static baselines)
  kIterative,  // proxy trainings (offline) or training stages (online) between selections; resumable per iteration
  kSearched,   // runs its own search and returns the final selection at once (its decision file marks it done)
};

// Which synthetic budget a method's main job runs at.
enum class MethodBudget {
  kNone,       // no synthetic data (real_only)
  kWholePool,  // every synthetic scene (vanilla_all)
  kBudget,     // loop.synthetic_budget, and the curve budgets when `on_curve`
};

struct MethodInfo {
  std::string name;
  MethodKind kind = MethodKind::kOneShot;
  MethodBudget budget = MethodBudget::kBudget;
  bool on_curve = false;     // also run at loop.compare.curve_budgets (the PDMS-vs-N_syn curve)
  bool compared = false;     // in the default loop.compare.methods
  std::string alias_of;      // "" or the method this name runs (autoscale_v1 = autoscale)
  std::string help;          // one line for the config docs
  bool scores_labels = false;  // needs every synthetic scene's own label scored (a quality gate on the pool)
};

// Every method, in the order the docs and the default compare list them.
const std::vector<MethodInfo>& methods();
// The method called `name`; Error lists the known names.
const MethodInfo& method_info(const std::string& name);
std::vector<std::string> method_names();
std::vector<std::string> compared_method_names();  // the default loop.compare.methods
std::string methods_help();                         // "name: help; name: help; ..."

}  // namespace autoscale::loop
