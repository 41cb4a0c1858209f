// test_data_pipeline.cpp — transforms on small hand-built images (values checked against torch/torchvision
// semantics worked out by hand), the dataset builders (cb.md's long-tail tables, open-set remapping,
// stratified splits), the samplers (composition and frequencies) and the DataLoader (values, determinism
// across prefetch depths and thread counts, skip_batches, restarting mid-epoch, error propagation).
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "core/check.h"
#include "methods/data/builders.h"
#include "methods/data/loader.h"
#include "methods/data/samplers.h"
#include "methods/data/transforms.h"

using namespace eg::data;
using eg::Generator;

namespace {

Image img_of(int64_t c, int64_t h, int64_t w, std::vector<float> v) {
  REQUIRE((int64_t)v.size() == c * h * w);
  return Image{c, h, w, std::move(v)};
}

// An image whose value at (ch, y, x) is 100 ch + 10 y + x: every position is recognisable.
Image coords(int64_t c, int64_t h, int64_t w) {
  Image im{c, h, w, std::vector<float>((size_t)(c * h * w))};
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) im.at(ch, y, x) = (float)(100 * ch + 10 * y + x);
  return im;
}

void check_values(const Image& im, int64_t c, int64_t h, int64_t w, const std::vector<float>& want) {
  CHECK(im.c == c);
  CHECK(im.h == h);
  CHECK(im.w == w);
  REQUIRE(im.data.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) CHECK_MESSAGE(im.data[i] == doctest::Approx(want[i]), "at ", i);
}

// Dataset of 1-channel h x w images with the given labels; image i's first pixel is i % 256 (a tag), the
// rest seeded noise.
ImageDataset make_ds(const std::vector<int64_t>& labels, int64_t num_classes, int64_t c = 1, int64_t h = 4,
                     int64_t w = 4, uint64_t seed = 7) {
  ImageDataset ds;
  ds.n = (int64_t)labels.size(), ds.c = c, ds.h = h, ds.w = w;
  ds.labels = labels;
  ds.num_classes = num_classes;
  ds.pixels.resize((size_t)(ds.n * c * h * w));
  Generator g(seed);
  for (auto& p : ds.pixels) p = (uint8_t)g.randint(256);
  for (int64_t i = 0; i < ds.n; ++i) ds.pixels[(size_t)(i * c * h * w)] = (uint8_t)(i % 256);
  ds.validate("make_ds");
  return ds;
}

std::vector<int64_t> repeat_labels(const std::vector<int64_t>& per_class) {
  std::vector<int64_t> y;
  for (size_t c = 0; c < per_class.size(); ++c) y.insert(y.end(), (size_t)per_class[c], (int64_t)c);
  return y;
}

int64_t sum(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), (int64_t)0); }

