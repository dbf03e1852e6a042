#include "autoscale/core/config.h"

#include <gtest/gtest.h>

#include "autoscale/core/error.h"

namespace autoscale {
namespace {

struct TrainSection {
  double lr = 1e-3;
  int64_t steps = 100;
  bool amp = true;
  std::string optimizer = "adamw";
  std::vector<double> betas{0.9, 0.999};
  void visit(ConfigVisitor& v) {
    v.field("lr", lr, "learning rate", positive());
    v.field("steps", steps, "optimiser steps", at_least(1));
    v.field("amp", amp, "mixed precision");
    v.field("optimizer", optimizer, "optimiser", Choices{"adamw", "sgd"});
    v.field("betas", betas, "Adam betas", in_range(0, 1));
  }
};

struct Root {
  int64_t seed = 0;
  std::vector<std::string> stores;
  TrainSection train;
  void visit(ConfigVisitor& v) {
    v.field("seed", seed, "seed", at_least(0));
    v.field("stores", stores, "scene stores");
    v.section("train", train, "training");
  }
};

Root load(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  Root r;
  load_config_text([&](ConfigVisitor& v) { r.visit(v); }, yaml, "mix.yaml", overrides);
  return r;
}

std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    load(yaml, overrides);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsWhenKeysAreMissing) {
  const Root r = load("{}");
  EXPECT_EQ(r.train.lr, 1e-3);
  EXPECT_EQ(r.train.steps, 100);
  EXPECT_EQ(r.train.optimizer, "adamw");
}

TEST(Config, ReadsTypedValues) {
  const Root r = load("seed: 7\nstores: [a, b]\ntrain:\n  lr: 0.5\n  amp: false\n  optimizer: sgd\n  betas: [0.5, 0.6]\n");
  EXPECT_EQ(r.seed, 7);
  EXPECT_EQ(r.stores, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.train.lr, 0.5);
  EXPECT_FALSE(r.train.amp);
  EXPECT_EQ(r.train.optimizer, "sgd");
  EXPECT_EQ(r.train.betas, (std::vector<double>{0.5, 0.6}));
}

TEST(Config, WrongTypeNamesFileLineKeyAndValue) {
  EXPECT_EQ(error_of("train:\n  lr: abc\n"), "mix.yaml:2: train.lr: expected a positive number, got \"abc\"");
  EXPECT_EQ(error_of("train:\n  steps: 1.5\n"), "mix.yaml:2: train.steps: expected an integer >= 1, got \"1.5\"");
  EXPECT_EQ(error_of("train:\n  amp: maybe\n"), "mix.yaml:2: train.amp: expected true or false, got \"maybe\"");
  EXPECT_EQ(error_of("train: 3\n"), "mix.yaml:1: train: expected a mapping of keys");
  EXPECT_EQ(error_of("stores: a\n"), "mix.yaml:1: stores: expected a list");
}

TEST(Config, OutOfRangeAndNonFinite) {
  EXPECT_EQ(error_of("train:\n  lr: -1\n"), "mix.yaml:2: train.lr: expected a positive number, got -1");
  EXPECT_EQ(error_of("train:\n  steps: 0\n"), "mix.yaml:2: train.steps: expected an integer >= 1, got 0");
  EXPECT_EQ(error_of("train:\n  lr: .nan\n"), "mix.yaml:2: train.lr: expected a finite number, got \".nan\"");
  EXPECT_EQ(error_of("train:\n  lr: inf\n"), "mix.yaml:2: train.lr: expected a finite number, got \"inf\"");
  EXPECT_EQ(error_of("train:\n  betas: [0.5, 2]\n"),
            "mix.yaml:2: train.betas[1]: expected a number in [0, 1], got 2");
  EXPECT_EQ(error_of("train:\n  optimizer: adam\n"),
            "mix.yaml:2: train.optimizer: expected one of adamw, sgd, got \"adam\"");
}

TEST(Config, UnknownKeysAreErrorsWithSuggestions) {
  EXPECT_EQ(error_of("train:\n  lrr: 0.1\n"), "mix.yaml:2: train.lrr: unknown key (did you mean 'train.lr'?)");
  EXPECT_EQ(error_of("bogus: 1\n"), "mix.yaml:1: bogus: unknown key");
}

// yaml-cpp would keep the first of two equal keys: the second value would be lost silently.
TEST(Config, DuplicateKeysNameTheFileKeyPathAndLines) {
  EXPECT_EQ(error_of("seed: 1\ntrain:\n  lr: 0.1\n  steps: 5\n  lr: 0.2\n"),
            "mix.yaml:5: train.lr: duplicate key (first set on line 3)");
  EXPECT_EQ(error_of("train:\n  lr: 0.1\nseed: 2\ntrain:\n  steps: 3\n"),
            "mix.yaml:4: train: duplicate key (first set on line 1)");
  EXPECT_EQ(error_of("{seed: 1, seed: 2}"), "mix.yaml:1: seed: duplicate key (first set on line 1)");
  EXPECT_EQ(error_of("seed: 1\n", {"seed=2"}), "") << "an override replaces a key, it does not repeat it";
}

TEST(Config, SyntaxErrorNamesTheLine) {
  const std::string e = error_of("train:\n  lr: [1, 2\n");
  EXPECT_NE(e.find("mix.yaml:"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
}

TEST(Config, OverridesApplyAndAreValidated) {
  const Root r = load("train:\n  lr: 0.5\n", {"train.lr=0.25", "train.optimizer=sgd", "stores=[x]", "seed=3"});
  EXPECT_EQ(r.train.lr, 0.25);
  EXPECT_EQ(r.train.optimizer, "sgd");
  EXPECT_EQ(r.stores, std::vector<std::string>{"x"});
  EXPECT_EQ(r.seed, 3);
  EXPECT_EQ(error_of("{}", {"train.lr=abc"}),
            "override \"train.lr=abc\": train.lr: expected a positive number, got \"abc\"");
  EXPECT_EQ(error_of("{}", {"train.nope=1"}), "override \"train.nope=1\": train.nope: unknown key");
  EXPECT_EQ(error_of("{}", {"novalue"}), "override \"novalue\": expected key.path=value");
}

TEST(Config, DumpRoundTripsWithDocs) {
  Root r = load("seed: 9\ntrain:\n  lr: 0.1\n  betas: [0.25]\n");
  const std::string yaml = config_to_yaml(r);
  EXPECT_NE(yaml.find("# learning rate"), std::string::npos) << yaml;
  Root back = load(yaml);
  EXPECT_EQ(back.seed, 9);
  EXPECT_EQ(back.train.lr, 0.1);
  EXPECT_EQ(back.train.betas, std::vector<double>{0.25});
  EXPECT_EQ(config_to_yaml(back), yaml);
}

}  // namespace
}  // namespace autoscale
