// test_losses_util.h — helpers for the loss tests: the PyTorch fixture reader/runner (fixtures made by
// tools/make_loss_fixtures.py, read from tests/fixtures/losses/<family>.safetensors) and small
// finiteness checks. A fixture case is a group of tensors <case>/in/<arg>, <case>/param/<name>,
// <case>/out, <case>/gout, <case>/grad/<arg> (see the script's docstring).
#pragma once
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <sstream>
#include <string>

#include "core/safetensors.h"
#include "tests/test_util.h"

namespace eg::test {

inline const char* kFixtureHint =
    "regenerate with: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 tools/make_loss_fixtures.py";

// Relative error against a reference: |a − b| / max(|b|, 1e-6·max|b|, 1e-300), elementwise, so near-zero
// gradient entries are judged at the scale of their tensor. Fills a report of the first mismatches.
struct RelCompare {
  double max_rel = 0, max_abs = 0;
  std::string report;
  bool ok = true;
};
inline RelCompare rel_compare(const Tensor& got, const Tensor& ref, double tol, const std::string& what) {
  RelCompare r;
  if (got.shape() != ref.shape()) {
    r.ok = false;
    r.max_rel = INFINITY;
    r.report = what + ": shape " + shape_str(got.shape()) + " vs reference " + shape_str(ref.shape()) + "\n";
    return r;
  }
  auto a = got.to_vector<double>(), b = ref.to_vector<double>();
  double scale = 0;
  for (double v : b) scale = std::max(scale, std::abs(v));
  std::ostringstream os;
  int shown = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    double e = std::abs(a[i] - b[i]);
    double rel = e / std::max({std::abs(b[i]), 1e-6 * scale, 1e-300});
    if (!std::isfinite(a[i])) rel = INFINITY;
    r.max_abs = std::max(r.max_abs, e);
    r.max_rel = std::max(r.max_rel, rel);
    if (!(rel <= tol)) {
      r.ok = false;
      if (shown++ < 5)
        os << what << " at " << i << ": got " << a[i] << ", reference " << b[i] << " (rel " << rel << ")\n";
    }
  }
  r.report = os.str();
  return r;
}

// One case of a fixture file: its inputs as leaves (those with a reference gradient require grad).
class FixtureCase {
 public:
  FixtureCase(const SafetensorsFile& file, std::string name, std::string path)
      : file_(file), name_(std::move(name)), path_(std::move(path)) {}

  const std::string& name() const { return name_; }
  Tensor in(const std::string& arg) {
    auto it = leaves_.find(arg);
    if (it != leaves_.end()) return it->second;
    Tensor t = get("in/" + arg).clone();
    if (file_.find(name_ + "/grad/" + arg)) t.requires_grad_(true);
    return leaves_[arg] = t;
  }
  double param(const std::string& p) const { return get("param/" + p).item(); }
  bool has(const std::string& key) const { return file_.find(name_ + "/" + key) != nullptr; }
  Tensor get(const std::string& key) const {
    const Tensor* t = file_.find(name_ + "/" + key);
    if (!t) FAIL_CHECK("fixture ", path_, ": case '", name_, "' has no tensor '", key, "'; ", kFixtureHint);
    REQUIRE(t);
    return *t;
  }
  const std::map<std::string, Tensor>& leaves() const { return leaves_; }

 private:
  const SafetensorsFile& file_;
  std::string name_, path_;
  std::map<std::string, Tensor> leaves_;
};

// Loads tests/fixtures/losses/<family>.safetensors once per call site.
inline SafetensorsFile load_loss_fixture(const std::string& family) {
  std::string path = std::string(EG_SOURCE_DIR) + "/tests/fixtures/losses/" + family + ".safetensors";
  try {
    return load_safetensors(path);
  } catch (const std::exception& e) {
    FAIL("cannot read loss fixture ", path, ": ", e.what(), "\n", kFixtureHint);
  }
  return {};
}

struct FixtureResult {
  bool ok = true;
  double max_rel = 0, max_abs = 0;
  std::string report;  // on failure: the first mismatches, the max errors and the regeneration hint
};

// Runs case `name` of `file`: out = fn(case); compares out with <case>/out, then backpropagates
// <case>/gout and compares every input gradient the file holds (relative tolerance `tol`).
inline FixtureResult compare_fixture(const SafetensorsFile& file, const std::string& family, const std::string& name,
                                     const std::function<Tensor(FixtureCase&)>& fn, double tol = 1e-5) {
  std::string path = "tests/fixtures/losses/" + family + ".safetensors";
  FixtureCase c(file, name, path);
  FixtureResult res;
  auto add = [&](const RelCompare& r) {
    res.ok = res.ok && r.ok;
    res.max_rel = std::max(res.max_rel, r.max_rel);
    res.max_abs = std::max(res.max_abs, r.max_abs);
    res.report += r.report;
  };
  Tensor out = fn(c);
  add(rel_compare(out, c.get("out"), tol, name + "/out"));
  if (out.requires_grad()) {
    out.backward(c.get("gout").to(out.dtype()).view_as_shape(out.shape()));
    for (auto& [arg, leaf] : c.leaves()) {
      if (!c.has("grad/" + arg)) continue;
      Tensor g = leaf.grad().defined() ? leaf.grad() : zeros(leaf.shape(), leaf.options());
      add(rel_compare(g, c.get("grad/" + arg), tol, name + "/grad/" + arg));
    }
  } else {
    for (auto& [arg, leaf] : c.leaves())
      if (c.has("grad/" + arg)) {
        res.ok = false;
        res.report += name + ": the output does not require grad, but the fixture has a gradient for " + arg + "\n";
      }
  }
  if (!res.ok) {
    std::ostringstream os;
    os << path << " case " << name << " differs from the PyTorch reference:\n"
       << res.report << "max relative error " << res.max_rel << ", max abs diff " << res.max_abs << "\n"
       << kFixtureHint;
    res.report = os.str();
  }
  return res;
}

// compare_fixture as a doctest check. Returns the max relative error seen; set EG_LOSS_FIXTURE_REPORT=1
// to print one line per case.
inline double run_fixture(const SafetensorsFile& file, const std::string& family, const std::string& name,
                          const std::function<Tensor(FixtureCase&)>& fn, double tol = 1e-5) {
  FixtureResult r = compare_fixture(file, family, name, fn, tol);
  CHECK_MESSAGE(r.ok, r.report);
  if (const char* env = std::getenv("EG_LOSS_FIXTURE_REPORT"); env && *env == '1')
    MESSAGE(family, "/", name, ": max relative error ", r.max_rel);
  return r.max_rel;
}

// True when every element of t is finite.
inline bool all_finite(const Tensor& t) {
  for (double v : t.to_vector<double>())
    if (!std::isfinite(v)) return false;
  return true;
}

// Runs backward on a scalar loss and checks the loss and the gradient of every given leaf are finite.
inline void check_finite_backward(const Tensor& loss, const std::vector<Tensor>& leaves, const char* what) {
  INFO(what);
  CHECK(all_finite(loss));
  loss.backward();
  for (auto& l : leaves) {
    REQUIRE(l.grad().defined());
    CHECK(all_finite(l.grad()));
  }
}

}  // namespace eg::test
