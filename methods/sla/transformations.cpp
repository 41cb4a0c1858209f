// transformations.cpp — SLA transformation sets and batch expansion (see transformations.h). Each copy
// goes through the data pipeline's Rot90 / ChannelPermute, so the pixel rules are the tested ones.
#include "methods/sla/transformations.h"

#include <algorithm>

#include "methods/data/transforms.h"

namespace eg::sla {

bool TransformationSet::permutes_colour() const {
  return std::any_of(perms.begin(), perms.end(), [](const auto& p) { return !p.empty(); });
}

bool TransformationSet::has_odd_turns() const {
  return std::any_of(turns.begin(), turns.end(), [](int64_t k) { return k % 2 != 0; });
}

const std::vector<std::string>& transformation_names() {
  static const std::vector<std::string> n = {"rotation",        "rotation2",        "color_perm",      "color_perm3",
                                             "rot_color_perm6", "rot_color_perm12", "rot_color_perm24"};
  return n;
}

const std::vector<std::vector<int64_t>>& colour_permutations() {
  static const std::vector<std::vector<int64_t>> p = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  return p;
}

const std::vector<std::vector<int64_t>>& cyclic_colour_permutations() {
  static const std::vector<std::vector<int64_t>> p = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}};
  return p;
}

namespace {
// Rotation outer, colour inner: j = r·P + p.
TransformationSet product(const std::string& name, const std::vector<int64_t>& turns,
                          const std::vector<std::vector<int64_t>>& perms) {
  TransformationSet t{name, {}, {}};
  for (int64_t r : turns)
    for (const auto& p : perms) {
      t.turns.push_back(r);
      t.perms.push_back(p);
    }
  return t;
}
}  // namespace

TransformationSet make_transformations(const std::string& name) {
  const std::vector<std::vector<int64_t>> none = {{}};
  const auto &six = colour_permutations(), &three = cyclic_colour_permutations();
  if (name == "rotation") return product(name, {0, 1, 2, 3}, none);
  if (name == "rotation2") return product(name, {0, 2}, none);
  if (name == "color_perm") return product(name, {0}, six);
  if (name == "color_perm3") return product(name, {0}, three);
  if (name == "rot_color_perm6") return product(name, {0, 2}, three);
  if (name == "rot_color_perm12") return product(name, {0, 1, 2, 3}, three);
  if (name == "rot_color_perm24") return product(name, {0, 1, 2, 3}, six);
  std::string known;
  for (auto& n : transformation_names()) {
    if (!known.empty()) known += ", ";
    known += n;
  }
  ENGINE_FAIL("unknown SLA transformation set '", name, "' (known: ", known, ")");
}

void check_images(const TransformationSet& t, int64_t C, int64_t H, int64_t W) {
  ENGINE_CHECK(!t.permutes_colour() || C == 3, "transformation set '", t.name, "' permutes colour channels and needs ",
               "3-channel images, got ", C, " channel(s) (grey copies would be identical under different labels)");
  ENGINE_CHECK(!t.has_odd_turns() || H == W, "transformation set '", t.name, "' rotates by 90° and needs square ",
               "images, got H = ", H, ", W = ", W);
}

Tensor expand_batch(const Tensor& x, const TransformationSet& t) {
  ENGINE_CHECK(t.size() >= 1 && t.perms.size() == t.turns.size(), "expand_batch: malformed transformation set '",
               t.name, "'");
  ENGINE_CHECK(x.defined() && x.dim() == 4, "expand_batch: expected images [B, C, H, W], got ",
               x.defined() ? shape_str(x.shape()) : std::string("an undefined tensor"));
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), M = t.size();
  check_images(t, C, H, W);
  const int64_t per = C * H * W;
  std::vector<float> in = x.to_vector<float>(), out((size_t)(B * M * per));
  Generator unused;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t j = 0; j < M; ++j) {
      data::Image img{C, H, W, std::vector<float>(in.begin() + b * per, in.begin() + (b + 1) * per)};
      if (!t.perms[(size_t)j].empty()) data::ChannelPermute(t.perms[(size_t)j]).apply(img, unused);
      data::Rot90(t.turns[(size_t)j]).apply(img, unused);
      std::copy(img.data.begin(), img.data.end(), out.begin() + (b * M + j) * per);
    }
  return from_vector(out, {B * M, C, H, W}).to(x.device());
}

Tensor repeat_labels(const Tensor& y, int64_t M) {
  ENGINE_CHECK(M >= 1, "repeat_labels: M must be >= 1, got ", M);
  ENGINE_CHECK(y.defined() && y.dim() == 1 && y.dtype() == DType::I64, "repeat_labels: labels must be i64 [B]");
  std::vector<int64_t> out;
  for (int64_t v : y.to_vector<int64_t>()) out.insert(out.end(), (size_t)M, v);
  return from_vector(out, {(int64_t)out.size()}).to(y.device());
}

Tensor transformation_labels(int64_t B, int64_t M, Device device) {
  ENGINE_CHECK(B >= 0 && M >= 1, "transformation_labels: need B >= 0 and M >= 1, got ", B, " and ", M);
  std::vector<int64_t> out((size_t)(B * M));
  for (int64_t i = 0; i < B * M; ++i) out[(size_t)i] = i % M;
  return from_vector(out, {B * M}).to(device);
}

}  // namespace eg::sla