std::vector<std::vector<float>> epoch_batches(DataLoader& dl, int64_t epoch, int64_t skip = 0,
                                              std::vector<std::vector<int64_t>>* idx = nullptr) {
  dl.start_epoch(epoch, skip);
  std::vector<std::vector<float>> out;
  Batch b;
  while (dl.next(b)) {
    out.push_back(b.x.to_vector<float>());
    if (idx) idx->push_back(b.indices);
  }
  CHECK_FALSE(dl.next(b));  // stays exhausted
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------- transforms

TEST_CASE("data: Normalize per channel, and its size checks") {
  Generator g(0);
  Image im = img_of(2, 1, 2, {0.5f, 1.0f, 0.2f, 0.6f});
  Normalize({0.5f, 0.2f}, {0.5f, 0.2f}).apply(im, g);
  check_values(im, 2, 1, 2, {0.0f, 1.0f, 0.0f, 2.0f});
  Image three = coords(3, 1, 1);
  CHECK_THROWS_AS(Normalize({0.5f, 0.5f}, {1.f, 1.f}).apply(three, g), eg::Error);
  CHECK_THROWS_AS(Normalize({0.5f}, {1.f, 1.f}), eg::Error);
  CHECK_THROWS_AS(Normalize({0.5f}, {0.f}), eg::Error);
  Image bad{1, 2, 2, {1.f}};  // data does not match the geometry
  CHECK_THROWS_AS(Normalize({0.f}, {1.f}).apply(bad, g), eg::Error);
}

TEST_CASE("data: RandomCrop pads with fill and picks the window torchvision would") {
  // The window's top-left corner comes from randint(top), then randint(left), on the passed Generator.
  std::set<std::pair<int64_t, int64_t>> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Generator g(seed), replay(seed);
    int64_t top = replay.randint(3) - 1, left = replay.randint(3) - 1;  // padded 5x5, size 3, padding 1
    Image im = coords(2, 3, 3);
    RandomCrop(3, 1, -1.0f).apply(im, g);
    REQUIRE(im.c == 2);
    REQUIRE(im.h == 3);
    REQUIRE(im.w == 3);
    for (int64_t ch = 0; ch < 2; ++ch)
      for (int64_t y = 0; y < 3; ++y)
        for (int64_t x = 0; x < 3; ++x) {
          int64_t sy = top + y, sx = left + x;
          bool inside = sy >= 0 && sy < 3 && sx >= 0 && sx < 3;
          CHECK(im.at(ch, y, x) == (inside ? (float)(100 * ch + 10 * sy + sx) : -1.0f));
        }
    seen.insert({top, left});
  }
  CHECK(seen.size() == 9);  // every offset of the padded image is reachable

  Generator g(3);
  Image im = coords(1, 3, 3);
  RandomCrop(3).apply(im, g);  // no padding, same size: identity
  check_values(im, 1, 3, 3, coords(1, 3, 3).data);
  Image small = coords(1, 2, 2);
  CHECK_THROWS_AS(RandomCrop(5, 1).apply(small, g), eg::Error);
  CHECK_THROWS_AS(RandomCrop(0), eg::Error);
  CHECK_THROWS_AS(RandomCrop(3, -1), eg::Error);
}

TEST_CASE("data: RandomHorizontalFlip mirrors W with probability p") {
  Generator g(1);
  Image im = img_of(2, 2, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  RandomHorizontalFlip(1.0).apply(im, g);
  check_values(im, 2, 2, 3, {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10});
  RandomHorizontalFlip(0.0).apply(im, g);
  check_values(im, 2, 2, 3, {3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10});
  int flips = 0;
  for (int i = 0; i < 2000; ++i) {
    Image one = img_of(1, 1, 2, {0, 1});
    RandomHorizontalFlip(0.5).apply(one, g);
    flips += one.data[0] == 1.0f;
  }
  CHECK(flips > 900);
  CHECK(flips < 1100);
  CHECK_THROWS_AS(RandomHorizontalFlip(1.5), eg::Error);
}

TEST_CASE("data: Rot90 equals torch.rot90(x, k, (1, 2))") {
  Generator g(0);
  // x = [[1,2,3],[4,5,6]] (H=2, W=3); torch.rot90 gives these for k = 1, 2, 3.
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  Image k1 = img_of(1, 2, 3, x), k2 = img_of(1, 2, 3, x), k3 = img_of(1, 2, 3, x), km1 = img_of(1, 2, 3, x);
  Rot90(1).apply(k1, g);
  check_values(k1, 1, 3, 2, {3, 6, 2, 5, 1, 4});
  Rot90(2).apply(k2, g);
  check_values(k2, 1, 2, 3, {6, 5, 4, 3, 2, 1});
  Rot90(3).apply(k3, g);
  check_values(k3, 1, 3, 2, {4, 1, 5, 2, 6, 3});
  Rot90(-1).apply(km1, g);
  check_values(km1, 1, 3, 2, {4, 1, 5, 2, 6, 3});

  // sla.md: for k = 1 on a square image, out[c, i, j] = in[c, j, W-1-i]; four turns are the identity.
  Image sq = coords(2, 3, 3), four = coords(2, 3, 3);
  Rot90(1).apply(sq, g);
  for (int64_t ch = 0; ch < 2; ++ch)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 3; ++j) CHECK(sq.at(ch, i, j) == (float)(100 * ch + 10 * j + (2 - i)));
  for (int t = 0; t < 4; ++t) Rot90(1).apply(four, g);
  check_values(four, 2, 3, 3, coords(2, 3, 3).data);
  Image id = coords(1, 2, 3);
  Rot90(4).apply(id, g);
  check_values(id, 1, 2, 3, coords(1, 2, 3).data);
}

