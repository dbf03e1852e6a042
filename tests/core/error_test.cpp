#include "autoscale/core/error.h"

#include <gtest/gtest.h>

namespace autoscale {
namespace {

TEST(Error, ContextChainPrintsOutermostFirst) {
  try {
    with_context("import 'a.xml'", [] {
      with_context("lanelet 7", [] { AUTOSCALE_THROW("x: expected a number, got {}", quote("abc")); });
    });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "import 'a.xml': lanelet 7: x: expected a number, got \"abc\"");
    EXPECT_EQ(e.message(), "x: expected a number, got \"abc\"");
    ASSERT_EQ(e.context().size(), 2u);
    EXPECT_EQ(e.context()[0], "lanelet 7");
  }
}

TEST(Error, ForeignExceptionsGetContextToo) {
  try {
    with_context("reading store", [] { throw std::runtime_error("disk full"); });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "reading store: disk full");
  }
}

// Nested readers that both name what they read ("scene store X" in the reader and in its
// caller) must not print it twice; an empty context must not print ": " (issue 23).
TEST(Error, RepeatedOrEmptyContextIsNamedOnce) {
  try {
    with_context("scene store \"s\"", [] {
      with_context("scene store \"s\"", [] { AUTOSCALE_THROW("no index.h5"); });
    });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "scene store \"s\": no index.h5");
  }
  try {
    with_context("a.h5", [] {
      with_context("", [] { AUTOSCALE_THROW("a.h5: dataset /z is missing"); });
    });
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "a.h5: dataset /z is missing");
  }
  // A context that is only a prefix of a longer word is still added.
  try {
    with_context("a", [] { AUTOSCALE_THROW("ab: bad"); });
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "a: ab: bad");
  }
}

TEST(Error, CheckPassesValuesThrough) {
  EXPECT_NO_THROW(AUTOSCALE_CHECK(1 + 1 == 2, "never"));
  EXPECT_THROW(AUTOSCALE_CHECK(false, "value {}", 3), Error);
}

TEST(Error, QuoteEscapesAndShortens) {
  EXPECT_EQ(quote("a\"b\nc"), "\"a\\\"b\\nc\"");
  const std::string long_value(200, 'x');
  EXPECT_EQ(quote(long_value).size(), 80u + 2u + 3u);
}

}  // namespace
}  // namespace autoscale
