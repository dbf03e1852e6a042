#include "autoscale/core/config.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"

namespace autoscale {

bool Limits::contains(double v) const {
  if (min_exclusive ? !(v > min) : !(v >= min)) return false;
  if (max_exclusive ? !(v < max) : !(v <= max)) return false;
  return true;
}

std::string Limits::describe() const {
  const bool has_min = std::isfinite(min), has_max = std::isfinite(max);
  if (!has_min && !has_max) return "a finite number";
  if (has_min && !has_max) {
    if (min == 0 && min_exclusive) return "a positive number";
    if (min == 0) return "a non-negative number";
    return fmt::format("a number {} {}", min_exclusive ? ">" : ">=", min);
  }
  if (!has_min) return fmt::format("a number {} {}", max_exclusive ? "<" : "<=", max);
  return fmt::format("a number in {}{}, {}{}", min_exclusive ? "(" : "[", min, max, max_exclusive ? ")" : "]");
}

void ConfigVisitor::field(const char* name, int& value, const char* doc, Limits limits) {
  int64_t wide = value;
  if (limits.min < std::numeric_limits<int>::min()) limits.min = std::numeric_limits<int>::min();
  if (limits.max > std::numeric_limits<int>::max()) limits.max = std::numeric_limits<int>::max();
  field(name, wide, doc, limits);
  value = static_cast<int>(wide);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

namespace {

std::string join_path(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// Reads fields from a YAML tree. Errors name the origin (file:line or the override) and the
// key path, then say what was expected and what was found.
class YamlReader final : public ConfigVisitor {
 public:
  YamlReader(YAML::Node root, std::string origin, std::map<std::string, std::string> override_origin)
      : origin_(std::move(origin)), override_origin_(std::move(override_origin)) {
    levels_.push_back({std::move(root), "", {}});
  }

  void field(const char* name, bool& value, const char* doc) override {
    with_scalar(name, [&](const std::string& text, const std::string& path) {
      static const std::set<std::string> kTrue{"true", "True", "TRUE", "yes", "on"};
      static const std::set<std::string> kFalse{"false", "False", "FALSE", "no", "off"};
      if (kTrue.count(text)) {
        value = true;
      } else if (kFalse.count(text)) {
        value = false;
      } else {
        fail(path, fmt::format("expected true or false, got {}", quote(text)));
      }
    });
  }

  void field(const char* name, int64_t& value, const char* doc, Limits limits) override {
    with_scalar(name, [&](const std::string& text, const std::string& path) {
      errno = 0;
      char* end = nullptr;
      const long long parsed = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE) {
        fail(path, fmt::format("expected {}, got {}", describe_int(limits), quote(text)));
      }
      if (!limits.contains(static_cast<double>(parsed))) {
        fail(path, fmt::format("expected {}, got {}", describe_int(limits), parsed));
      }
      value = parsed;
    });
  }

  void field(const char* name, double& value, const char* doc, Limits limits) override {
    with_scalar(name, [&](const std::string& text, const std::string& path) {
      value = parse_double(text, path, limits);
    });
  }

  void field(const char* name, std::string& value, const char* doc, const Choices& choices) override {
    with_scalar(name, [&](const std::string& text, const std::string& path) {
      if (!choices.empty() && std::find(choices.begin(), choices.end(), text) == choices.end()) {
        fail(path, fmt::format("expected one of {}, got {}", fmt::join(choices, ", "), quote(text)));
      }
      value = text;
    });
  }

  void field(const char* name, std::vector<std::string>& value, const char* doc) override {
    with_sequence(name, [&](const YAML::Node& seq, const std::string& path) {
      std::vector<std::string> out;
      for (size_t i = 0; i < seq.size(); ++i) {
        if (!seq[i].IsScalar()) fail(fmt::format("{}[{}]", path, i), "expected a string");
        out.push_back(seq[i].Scalar());
      }
      value = std::move(out);
    });
  }

  void field(const char* name, std::vector<double>& value, const char* doc, Limits limits) override {
    with_sequence(name, [&](const YAML::Node& seq, const std::string& path) {
      std::vector<double> out;
      for (size_t i = 0; i < seq.size(); ++i) {
        const std::string item = fmt::format("{}[{}]", path, i);
        if (!seq[i].IsScalar()) fail(item, "expected a number");
        out.push_back(parse_double(seq[i].Scalar(), item, limits));
      }
      value = std::move(out);
    });
  }

  void renamed(const char* old_name, const char* new_name) override {
    Level& level = levels_.back();
    level.seen.insert(old_name);
    if (!level.node.IsMap() || !level.node[old_name].IsDefined()) return;
    const std::string old_path = join_path(level.path, old_name), new_path = join_path(level.path, new_name);
    if (level.node[new_name].IsDefined()) fail(old_path, fmt::format("renamed {}; give only one of the two", new_path));
    spdlog::warn("{}: {} was renamed {}; read as such", origin_, old_path, new_path);
    level.node[new_name] = level.node[old_name];
    const auto it = override_origin_.find(old_path);  // errors in its value name the override
    if (it != override_origin_.end()) override_origin_[new_path] = it->second;
  }

  // Called once after the root struct was visited: keys nobody asked for are typos.
  void finish() { check_unknown_keys(levels_.back()); }

 protected:
  void enter(const char* name, const char* doc) override {
    Level& parent = levels_.back();
    parent.seen.insert(name);
    const std::string path = join_path(parent.path, name);
    YAML::Node child = parent.node.IsMap() ? parent.node[name] : YAML::Node();
    if (child.IsDefined()) current_mark_ = child.Mark();
    if (child.IsDefined() && !child.IsNull() && !child.IsMap()) fail(path, "expected a mapping of keys");
    if (!child.IsDefined() || child.IsNull()) child = YAML::Node(YAML::NodeType::Map);
    levels_.push_back({child, path, {}});
  }

  void leave() override {
    check_unknown_keys(levels_.back());
    levels_.pop_back();
  }

 private:
  struct Level {
    YAML::Node node;
    std::string path;
    std::set<std::string> seen;
  };

  static std::string describe_int(const Limits& l) {
    std::string d = l.describe();
    if (d == "a finite number") return "an integer";
    if (d.rfind("a number", 0) == 0) return "an integer" + d.substr(8);
    const auto pos = d.find("number");
    return pos == std::string::npos ? d : d.replace(pos, 6, "integer");
  }

  double parse_double(const std::string& text, const std::string& path, const Limits& limits) {
    errno = 0;
    char* end = nullptr;
    const double parsed = std::strtod(text.c_str(), &end);
    const bool is_number = !text.empty() && *end == '\0' && errno != ERANGE;
    const bool yaml_special = text == ".nan" || text == ".NaN" || text == ".inf" || text == "-.inf" ||
                              text == ".Inf" || text == "-.Inf";
    if (yaml_special || (is_number && !std::isfinite(parsed))) {
      fail(path, fmt::format("expected a finite number, got {}", quote(text)));
    }
    if (!is_number) fail(path, fmt::format("expected {}, got {}", limits.describe(), quote(text)));
    if (!limits.contains(parsed)) fail(path, fmt::format("expected {}, got {}", limits.describe(), text));
    return parsed;
  }

  template <class Fn>
  void with_scalar(const char* name, Fn&& fn) {
    Level& level = levels_.back();
    level.seen.insert(name);
    if (!level.node.IsMap()) return;
    const YAML::Node node = level.node[name];
    if (!node.IsDefined()) return;  // keep the default
    const std::string path = join_path(level.path, name);
    current_mark_ = node.Mark();
    if (!node.IsScalar()) fail(path, node.IsNull() ? "expected a value, got nothing" : "expected a single value");
    fn(node.Scalar(), path);
  }

  template <class Fn>
  void with_sequence(const char* name, Fn&& fn) {
    Level& level = levels_.back();
    level.seen.insert(name);
    if (!level.node.IsMap()) return;
    const YAML::Node node = level.node[name];
    if (!node.IsDefined()) return;
    const std::string path = join_path(level.path, name);
    current_mark_ = node.Mark();
    if (!node.IsSequence()) fail(path, "expected a list");
    fn(node, path);
  }

  void check_unknown_keys(const Level& level) {
    if (!level.node.IsMap()) return;
    for (const auto& kv : level.node) {
      const std::string key = kv.first.Scalar();
      if (level.seen.count(key)) continue;
      current_mark_ = kv.first.Mark();
      std::string best;
      size_t best_distance = 3;  // suggest only close matches
      for (const auto& known : level.seen) {
        const size_t d = edit_distance(key, known);
        if (d < best_distance) best_distance = d, best = known;
      }
      std::string message = "unknown key";
      if (!best.empty()) message += fmt::format(" (did you mean '{}'?)", join_path(level.path, best));
      fail(join_path(level.path, key), message);
    }
  }

  [[noreturn]] void fail(const std::string& path, const std::string& message) {
    std::string where = origin_;
    const auto it = override_origin_.find(path);
    if (it != override_origin_.end()) {
      where = fmt::format("override {}", quote(it->second));
    } else if (!current_mark_.is_null()) {
      where = fmt::format("{}:{}", origin_, current_mark_.line + 1);
    }
    AUTOSCALE_THROW("{}: {}: {}", where, path, message);
  }

  std::string origin_;
  std::map<std::string, std::string> override_origin_;  // key path -> "a.b=value" text
  std::vector<Level> levels_;
  YAML::Mark current_mark_ = YAML::Mark::null_mark();
};

// Writes the config as YAML with each field's doc as a trailing comment.
class YamlWriter final : public ConfigVisitor {
 public:
  YamlWriter() { out_ << YAML::BeginMap; }

  void field(const char* name, bool& value, const char* doc) override {
    out_ << YAML::Key << name << YAML::Value << (value ? "true" : "false") << YAML::Comment(doc);
  }
  void field(const char* name, int64_t& value, const char* doc, Limits) override {
    out_ << YAML::Key << name << YAML::Value << value << YAML::Comment(doc);
  }
  void field(const char* name, double& value, const char* doc, Limits) override {
    out_ << YAML::Key << name << YAML::Value << fmt::format("{}", value) << YAML::Comment(doc);
  }
  void field(const char* name, std::string& value, const char* doc, const Choices& choices) override {
    out_ << YAML::Key << name << YAML::Value << YAML::DoubleQuoted << value;
    out_ << YAML::Comment(choices.empty() ? std::string(doc)
                                          : fmt::format("{} ({})", doc, fmt::join(choices, " | ")));
  }
  void field(const char* name, std::vector<std::string>& value, const char* doc) override {
    out_ << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : value) out_ << YAML::DoubleQuoted << v;
    out_ << YAML::EndSeq << YAML::Comment(doc);
  }
  void field(const char* name, std::vector<double>& value, const char* doc, Limits) override {
    out_ << YAML::Key << name << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (double v : value) out_ << fmt::format("{}", v);
    out_ << YAML::EndSeq << YAML::Comment(doc);
  }

  std::string str() {
    out_ << YAML::EndMap;
    return std::string(out_.c_str()) + "\n";
  }

 protected:
  void enter(const char* name, const char* doc) override {
    out_ << YAML::Key << name << YAML::Comment(doc) << YAML::Value << YAML::BeginMap;
  }
  void leave() override { out_ << YAML::EndMap; }

 private:
  YAML::Emitter out_;
};

// Applies "a.b.c=value" to the tree; the value is parsed as YAML so lists and numbers keep
// their type. Returns the key path.
std::string apply_override(YAML::Node& root, const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    AUTOSCALE_THROW("override {}: expected key.path=value", quote(text));
  }
  const std::string path = text.substr(0, eq);
  const std::string value_text = text.substr(eq + 1);
  std::vector<std::string> keys;
  size_t start = 0;
  while (true) {
    const auto dot = path.find('.', start);
    keys.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  YAML::Node value;
  try {
    value = YAML::Load(value_text);
  } catch (const YAML::Exception& e) {
    AUTOSCALE_THROW("override {}: cannot parse the value: {}", quote(text), e.msg);
  }
  if (!value.IsDefined() || value.IsNull()) value = YAML::Node(value_text);

  YAML::Node node = root;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].empty()) AUTOSCALE_THROW("override {}: empty key in {}", quote(text), quote(path));
    if (!node.IsMap() && !node.IsNull()) {
      AUTOSCALE_THROW("override {}: {} is not a mapping", quote(text), quote(keys[i - 1]));
    }
    if (i + 1 == keys.size()) {
      node[keys[i]] = value;
    } else {
      YAML::Node child = node[keys[i]];
      if (!child.IsDefined() || child.IsNull()) node[keys[i]] = YAML::Node(YAML::NodeType::Map);
      node.reset(node[keys[i]]);
    }
  }
  return path;
}