TEST_CASE("data: ChannelPermute takes out[c] = in[perm[c]] and rejects bad input") {
  Generator g(0);
  const std::vector<std::vector<int64_t>> perms = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  std::set<std::vector<float>> outs;
  for (const auto& p : perms) {
    Image im = img_of(3, 1, 2, {1, 1, 2, 2, 3, 3});
    ChannelPermute(p).apply(im, g);
    for (int64_t c = 0; c < 3; ++c) CHECK(im.at(c, 0, 1) == (float)(p[(size_t)c] + 1));
    outs.insert(im.data);
    // The inverse permutation restores the original.
    std::vector<int64_t> inv(3);
    for (int64_t c = 0; c < 3; ++c) inv[(size_t)p[(size_t)c]] = c;
    ChannelPermute(inv).apply(im, g);
    check_values(im, 3, 1, 2, {1, 1, 2, 2, 3, 3});
  }
  CHECK(outs.size() == 6);
  Image grey = coords(1, 2, 2);
  CHECK_THROWS_AS(ChannelPermute({0, 1, 2}).apply(grey, g), eg::Error);
  CHECK_THROWS_AS(ChannelPermute({0, 0, 1}), eg::Error);
  CHECK_THROWS_AS(ChannelPermute({0, 1}), eg::Error);
  CHECK_THROWS_AS(ChannelPermute({0, 1, 3}), eg::Error);
}

TEST_CASE("data: Resize is bilinear with half-pixel centres (align_corners=False)") {
  Generator g(0);
  // Up: taps along each axis are 0, 0.25, 0.75, 1 of the way, so out = 2 ty + tx.
  Image up = img_of(1, 2, 2, {0, 1, 2, 3});
  Resize(4, 4).apply(up, g);
  check_values(up, 1, 4, 4, {0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3});
  // Down by 2: each output is the mean of a 2x2 block.
  Image down{1, 4, 4, {}};
  for (int i = 0; i < 16; ++i) down.data.push_back((float)i);
  Resize(2, 2).apply(down, g);
  check_values(down, 1, 2, 2, {2.5, 4.5, 10.5, 12.5});
  // Non-uniform, one axis: 3 -> 2 samples at source 0.25 and 1.75.
  Image row = img_of(1, 1, 3, {0, 4, 8});
  Resize(1, 2).apply(row, g);
  check_values(row, 1, 1, 2, {1, 7});
  CHECK_THROWS_AS(Resize(0, 3), eg::Error);
}

