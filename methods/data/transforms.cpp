// transforms.cpp — the per-image transforms (torchvision semantics on CHW float images).
#include "methods/data/transforms.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/check.h"

namespace eg::data {

namespace {

void check_image(const char* op, const Image& img) {
  ENGINE_CHECK(img.c > 0 && img.h > 0 && img.w > 0, op, ": bad image geometry c=", img.c, " h=", img.h,
               " w=", img.w);
  ENGINE_CHECK((int64_t)img.data.size() == img.c * img.h * img.w, op, ": image of ", img.c, "x", img.h, "x",
               img.w, " holds ", img.data.size(), " values");
}

// Copies the window [top, top+oh) x [left, left+ow) of img, with `fill` wherever it falls outside.
void crop_window(Image& img, int64_t top, int64_t left, int64_t oh, int64_t ow, float fill) {
  Image out{img.c, oh, ow, std::vector<float>((size_t)(img.c * oh * ow), fill)};
  for (int64_t ch = 0; ch < img.c; ++ch)
    for (int64_t y = 0; y < oh; ++y) {
      int64_t sy = top + y;
      if (sy < 0 || sy >= img.h) continue;
      for (int64_t x = 0; x < ow; ++x) {
        int64_t sx = left + x;
        if (sx >= 0 && sx < img.w) out.at(ch, y, x) = img.at(ch, sy, sx);
      }
    }
  img = std::move(out);
}

}  // namespace

Normalize::Normalize(std::vector<float> mean, std::vector<float> std) : mean_(std::move(mean)), std_(std::move(std)) {
  ENGINE_CHECK(!mean_.empty() && mean_.size() == std_.size(), "Normalize: mean has ", mean_.size(),
               " entries and std ", std_.size(), "; need one per channel, both the same");
  for (size_t i = 0; i < std_.size(); ++i)
    ENGINE_CHECK(std_[i] != 0.0f && std::isfinite(std_[i]) && std::isfinite(mean_[i]), "Normalize: channel ", i,
                 " has mean ", mean_[i], " std ", std_[i], "; std must be finite and nonzero");
}

void Normalize::apply(Image& img, Generator&) const {
  check_image("Normalize", img);
  ENGINE_CHECK((int64_t)mean_.size() == img.c, "Normalize: ", mean_.size(), " mean/std entries for an image of ",
               img.c, " channels");
  int64_t hw = img.h * img.w;
  for (int64_t ch = 0; ch < img.c; ++ch) {
    float m = mean_[(size_t)ch], inv = 1.0f / std_[(size_t)ch];
    float* p = img.data.data() + ch * hw;
    for (int64_t i = 0; i < hw; ++i) p[i] = (p[i] - m) * inv;
  }
}

RandomCrop::RandomCrop(int64_t size, int64_t padding, float fill) : size_(size), padding_(padding), fill_(fill) {
  ENGINE_CHECK(size > 0 && padding >= 0, "RandomCrop: size ", size, " must be > 0 and padding ", padding,
               " >= 0");
}

void RandomCrop::apply(Image& img, Generator& g) const {
  check_image("RandomCrop", img);
  int64_t ph = img.h + 2 * padding_, pw = img.w + 2 * padding_;
  ENGINE_CHECK(ph >= size_ && pw >= size_, "RandomCrop: crop ", size_, "x", size_, " is larger than the padded image ",
               ph, "x", pw);
  // Offsets in padded coordinates, then shifted back into the unpadded image (outside = fill).
  int64_t top = g.randint(ph - size_ + 1), left = g.randint(pw - size_ + 1);
  crop_window(img, top - padding_, left - padding_, size_, size_, fill_);
}

RandomHorizontalFlip::RandomHorizontalFlip(double p) : p_(p) {
  ENGINE_CHECK(p >= 0.0 && p <= 1.0, "RandomHorizontalFlip: p = ", p, " is outside [0, 1]");
}

void RandomHorizontalFlip::apply(Image& img, Generator& g) const {
  check_image("RandomHorizontalFlip", img);
  if (!(g.uniform() < p_)) return;
  for (int64_t row = 0; row < img.c * img.h; ++row) {
    float* p = img.data.data() + row * img.w;
    std::reverse(p, p + img.w);
  }
}

Rot90::Rot90(int64_t k) : k_(((k % 4) + 4) % 4) {}

void Rot90::apply(Image& img, Generator&) const {
  check_image("Rot90", img);
  if (k_ == 0) return;
  int64_t H = img.h, W = img.w;
  int64_t oh = (k_ == 2) ? H : W, ow = (k_ == 2) ? W : H;
  Image out{img.c, oh, ow, std::vector<float>(img.data.size())};
  for (int64_t ch = 0; ch < img.c; ++ch)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        float v;
        if (k_ == 1) v = img.at(ch, j, W - 1 - i);              // rot90 = transpose of the W-flip
        else if (k_ == 2) v = img.at(ch, H - 1 - i, W - 1 - j);  // both axes flipped
        else v = img.at(ch, H - 1 - j, i);                       // k = 3: transpose of the H-flip
        out.at(ch, i, j) = v;
      }
  img = std::move(out);
}

