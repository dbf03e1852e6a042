// The Slurm chain as data: which scripts, in which order, depending on which, from where a run
// stands. tests/slurm runs it on a real single-node cluster.
#include "autoscale/loop/slurm_chain.h"

#include <gtest/gtest.h>

#include "autoscale/core/error.h"

namespace autoscale::loop {
namespace {

SlurmChainInput new_run() {
  SlurmChainInput in;
  in.binary = "/opt/autoscale";
  in.cwd = "/work";
  in.run = "/runs/it's here";  // a quote and a space stay one word
  in.command = "compare";
  in.jobs = 6;
  in.scenes = {"real", "syn"};
  return in;
}

std::vector<std::string> scripts_of(const SlurmChain& c) {
  std::vector<std::string> out;
  for (const auto& s : c.submissions) out.push_back(s.script);
  return out;
}

const SlurmScript& script(const SlurmChain& c, const std::string& file) {
  for (const auto& s : c.scripts) {
    if (s.file == file) return s;
  }
  throw std::runtime_error("no script " + file);
}

TEST(SlurmChain, ANewRunIsPrepareThenAStepThenItsContinuation) {
  const auto chain = plan_slurm_chain(new_run());
  EXPECT_EQ(scripts_of(chain), (std::vector<std::string>{"prepare.sbatch", "step.sbatch", "continue.sbatch"}));
  EXPECT_TRUE(chain.submissions[0].after.empty());
  EXPECT_EQ(chain.submissions[1].after, std::vector<int>{0});
  EXPECT_EQ(chain.submissions[2].after, std::vector<int>{1});
  EXPECT_EQ(chain.submissions[1].array_tasks, 0);  // slurm.parallel_jobs is off
  const std::string& prepare = script(chain, "prepare.sbatch").text;
  EXPECT_NE(prepare.find("exec '/opt/autoscale' compare --config '/runs/it'\\''s here/slurm/config.yaml' -o "
                         "'/runs/it'\\''s here' --max-steps 0 --no-report"),
            std::string::npos)
      << prepare;
  EXPECT_NE(prepare.find("#SBATCH --requeue"), std::string::npos);
  EXPECT_NE(prepare.find("#SBATCH --chdir=/work"), std::string::npos);
  const std::string& cont = script(chain, "continue.sbatch").text;
  EXPECT_NE(cont.find("slurm submit --resume"), std::string::npos);
  EXPECT_EQ(cont.find("--requeue"), std::string::npos);  // one CPU, not requeued
}

TEST(SlurmChain, APreparedRunSubmitsOnlyTheNextStep) {
  auto in = new_run();
  in.prepared = true;
  in.slurm.parallel_jobs = true;
  const auto chain = plan_slurm_chain(in);
  EXPECT_EQ(scripts_of(chain), (std::vector<std::string>{"step.sbatch", "continue.sbatch"}));
  EXPECT_EQ(chain.submissions[0].array_tasks, 6);  // one array task per job of the plan
  EXPECT_NE(script(chain, "step.sbatch").text.find("--job \"$SLURM_ARRAY_TASK_ID\""), std::string::npos);
  EXPECT_EQ(sbatch_options(chain.submissions[0], {}), std::vector<std::string>{"--array=0-5"});
  EXPECT_EQ(sbatch_options(chain.submissions[1], {"41"}),
            (std::vector<std::string>{"--dependency=afterok:41", "--kill-on-invalid-dep=yes"}));
}

TEST(SlurmChain, FannedOutEncodingFitsOnceEmbedsInAnArrayThenMergesBeforePrepare) {
  auto in = new_run();
  in.fan_out_encode = true;
  in.slurm.encode_shards = 4;
  in.slurm.gpus = 1;
  in.slurm.extra = {"--qos=high"};
  auto chain = plan_slurm_chain(in);
  EXPECT_EQ(scripts_of(chain), (std::vector<std::string>{"fit.sbatch", "embed.sbatch", "merge.sbatch",
                                                          "prepare.sbatch", "step.sbatch", "continue.sbatch"}));
  EXPECT_EQ(chain.submissions[1].array_tasks, 4);
  EXPECT_EQ(chain.submissions[1].after, std::vector<int>{0});
  EXPECT_EQ(chain.submissions[3].after, std::vector<int>{2});  // prepare waits for the merged embeddings
  const std::string& merge = script(chain, "merge.sbatch").text;
  EXPECT_NE(merge.find("emb-3.h5"), std::string::npos);
  EXPECT_NE(merge.find(" cluster --config "), std::string::npos);
  EXPECT_NE(script(chain, "embed.sbatch").text.find("#SBATCH --gpus=1\n#SBATCH --qos=high"), std::string::npos);
  in.model_fitted = true;  // a resubmission reuses the fitted model
  chain = plan_slurm_chain(in);
  EXPECT_EQ(chain.submissions.front().script, "embed.sbatch");
  EXPECT_TRUE(chain.submissions.front().after.empty());
}

TEST(SlurmChain, RefusesAnUnknownCommandAndDanglingDependencies) {
  auto in = new_run();
  in.command = "train";
  EXPECT_THROW(plan_slurm_chain(in), Error);
  EXPECT_THROW(sbatch_options({"step.sbatch", {2}, 0}, {"1"}), Error);
}

}  // namespace
}  // namespace autoscale::loop
