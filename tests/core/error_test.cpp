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
