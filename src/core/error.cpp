#include "autoscale/core/error.h"

namespace autoscale {

Error::Error(std::string message) : message_(std::move(message)) { rebuild(); }

Error& Error::add_context(std::string context) {
  // Nested wrappers often name the same thing (a store's reader and the command that opened it
  // both say "scene store X"); a context the message already starts with, or none, adds nothing.
  const bool repeated = what_.size() > context.size() && what_.compare(0, context.size(), context) == 0 &&
                        what_.compare(context.size(), 2, ": ") == 0;
  if (context.empty() || repeated) return *this;
  context_.push_back(std::move(context));
  rebuild();
  return *this;
}

void Error::rebuild() {
  what_.clear();
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    what_ += *it;
    what_ += ": ";
  }
  what_ += message_;
}

std::string quote(const std::string& value) {
  constexpr size_t kMaxShown = 80;
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < kMaxShown; ++i) {
    const char c = value[i];
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"') {
      out += "\\\"";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  if (value.size() > kMaxShown) out += "...";
  out += "\"";
  return out;
}

}  // namespace autoscale
