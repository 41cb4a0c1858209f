// transforms.h — per-image transforms applied by the DataLoader to one float image at a time, after it has
// converted the stored uint8 pixels to float by /255 (so every fill and mean/std value is in [0, 1] units).
// Each random transform draws only from the Generator it is handed; the loader derives that Generator from
// (seed, epoch, position in the epoch), so augmentation is reproducible whatever the thread timing.
// Semantics follow torchvision on CHW tensors. Shape letters: C channels, H height, W width.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/generator.h"

namespace eg::data {

using eg::Generator;

// One image, CHW row-major: pixel (ch, y, x) is data[(ch * h + y) * w + x].
struct Image {
  int64_t c = 0, h = 0, w = 0;
  std::vector<float> data;
  float& at(int64_t ch, int64_t y, int64_t x) { return data[(size_t)((ch * h + y) * w + x)]; }
  float at(int64_t ch, int64_t y, int64_t x) const { return data[(size_t)((ch * h + y) * w + x)]; }
};

class Transform {
 public:
  virtual ~Transform() = default;
  // Transforms img in place (its c/h/w may change). Throws eg::Error naming the transform on a bad image.
  virtual void apply(Image& img, Generator& g) const = 0;
};

// out[c] = (in[c] - mean[c]) / std[c]; mean and std need one entry per channel, std entries nonzero.
class Normalize : public Transform {
 public:
  Normalize(std::vector<float> mean, std::vector<float> std);
  void apply(Image& img, Generator& g) const override;

 private:
  std::vector<float> mean_, std_;
};

// torchvision RandomCrop(size, padding, fill): pad every side by `padding` with `fill`, then take a
// size x size window whose top-left corner is uniform over all positions (top drawn first, then left).
class RandomCrop : public Transform {
 public:
  RandomCrop(int64_t size, int64_t padding = 0, float fill = 0.0f);
  void apply(Image& img, Generator& g) const override;

 private:
  int64_t size_, padding_;
  float fill_;
};

// Mirrors the W axis with probability p (one uniform() draw per image, flip when it is < p).
class RandomHorizontalFlip : public Transform {
 public:
  explicit RandomHorizontalFlip(double p = 0.5);
  void apply(Image& img, Generator& g) const override;

 private:
  double p_;
};

// torch.rot90(x, k, (1, 2)): k quarter turns counter-clockwise in the (H, W) plane; k is taken mod 4
// (negative k turns clockwise). For k = 1, out[c, i, j] = in[c, j, W-1-i], and the output is W x H, so
// odd k on a non-square image changes the shape (the loader then rejects a batch of mixed shapes).
class Rot90 : public Transform {
 public:
  explicit Rot90(int64_t k);
  void apply(Image& img, Generator& g) const override;

 private:
  int64_t k_;
};

// out[c] = in[perm[c]] (SLA colour permutation); perm must be a permutation of {0, 1, 2}, the image RGB.
class ChannelPermute : public Transform {
 public:
  explicit ChannelPermute(std::vector<int64_t> perm);
  void apply(Image& img, Generator& g) const override;

 private:
  std::vector<int64_t> perm_;
};

// Bilinear resize to h x w with half-pixel centres and edge clamping, i.e.
// F.interpolate(mode="bilinear", align_corners=False) without antialiasing.
class Resize : public Transform {
 public:
  Resize(int64_t h, int64_t w);
  void apply(Image& img, Generator& g) const override;

 private:
  int64_t h_, w_;
};

// torchvision CenterCrop(size): top = round((H - size) / 2) with Python's round-half-to-even, same for
// left; a crop larger than the image pads with zeros ((size - H) // 2 before, the rest after).
class CenterCrop : public Transform {
 public:
  explicit CenterCrop(int64_t size);
  void apply(Image& img, Generator& g) const override;

 private:
  int64_t size_;
};

// Applies its transforms in order, all drawing from the same Generator.
class Compose : public Transform {
 public:
  explicit Compose(std::vector<std::shared_ptr<Transform>> ts);
  void apply(Image& img, Generator& g) const override;

 private:
  std::vector<std::shared_ptr<Transform>> ts_;
};

}  // namespace eg::data