ChannelPermute::ChannelPermute(std::vector<int64_t> perm) : perm_(std::move(perm)) {
  bool ok = perm_.size() == 3;
  std::vector<int64_t> sorted = perm_;
  std::sort(sorted.begin(), sorted.end());
  ok = ok && sorted == std::vector<int64_t>{0, 1, 2};
  std::string got;
  for (auto p : perm_) {
    if (!got.empty()) got += ",";  // (not `"" + to_string`: GCC 12 -O3 warns falsely on that form)
    got += std::to_string(p);
  }
  ENGINE_CHECK(ok, "ChannelPermute: perm (", got, ") is not a permutation of (0,1,2)");
}

void ChannelPermute::apply(Image& img, Generator&) const {
  check_image("ChannelPermute", img);
  ENGINE_CHECK(img.c == 3, "ChannelPermute: needs a 3-channel image, got ", img.c,
               " channels (permuting grey channels gives degenerate labels)");
  int64_t hw = img.h * img.w;
  std::vector<float> out(img.data.size());
  for (int64_t ch = 0; ch < 3; ++ch)
    std::copy_n(img.data.begin() + perm_[(size_t)ch] * hw, hw, out.begin() + ch * hw);
  img.data = std::move(out);
}

Resize::Resize(int64_t h, int64_t w) : h_(h), w_(w) {
  ENGINE_CHECK(h > 0 && w > 0, "Resize: target size ", h, "x", w, " must be positive");
}

void Resize::apply(Image& img, Generator&) const {
  check_image("Resize", img);
  if (img.h == h_ && img.w == w_) return;
  // Source coordinate of output index o: (o + 0.5) * in/out - 0.5, clamped at 0 (PyTorch's linear rule).
  struct Tap { int64_t i0, i1; float l1; };
  auto taps = [](int64_t in, int64_t out) {
    std::vector<Tap> t((size_t)out);
    double scale = (double)in / (double)out;
    for (int64_t o = 0; o < out; ++o) {
      double s = std::max((o + 0.5) * scale - 0.5, 0.0);
      int64_t i0 = std::min((int64_t)s, in - 1);
      int64_t i1 = std::min(i0 + 1, in - 1);
      t[(size_t)o] = {i0, i1, (float)(s - (double)i0)};
    }
    return t;
  };
  auto ty = taps(img.h, h_), tx = taps(img.w, w_);
  Image out{img.c, h_, w_, std::vector<float>((size_t)(img.c * h_ * w_))};
  for (int64_t ch = 0; ch < img.c; ++ch)
    for (int64_t y = 0; y < h_; ++y) {
      const Tap& a = ty[(size_t)y];
      for (int64_t x = 0; x < w_; ++x) {
        const Tap& b = tx[(size_t)x];
        float top = img.at(ch, a.i0, b.i0) * (1 - b.l1) + img.at(ch, a.i0, b.i1) * b.l1;
        float bot = img.at(ch, a.i1, b.i0) * (1 - b.l1) + img.at(ch, a.i1, b.i1) * b.l1;
        out.at(ch, y, x) = top * (1 - a.l1) + bot * a.l1;
      }
    }
  img = std::move(out);
}

CenterCrop::CenterCrop(int64_t size) : size_(size) {
  ENGINE_CHECK(size > 0, "CenterCrop: size ", size, " must be positive");
}

void CenterCrop::apply(Image& img, Generator&) const {
  check_image("CenterCrop", img);
  auto offset = [&](int64_t in) -> int64_t {
    if (size_ > in) return -((size_ - in) / 2);  // torchvision pads (size - in) // 2 before
    int64_t d = in - size_, q = d / 2;
    // round(d / 2) with ties to even: an odd d is a tie between q and q + 1.
    return (d % 2 == 0 || q % 2 == 0) ? q : q + 1;
  };
  crop_window(img, offset(img.h), offset(img.w), size_, size_, 0.0f);
}

Compose::Compose(std::vector<std::shared_ptr<Transform>> ts) : ts_(std::move(ts)) {
  for (size_t i = 0; i < ts_.size(); ++i) ENGINE_CHECK(ts_[i] != nullptr, "Compose: transform ", i, " is null");
}

void Compose::apply(Image& img, Generator& g) const {
  for (const auto& t : ts_) t->apply(img, g);
}

}  // namespace eg::data
