// run_config.cpp — typed config.json and its resume comparison (see run_config.h).
#include "methods/train/run_config.h"

#include <cstdlib>

namespace eg::train {

// A command-line word as JSON: a number when the whole word is one, else the string.
static Json typed(const std::string& s) {
  if (s.empty()) return s;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  if (end && *end == '\0') {
    try {
      return Json::parse(s);  // keeps integers integral
    } catch (const Json::exception&) {
      return std::strtod(s.c_str(), nullptr);  // "1." or ".5": valid for strtod, not for JSON
    }
  }
  return s;
}

// CLI11 renders a vector default as "[a,b]"; an empty default as "" or "[]".
static std::vector<std::string> default_items(const std::string& d) {
  std::string s = d;
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  std::vector<std::string> out;
  size_t start = 0;
  while (!s.empty() && start <= s.size()) {
    size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Json flags_json(const CLI::App& app) {
  Json j = Json::object();
  for (const CLI::Option* o : app.get_options()) {
    std::string name = o->get_name(false, true);
    if (name.rfind("--", 0) != 0 || name == "--help") continue;
    name = name.substr(2);
    if (o->get_expected_min() == 0) {
      j[name] = o->as<bool>();
      continue;
    }
    std::vector<std::string> items = o->count() ? o->results() : default_items(o->get_default_str());
    if (o->get_items_expected_max() > 1) {
      Json arr = Json::array();
      for (auto& s : items) arr.push_back(typed(s));
      j[name] = arr;
    } else {
      j[name] = items.empty() ? Json(nullptr) : typed(items.back());
    }
  }
  return j;
}

Json run_config(const CLI::App& app, const std::string& trainer, const Json& resolved) {
  Json c = flags_json(app);
  for (auto& [k, v] : resolved.items())
    if (c.contains(k)) c[k] = v;
  c["trainer"] = trainer;
  c["resolved"] = resolved;
  return c;
}

const std::set<std::string>& config_keys_free_on_resume() {
  // "build" (written by RunDir::write_config: CPU, -march, kernels) may differ too: a run may continue on
  // another machine, and config.json then names the one that ran last.
  static const std::set<std::string> k = {"resume", "force", "out", "data-dir", "threads", "plain", "device",
                                          "init-from", "debug-kill-after-steps", "debug-interrupt-after-steps",
                                          "build"};
  return k;
}

static void diff(const Json& a, const Json& b, const std::string& prefix, const std::set<std::string>& ignore,
                 std::vector<std::string>& out) {
  std::set<std::string> keys;
  for (auto& [k, _] : a.items()) keys.insert(k);
  for (auto& [k, _] : b.items()) keys.insert(k);
  for (auto& k : keys) {
    if (prefix.empty() && ignore.count(k)) continue;
    std::string key = prefix + k;
    bool ina = a.contains(k), inb = b.contains(k);
    if (ina && inb && a[k].is_object() && b[k].is_object()) {
      diff(a[k], b[k], key + ".", ignore, out);
    } else if (!ina || !inb || a[k] != b[k]) {
      out.push_back(key + ": was " + (ina ? a[k].dump() : "(absent)") + ", now " + (inb ? b[k].dump() : "(absent)"));
    }
  }
}

// A resolved value that is also a flag is reported once, under the flag's name.
static Json without_flag_copies(Json c) {
  if (!c.contains("resolved") || !c["resolved"].is_object()) return c;
  Json kept = Json::object();
  for (auto& [k, v] : c["resolved"].items())
    if (!c.contains(k)) kept[k] = v;
  c["resolved"] = kept;
  return c;
}

std::vector<std::string> config_differences(const Json& stored, const Json& now, const std::set<std::string>& ignore) {
  std::vector<std::string> out;
  diff(without_flag_copies(stored), without_flag_copies(now), "", ignore, out);
  return out;
}

}  // namespace eg::train
