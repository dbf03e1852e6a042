// autoscale::Error: the one exception type of the project.
//
// An error carries its innermost message plus a chain of context lines added while it unwinds
// ("reading store 'x'", "scene 'tok'"). what() joins them outermost first, so a user sees
//   error: import 'a.xml': lanelet 43349: leftBound point 3: x: expected a number, got "abc"
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace autoscale {

class Error : public std::exception {
 public:
  explicit Error(std::string message);

  // Adds an outer context line; the newest context is printed first. An empty context, or one
  // the message already starts with, is left out: every error names its context once.
  Error& add_context(std::string context);

  const std::string& message() const { return message_; }
  const std::vector<std::string>& context() const { return context_; }  // innermost first
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  void rebuild();

  std::string message_;
  std::vector<std::string> context_;
  std::string what_;
};

// Runs fn(); if it throws autoscale::Error, adds `context` and rethrows. Other std::exceptions
// (from libraries) are converted into an Error so that they get the context too.
template <class Fn>
decltype(auto) with_context(const std::string& context, Fn&& fn) {
  try {
    return fn();
  } catch (Error& e) {
    e.add_context(context);
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    Error wrapped(e.what());
    wrapped.add_context(context);
    throw wrapped;
  }
}

// Quotes a user-supplied value for an error message: "abc" with control characters escaped and
// long values shortened, so that a message stays on one line.
std::string quote(const std::string& value);

}  // namespace autoscale

// Precise error macros in the FAISS style: the message is formatted with fmt and names the
// file, field and offending value.
#define AUTOSCALE_THROW(...) throw ::autoscale::Error(::fmt::format(__VA_ARGS__))
#define AUTOSCALE_CHECK(cond, ...)  \
  do {                              \
    if (!(cond)) {                  \
      AUTOSCALE_THROW(__VA_ARGS__); \
    }                               \
  } while (false)
