// Typed configuration: plain structs with defaults, described once by a visit() method.
//
// A config struct lists its fields in `void visit(ConfigVisitor& v)`:
//
//   struct WindowConfig {
//     double history_s = 1.5;
//     void visit(ConfigVisitor& v) {
//       v.field("history_s", history_s, "ego history before the current frame [s]", at_least(0));
//     }
//   };
//
// The same description drives YAML loading (typed, range-checked, unknown keys rejected with the
// key path), `a.b=value` overrides and the commented dump of the resolved config. yaml-cpp stays
// inside core's .cpp files; headers that declare config structs include only this file.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace autoscale {

// Allowed numeric range of a field. Defaults to "any finite number".
struct Limits {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  bool max_exclusive = false;

  bool contains(double v) const;
  std::string describe() const;  // "a positive number", "a number in [0, 1]", ...
};
inline Limits any_number() { return {}; }
inline Limits positive() { return {0.0, std::numeric_limits<double>::infinity(), true, false}; }
inline Limits at_least(double min) { return {min, std::numeric_limits<double>::infinity(), false, false}; }
inline Limits in_range(double min, double max) { return {min, max, false, false}; }

// Allowed values of a string field; empty means free text.
using Choices = std::vector<std::string>;

class ConfigVisitor {
 public:
  virtual ~ConfigVisitor() = default;

  virtual void field(const char* name, bool& value, const char* doc) = 0;
  virtual void field(const char* name, int64_t& value, const char* doc, Limits limits = {}) = 0;
  virtual void field(const char* name, double& value, const char* doc, Limits limits = {}) = 0;
  virtual void field(const char* name, std::string& value, const char* doc, const Choices& choices = {}) = 0;
  virtual void field(const char* name, std::vector<std::string>& value, const char* doc) = 0;
  virtual void field(const char* name, std::vector<double>& value, const char* doc, Limits limits = {}) = 0;

  // A nested struct with its own visit(); it becomes a YAML mapping under `name`.
  template <class Section>
  void section(const char* name, Section& s, const char* doc) {
    enter(name, doc);
    s.visit(*this);
    leave();
  }

  // int fields go through the int64 path so that every visitor handles one integer type.
  void field(const char* name, int& value, const char* doc, Limits limits = {});

  // A key that was renamed: configs written before (run directories resume with their own
  // config.yaml) still load, the old key read as the new one with a warning. Call it before
  // the field. Only the reader acts on it; the dump shows the new name.
  virtual void renamed(const char* old_name, const char* new_name) {}

 protected:
  virtual void enter(const char* name, const char* doc) = 0;
  virtual void leave() = 0;
};

using ConfigVisit = std::function<void(ConfigVisitor&)>;

// Loads YAML text (from `origin`, a file name used in messages) into the struct described by
// `visit`, after applying `overrides` ("a.b=value"). Throws Error naming the origin and the key
// path for syntax errors, unknown keys, wrong types and out-of-range values.
void load_config_text(const ConfigVisit& visit, const std::string& yaml_text, const std::string& origin,
                      const std::vector<std::string>& overrides = {});
void load_config_file(const ConfigVisit& visit, const std::string& path,
                      const std::vector<std::string>& overrides = {});

// The resolved config as commented YAML (every key, its doc and current value).
std::string dump_config(const ConfigVisit& visit);

// Convenience wrappers for a root struct with a visit() method.
template <class Root>
Root load_config(const std::string& path, const std::vector<std::string>& overrides = {}) {
  Root root;
  load_config_file([&](ConfigVisitor& v) { root.visit(v); }, path, overrides);
  return root;
}
template <class Root>
Root config_from_overrides(const std::vector<std::string>& overrides) {
  Root root;
  load_config_text([&](ConfigVisitor& v) { root.visit(v); }, "{}", "<defaults>", overrides);
  return root;
}
template <class Root>
std::string config_to_yaml(Root& root) {
  return dump_config([&](ConfigVisitor& v) { root.visit(v); });
}

// Levenshtein distance: the "did you mean" of unknown config keys and commands.
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace autoscale