// yaml-cpp keeps every copy of a repeated key and lookups return the first, so a later value
// the user meant to win would be ignored without a word: a repeated key is an error.
void check_duplicate_keys(const YAML::Node& node, const std::string& path, const std::string& origin) {
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) check_duplicate_keys(node[i], fmt::format("{}[{}]", path, i), origin);
    return;
  }
  if (!node.IsMap()) return;
  std::map<std::string, int> first_line;
  for (const auto& kv : node) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : YAML::Dump(kv.first);
    const std::string key_path = join_path(path, key);
    const int line = kv.first.Mark().line + 1;
    const auto [it, fresh] = first_line.emplace(key, line);
    if (!fresh) AUTOSCALE_THROW("{}:{}: {}: duplicate key (first set on line {})", origin, line, key_path, it->second);
    check_duplicate_keys(kv.second, key_path, origin);
  }
}

}  // namespace

void load_config_text(const ConfigVisit& visit, const std::string& yaml_text, const std::string& origin,
                      const std::vector<std::string>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    AUTOSCALE_THROW("{}:{}: invalid YAML: {}", origin, e.mark.line + 1, e.msg);
  }
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) AUTOSCALE_THROW("{}: expected a mapping of keys at the top level", origin);
  check_duplicate_keys(root, "", origin);

  std::map<std::string, std::string> override_origin;
  for (const auto& text : overrides) override_origin[apply_override(root, text)] = text;

  YamlReader reader(root, origin, std::move(override_origin));
  visit(reader);
  reader.finish();
}

void load_config_file(const ConfigVisit& visit, const std::string& path, const std::vector<std::string>& overrides) {
  const std::string text = read_file(path);
  load_config_text(visit, text, path, overrides);
}

std::string dump_config(const ConfigVisit& visit) {
  YamlWriter writer;
  visit(writer);
  return writer.str();
}

}  // namespace autoscale
