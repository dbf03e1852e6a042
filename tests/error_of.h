// Test helper: the message of the autoscale::Error a call throws, or "(no error)".
#pragma once

#include <functional>
#include <string>

#include "autoscale/core/error.h"

namespace autoscale::testing {

inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace autoscale::testing