TEST_CASE("data: CenterCrop rounds half to even and pads a larger crop with zeros") {
  Generator g(0);
  Image a = coords(1, 5, 5);  // (5-2)/2 = 1.5 rounds to 2
  CenterCrop(2).apply(a, g);
  check_values(a, 1, 2, 2, {22, 23, 32, 33});
  Image b = coords(1, 4, 4);  // (4-3)/2 = 0.5 rounds to 0
  CenterCrop(3).apply(b, g);
  check_values(b, 1, 3, 3, {0, 1, 2, 10, 11, 12, 20, 21, 22});
  Image c = coords(1, 7, 7);  // (7-4)/2 = 1.5 -> 2; (7-2)/2 = 2.5 -> 2
  Image c2 = c;
  CenterCrop(4).apply(c, g);
  CHECK(c.at(0, 0, 0) == 22.0f);
  CenterCrop(2).apply(c2, g);
  CHECK(c2.at(0, 0, 0) == 22.0f);
  Image d = img_of(1, 2, 2, {1, 2, 3, 4});  // 5 > 2: pad 1 before, 2 after
  CenterCrop(5).apply(d, g);
  check_values(d, 1, 5, 5, {0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
}

TEST_CASE("data: Compose applies in order on one Generator") {
  auto t = Compose({std::make_shared<RandomHorizontalFlip>(1.0), std::make_shared<Rot90>(1),
                    std::make_shared<Normalize>(std::vector<float>{1.0f}, std::vector<float>{2.0f})});
  Generator g(0);
  Image im = img_of(1, 2, 3, {1, 2, 3, 4, 5, 6});
  t.apply(im, g);
  // flip: [[3,2,1],[6,5,4]]; rot90: [[1,4],[2,5],[3,6]]; then (v - 1) / 2.
  check_values(im, 1, 3, 2, {0, 1.5, 0.5, 2, 1, 2.5});
  // Random transforms draw from the shared Generator in order: two crops = one crop's draws twice.
  auto two = Compose({std::make_shared<RandomCrop>(3, 1), std::make_shared<RandomCrop>(3, 1)});
  Generator ga(5), gb(5);
  Image x = coords(1, 3, 3), y = coords(1, 3, 3);
  two.apply(x, ga);
  RandomCrop(3, 1).apply(y, gb);
  RandomCrop(3, 1).apply(y, gb);
  check_values(x, 1, 3, 3, y.data);
  CHECK_THROWS_AS(Compose({nullptr}), eg::Error);
}

// ---------------------------------------------------------------------------------------------------- builders

TEST_CASE("data: long_tail_counts matches cb.md's tables") {
  using V = std::vector<int64_t>;
  CHECK(long_tail_counts(5000, 10, 100) == V{5000, 2997, 1796, 1077, 645, 387, 232, 139, 83, 50});
  CHECK(long_tail_counts(5000, 10, 50) == V{5000, 3237, 2096, 1357, 878, 568, 368, 238, 154, 100});
  CHECK(long_tail_counts(5000, 10, 10) == V{5000, 3871, 2997, 2320, 1796, 1391, 1077, 834, 645, 500});
  CHECK(sum(long_tail_counts(5000, 10, 100)) == 12406);
  CHECK(sum(long_tail_counts(5000, 10, 50)) == 13996);
  CHECK(sum(long_tail_counts(5000, 10, 10)) == 20431);
  auto c100 = long_tail_counts(500, 100, 100);
  CHECK(sum(c100) == 10847);
  CHECK(c100.front() == 500);
  CHECK(c100.back() == 5);
  CHECK(long_tail_counts(6000, 10, 10) == V{6000, 4645, 3596, 2784, 2156, 1669, 1292, 1000, 774, 600});
  CHECK(long_tail_counts(6000, 10, 50) == V{6000, 3884, 2515, 1628, 1054, 682, 442, 286, 185, 120});
  CHECK(long_tail_counts(6000, 10, 100) == V{6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60});
  CHECK(sum(long_tail_counts(6000, 10, 10)) == 24516);
  CHECK(sum(long_tail_counts(6000, 10, 50)) == 16796);
  CHECK(sum(long_tail_counts(6000, 10, 100)) == 14886);
  CHECK(long_tail_counts(7, 1, 100) == V{7});
  CHECK(long_tail_counts(10, 3, 1) == V{10, 10, 10});
  CHECK_THROWS_AS(long_tail_counts(5000, 10, 0.5), eg::Error);
  CHECK_THROWS_AS(long_tail_counts(0, 10, 10), eg::Error);
}

TEST_CASE("data: make_long_tail keeps seeded per-class subsets in dataset order") {
  // 3 classes interleaved, 20 images each; the first pixel tags the image index.
  std::vector<int64_t> labels;
  for (int i = 0; i < 60; ++i) labels.push_back(i % 3);
  ImageDataset ds = make_ds(labels, 3);
  ds.class_names = {"a", "b", "c"};
  ImageDataset lt = make_long_tail(ds, {20, 7, 2}, 11);
  CHECK(lt.class_counts() == std::vector<int64_t>{20, 7, 2});
  CHECK(lt.class_names == ds.class_names);
  std::vector<int64_t> tags;
  for (int64_t i = 0; i < lt.n; ++i) {
    int64_t tag = lt.image(i)[0];
    tags.push_back(tag);
    CHECK(lt.labels[(size_t)i] == tag % 3);                                              // label travels with it
    CHECK(std::equal(lt.image(i), lt.image(i) + lt.image_size(), ds.image(tag)));        // pixels too
  }
  CHECK(std::is_sorted(tags.begin(), tags.end()));
  // Same seed: same picks; a smaller count is a subset of a larger one; another seed differs.
  CHECK(make_long_tail(ds, {20, 7, 2}, 11).pixels == lt.pixels);
  ImageDataset smaller = make_long_tail(ds, {20, 3, 2}, 11);
  for (int64_t i = 0; i < smaller.n; ++i)
    CHECK(std::find(tags.begin(), tags.end(), (int64_t)smaller.image(i)[0]) != tags.end());
  CHECK(make_long_tail(ds, {20, 7, 2}, 12).pixels != lt.pixels);
  CHECK_THROWS_AS(make_long_tail(ds, {20, 21, 2}, 0), eg::Error);
  CHECK_THROWS_AS(make_long_tail(ds, {20, 7}, 0), eg::Error);
}

TEST_CASE("data: make_open_set remaps known labels in the order given") {
  std::vector<int64_t> labels;
  for (int i = 0; i < 50; ++i) labels.push_back(i % 5);
  ImageDataset train = make_ds(labels, 5, 1, 2, 2, 1), test = make_ds(labels, 5, 1, 2, 2, 2);
  train.class_names = test.class_names = {"c0", "c1", "c2", "c3", "c4"};
  OpenSetSplit s = make_open_set(train, test, {3, 1}, {0, 4});
  CHECK(s.known_classes == std::vector<int64_t>{3, 1});
  CHECK(s.unknown_classes == std::vector<int64_t>{0, 4});
  CHECK(s.known_train.num_classes == 2);
  CHECK(s.known_train.class_names == std::vector<std::string>{"c3", "c1"});
  CHECK(s.unknown_test.class_names == std::vector<std::string>{"c0", "c4"});
  CHECK(s.known_train.n == 20);
  CHECK(s.known_test.n == 20);
  CHECK(s.unknown_test.n == 20);
  for (int64_t i = 0; i < s.known_train.n; ++i) {
    int64_t orig = s.known_train.image(i)[0] % 5;  // tag = index, label = index % 5
    CHECK(s.known_train.labels[(size_t)i] == (orig == 3 ? 0 : 1));
  }
  for (int64_t i = 0; i < s.unknown_test.n; ++i) {
    int64_t orig = s.unknown_test.image(i)[0] % 5;
    CHECK(s.unknown_test.labels[(size_t)i] == (orig == 0 ? 0 : 1));
  }
  CHECK_THROWS_AS(make_open_set(train, test, {3, 1}, {1, 4}), eg::Error);  // overlap
  CHECK_THROWS_AS(make_open_set(train, test, {3, 3}, {0}), eg::Error);     // duplicate
  CHECK_THROWS_AS(make_open_set(train, test, {5}, {0}), eg::Error);        // out of range
  CHECK_THROWS_AS(make_open_set(train, test, {}, {0}), eg::Error);

  ImageDataset d = class_disjoint_split(test, {4, 2});
  CHECK(d.num_classes == 2);
  CHECK(d.class_counts() == std::vector<int64_t>{10, 10});
  for (int64_t i = 0; i < d.n; ++i) CHECK(d.labels[(size_t)i] == (d.image(i)[0] % 5 == 4 ? 0 : 1));
  CHECK_THROWS_AS(class_disjoint_split(test, {}), eg::Error);
}

TEST_CASE("data: k_per_class and stratified train/val splits") {
  ImageDataset ds = make_ds(repeat_labels({10, 6, 8}), 3);
  ImageDataset k = k_per_class(ds, 5, 3);
  CHECK(k.class_counts() == std::vector<int64_t>{5, 5, 5});
  CHECK(k_per_class(ds, 5, 3).pixels == k.pixels);
  CHECK(k_per_class(ds, 5, 4).pixels != k.pixels);
  CHECK_THROWS_AS(k_per_class(ds, 7, 0), eg::Error);

  auto [tr, va] = train_val_split(ds, 0.5, 9);
  CHECK(va.class_counts() == std::vector<int64_t>{5, 3, 4});
  CHECK(tr.class_counts() == std::vector<int64_t>{5, 3, 4});
  std::set<int64_t> all;
  for (const auto* part : {&tr, &va})
    for (int64_t i = 0; i < part->n; ++i) all.insert(part->image(i)[0]);
  CHECK(all.size() == 24);  // disjoint and complete

  // shuffle = false: the first ones of each class in dataset order (m2m's val/test split).
  auto [tr2, va2] = train_val_split_count(ds, 2, 0, false);
  std::vector<int64_t> tags;
  for (int64_t i = 0; i < va2.n; ++i) tags.push_back(va2.image(i)[0]);
  CHECK(tags == std::vector<int64_t>{0, 1, 10, 11, 16, 17});
  CHECK(tr2.n == 18);
  CHECK_THROWS_AS(train_val_split_count(ds, 7, 0), eg::Error);
  CHECK_THROWS_AS(train_val_split(ds, 1.5, 0), eg::Error);
}

// ---------------------------------------------------------------------------------------------------- samplers

TEST_CASE("data: SequentialSampler and RandomSampler batches") {
  using VV = std::vector<std::vector<int64_t>>;
  SequentialSampler seq(10, 4);
  CHECK(seq.batches(0) == VV{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}});
  CHECK(seq.num_batches(0) == 3);
  CHECK(SequentialSampler(10, 4, true).batches(3) == VV{{0, 1, 2, 3}, {4, 5, 6, 7}});
  CHECK(SequentialSampler(10, 4, true).num_batches(0) == 2);

  RandomSampler rs(103, 10, 42);
  auto e0 = rs.batches(0), e1 = rs.batches(1);
  CHECK(e0.size() == 11);
  CHECK(e0.back().size() == 3);
  std::vector<int64_t> flat;
  for (auto& b : e0) flat.insert(flat.end(), b.begin(), b.end());
  std::sort(flat.begin(), flat.end());
  std::vector<int64_t> iota(103);
  std::iota(iota.begin(), iota.end(), 0);
  CHECK(flat == iota);  // a permutation
  CHECK(rs.batches(0) == e0);  // pure function of (seed, epoch)
  CHECK(e1 != e0);
  CHECK(RandomSampler(103, 10, 43).batches(0) != e0);
  CHECK(RandomSampler(103, 10, 42, true).batches(0).size() == 10);
  CHECK(RandomSampler(103, 10, 42, true).num_batches(0) == 10);
  CHECK_THROWS_AS(RandomSampler(10, 0, 1), eg::Error);
  CHECK_THROWS_AS(rs.batches(-1), eg::Error);
}

TEST_CASE("data: ClassBalancedSampler draws classes uniformly, samples uniformly within") {
  // Counts 900 / 90 / 10, class 3 empty; 30,000 draws.
  auto labels = repeat_labels({900, 90, 10, 0});
  ClassBalancedSampler cb(labels, 4, 128, 5, 30000);
  auto batches = cb.batches(0);
  CHECK((int64_t)batches.size() == cb.num_batches(0));
  CHECK(batches.size() == (30000 + 127) / 128);
  std::vector<int64_t> per_class(4, 0);
  std::map<int64_t, int64_t> per_sample;
  int64_t total = 0;
  for (auto& b : batches)
    for (int64_t i : b) per_class[(size_t)labels[(size_t)i]]++, per_sample[i]++, total++;
  CHECK(total == 30000);
  for (int c = 0; c < 3; ++c) CHECK(std::abs((double)per_class[(size_t)c] / total - 1.0 / 3) < 0.015);
  CHECK(per_class[3] == 0);
  for (int64_t i = 990; i < 1000; ++i) CHECK(std::abs(per_sample[i] - 1000) < 150);  // class 2: ~1000 each
  CHECK(cb.batches(0) == batches);
  CHECK(cb.batches(1) != batches);
  CHECK(ClassBalancedSampler(labels, 4, 100, 5).num_batches(0) == 10);  // num_samples defaults to N
  CHECK_THROWS_AS(ClassBalancedSampler({0, 4}, 4, 8, 0), eg::Error);
}

TEST_CASE("data: MPerClassSampler composes batches of m per class") {
  // FMNIST-RKD style: 5 classes x 20 images, m = 12, 5 classes per batch -> B = 60, 12 of each.
  auto labels = repeat_labels({20, 20, 20, 20, 20});
  MPerClassSampler s(labels, 12, 5, 3, 7);
  auto bs = s.batches(0);
  CHECK(bs.size() == 7);
  for (auto& b : bs) {
    CHECK(b.size() == 60);
    std::map<int64_t, int64_t> counts;
    for (int64_t i : b) counts[labels[(size_t)i]]++;
    CHECK(counts.size() == 5);
    for (auto& [c, k] : counts) CHECK(k == 12);
    CHECK(std::set<int64_t>(b.begin(), b.end()).size() == 60);  // without replacement
  }
  CHECK(s.batches(0) == bs);
  CHECK(s.batches(1) != bs);

  // Official NPairs: B = 128, m = 5 -> 25 classes x 5 plus 3 of a 26th; a 2-image class gives only 2.
  std::vector<int64_t> many(30, 10);
  many[0] = 2;
  auto lab2 = repeat_labels(many);
  MPerClassSampler np(lab2, 5, 26, 1, 20, 128);
  for (auto& b : np.batches(4)) {
    CHECK(b.size() == 128);
    std::map<int64_t, int64_t> counts;
    for (int64_t i : b) counts[lab2[(size_t)i]]++;
    int64_t fives = 0, others = 0;
    for (auto& [c, k] : counts) (k == 5 ? fives : others)++;
    CHECK(others <= 2);  // the truncated last class, and class 0 with only 2 images
    CHECK(fives >= 25);
  }
  CHECK_THROWS_AS(MPerClassSampler(labels, 12, 6, 0, 1), eg::Error);
  CHECK_THROWS_AS(MPerClassSampler(labels, 0, 5, 0, 1), eg::Error);
  CHECK_THROWS_AS(MPerClassSampler({0, -1}, 1, 1, 0, 1), eg::Error);
}

// ---------------------------------------------------------------------------------------------------- loader

TEST_CASE("data: DataLoader converts /255 and stacks labels without a transform") {
  ImageDataset ds = make_ds(repeat_labels({3, 4}), 2, 2, 3, 2);
  DataLoader dl(ds, std::make_shared<SequentialSampler>(ds.n, 4), nullptr, {});
  CHECK(dl.num_batches(0) == 2);
  dl.start_epoch(0);
  Batch b;
  REQUIRE(dl.next(b));
  CHECK(b.x.shape() == eg::Shape{4, 2, 3, 2});
  CHECK(b.y.to_vector<int64_t>() == std::vector<int64_t>{0, 0, 0, 1});
  CHECK(b.indices == std::vector<int64_t>{0, 1, 2, 3});
  auto x = b.x.to_vector<float>();
  for (size_t k = 0; k < x.size(); ++k) CHECK(x[k] == (float)ds.pixels[k] / 255.0f);
  REQUIRE(dl.next(b));
  CHECK(b.x.shape() == eg::Shape{3, 2, 3, 2});
  CHECK_FALSE(dl.next(b));
}

TEST_CASE("data: DataLoader batches are deterministic across prefetch depth and threads") {
  ImageDataset ds = make_ds(repeat_labels({20, 17}), 2, 1, 6, 6);
  auto tf = std::make_shared<Compose>(std::vector<std::shared_ptr<Transform>>{
      std::make_shared<RandomCrop>(6, 2), std::make_shared<RandomHorizontalFlip>(),
      std::make_shared<Normalize>(std::vector<float>{0.5f}, std::vector<float>{0.25f})});
  auto sampler = std::make_shared<RandomSampler>(ds.n, 8, 1);
  std::vector<std::vector<float>> ref;
  std::vector<std::vector<int64_t>> ref_idx;
  {
    DataLoader dl(ds, sampler, tf, {.seed = 3, .prefetch = 0, .num_threads = 1});
    ref = epoch_batches(dl, 0, 0, &ref_idx);
  }
  CHECK(ref.size() == 5);
  for (int prefetch : {0, 1, 2, 5})
    for (int threads : {1, 3}) {
      DataLoader dl(ds, sampler, tf, {.seed = 3, .prefetch = prefetch, .num_threads = threads});
      std::vector<std::vector<int64_t>> idx;
      CHECK(epoch_batches(dl, 0, 0, &idx) == ref);
      CHECK(idx == ref_idx);
      CHECK(epoch_batches(dl, 1) != ref);  // another epoch: other batches and augmentations
    }
  // Every image of the epoch gets its own stream (derived from its position, not its slot in the batch).
  struct Draw : Transform {
    void apply(Image& img, Generator& g) const override { img.data[0] = (float)g.randint(1 << 20); }
  };
  DataLoader draws(ds, sampler, std::make_shared<Draw>(), {.seed = 3});
  std::set<float> firsts;
  for (auto& x : epoch_batches(draws, 0))
    for (size_t k = 0; k < x.size(); k += 36) firsts.insert(x[k]);
  CHECK(firsts.size() == (size_t)ds.n);
  // Same sampler order, another loader seed: same indices, other augmentations.
  DataLoader other(ds, std::make_shared<SequentialSampler>(ds.n, 8), tf, {.seed = 4});
  DataLoader base(ds, std::make_shared<SequentialSampler>(ds.n, 8), tf, {.seed = 3});
  CHECK(epoch_batches(other, 0) != epoch_batches(base, 0));
}

TEST_CASE("data: DataLoader skip_batches and restarting mid-epoch") {
  ImageDataset ds = make_ds(repeat_labels({30, 30}), 2, 1, 5, 5);
  auto tf = std::make_shared<RandomCrop>(5, 1);
  auto sampler = std::make_shared<RandomSampler>(ds.n, 7, 9);
  for (int prefetch : {0, 2}) {
    DataLoader dl(ds, sampler, tf, {.seed = 1, .prefetch = prefetch});
    auto full = epoch_batches(dl, 2);
    auto skipped = epoch_batches(dl, 2, 3);
    CHECK(skipped == std::vector<std::vector<float>>(full.begin() + 3, full.end()));
    CHECK(epoch_batches(dl, 2, (int64_t)full.size()).empty());
    CHECK_THROWS_AS(dl.start_epoch(2, (int64_t)full.size() + 1), eg::Error);

    // Read one batch of epoch 0, then switch: epoch 1 comes out whole and unchanged.
    auto e1 = epoch_batches(dl, 1);
    dl.start_epoch(0);
    Batch b;
    REQUIRE(dl.next(b));
    CHECK(epoch_batches(dl, 1) == e1);
    dl.start_epoch(0);  // and destroying the loader mid-epoch must not hang
  }
}

namespace {
// Throws on the image tagged 13, as a corrupt file or a bad transform would.
struct FailOn13 : Transform {
  void apply(Image& img, Generator&) const override {
    ENGINE_CHECK(img.data[0] * 255.0f != 13.0f, "FailOn13: image tagged 13");
  }
};
// Makes one image a different size than the rest of its batch.
struct ShrinkOn5 : Transform {
  void apply(Image& img, Generator& g) const override {
    if (img.data[0] * 255.0f == 5.0f) CenterCrop(2).apply(img, g);
  }
};
}  // namespace

TEST_CASE("data: DataLoader re-throws worker errors from next()") {
  ImageDataset ds = make_ds(repeat_labels({16, 16}), 2, 1, 4, 4);
  for (int prefetch : {0, 1, 3}) {
    DataLoader dl(ds, std::make_shared<SequentialSampler>(ds.n, 4), std::make_shared<FailOn13>(),
                  {.prefetch = prefetch});
    dl.start_epoch(0);
    Batch b;
    for (int i = 0; i < 3; ++i) REQUIRE(dl.next(b));  // images 0..11 are fine
    CHECK_THROWS_WITH_AS(dl.next(b), doctest::Contains("image tagged 13"), eg::Error);
    CHECK_FALSE(dl.next(b));  // the epoch is over after an error
    dl.start_epoch(0, 4);     // a new epoch starts cleanly past the bad batch
    REQUIRE(dl.next(b));
    CHECK(b.indices.front() == 16);

    DataLoader mixed(ds, std::make_shared<SequentialSampler>(ds.n, 8), std::make_shared<ShrinkOn5>(),
                     {.prefetch = prefetch});
    mixed.start_epoch(0);
    CHECK_THROWS_WITH_AS(mixed.next(b), doctest::Contains("after the transform"), eg::Error);
  }
  DataLoader dl(ds, std::make_shared<SequentialSampler>(ds.n + 1, 4), nullptr, {});
  Batch b;
  CHECK_THROWS_WITH_AS(dl.next(b), doctest::Contains("start_epoch"), eg::Error);
  CHECK_THROWS_WITH_AS(dl.start_epoch(0), doctest::Contains("gave index 32"), eg::Error);
  CHECK_THROWS_AS(DataLoader(ds, nullptr, nullptr, {}), eg::Error);
  CHECK_THROWS_AS(DataLoader(ds, std::make_shared<SequentialSampler>(4, 4), nullptr, {.prefetch = -1}), eg::Error);
}
