// test_distributed.cpp — data-parallel training (issue #21). In process: sync_batch_norm equals batch_norm
// with one replica and, with a simulated second replica, equals batch_norm over both replicas' batch
// (forward, running statistics and the gradient of this replica's input; plus a finite-difference
// gradcheck); a DataLoader's shards put together are the whole batch, augmentations included. Under
// mpirun (skipped where it or the MPI build is missing): 2 ranks x 1 thread train_erm give the parameters
// of one process on the same global batch (--sync-bn, an odd batch so the shares differ), --resume works
// with the same N and is refused with another, and a failure on rank 1 stops both ranks with a message.
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "core/safetensors.h"
#include "methods/data/loader.h"
#include "methods/train/distributed.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
using eg::test::check_grad;
using eg::test::rnd;
using OK = eg::autograd::OpKind;
namespace fs = std::filesystem;

namespace {

std::vector<int64_t> channel_dims(const Tensor& x) {
  std::vector<int64_t> d = {0};
  for (int64_t i = 2; i < x.dim(); ++i) d.push_back(i);
  return d;
}

// A second replica that holds `other` (fixed, and with no loss of its own: its gradient sums are 0). It
// answers sync_batch_norm's three sums as MPI would: [Σx, count] (size C + 1), then Σ(x − mean)² around the
// global mean (size C), then the backward's [Σg, Σg·x̂] (size 2C, this replica adds nothing).
struct FakeReplica {
  Tensor other;
  std::vector<double> mean;
  void operator()(std::vector<double>& v) {
    NoGradGuard ng;
    const size_t C = (size_t)other.size(1);
    if (v.size() == C + 1) {
      auto s = sum(other, channel_dims(other)).to_vector<double>();
      for (size_t c = 0; c < C; ++c) v[c] += s[c];
      v[C] += (double)(other.numel() / (int64_t)C);
      mean.assign(v.begin(), v.begin() + (long)C);
      for (auto& m : mean) m /= v[C];
    } else if (v.size() == C) {
      Shape bs((size_t)other.dim(), 1);
      bs[1] = (int64_t)C;
      Tensor d = sub(other, from_vector(mean, bs));
      auto s = sum(mul(d, d), channel_dims(other)).to_vector<double>();
      for (size_t c = 0; c < C; ++c) v[c] += s[c];
    } else {
      REQUIRE(v.size() == 2 * C);
    }
  }
};

ReplicaSum alone() {
  return [](std::vector<double>&) {};
}

}  // namespace

TEST_CASE("distributed: sync_batch_norm with one replica equals batch_norm (output, running stats, gradients)") {
  for (Shape s : {Shape{6, 3, 4, 5}, Shape{7, 4}}) {
    Tensor x = rnd(s, 1, -2, 3), w = rnd({s[1]}, 2), b = rnd({s[1]}, 3);
    Tensor rm1 = rnd({s[1]}, 4).detach(), rv1 = rnd({s[1]}, 5, 0.5, 2).detach();
    Tensor rm2 = rm1.clone(), rv2 = rv1.clone();
    Tensor y1 = batch_norm(x, w, b, rm1, rv1, true, 0.2, 1e-5);
    Tensor y2 = sync_batch_norm(x, w, b, rm2, rv2, 0.2, 1e-5, alone());
    CHECK_CLOSE(y2, y1, 1e-12, 1e-12);
    CHECK_CLOSE(rm2, rm1, 1e-12, 1e-12);
    CHECK_CLOSE(rv2, rv1, 1e-12, 1e-12);
    Tensor g = rnd(s, 6).detach();
    auto d1 = autograd::grad(y1, {x, w, b}, g), d2 = autograd::grad(y2, {x, w, b}, g);
    for (size_t i = 0; i < 3; ++i) CHECK_CLOSE(d2[i], d1[i], 1e-11, 1e-10);
  }
}

TEST_CASE("distributed: sync_batch_norm over two replicas equals batch_norm over their joint batch") {
  // This replica holds 3 images, the other 5 (unequal shares, as an odd global batch gives).
  Tensor x = rnd({3, 3, 2, 2}, 1, -1, 2), other = rnd({5, 3, 2, 2}, 2, -3, 1).detach();
  Tensor w = rnd({3}, 3), b = rnd({3}, 4);
  Tensor rm1 = zeros({3}, {DType::F64}), rv1 = ones({3}, {DType::F64}), rm2 = rm1.clone(), rv2 = rv1.clone();
  Tensor joint = cat({x, other}, 0);
  Tensor y_joint = batch_norm(joint, w, b, rm1, rv1, true);
  Tensor y = sync_batch_norm(x, w, b, rm2, rv2, 0.1, 1e-5, FakeReplica{other, {}});
  CHECK_CLOSE(y, narrow(y_joint, 0, 0, 3), 1e-12, 1e-12);
  CHECK_CLOSE(rm2, rm1, 1e-12, 1e-12);
  CHECK_CLOSE(rv2, rv1, 1e-12, 1e-12);
  // The other replica has no loss: the joint gradient with g = 0 on its rows is this replica's.
  Tensor g = rnd({3, 3, 2, 2}, 5).detach();
  Tensor g_joint = cat({g, zeros({5, 3, 2, 2}, {DType::F64})}, 0);
  auto dj = autograd::grad(y_joint, {x, w, b}, g_joint), d = autograd::grad(y, {x, w, b}, g);
  for (size_t i = 0; i < 3; ++i) CHECK_CLOSE(d[i], dj[i], 1e-11, 1e-10);
}

GRADCHECK_TEST("sync_batch_norm: one replica, and a second replica's statistics", OK::BatchNorm) {
  check_grad([](auto& v) { return sync_batch_norm(v[0], v[1], v[2], {}, {}, 0.1, 1e-5, alone()); },
             {rnd({4, 3, 2, 2}, 1), rnd({3}, 2), rnd({3}, 3)});
  Tensor other = rnd({2, 3, 2, 2}, 4, -2, 2).detach();
  check_grad([&](auto& v) { return sync_batch_norm(v[0], v[1], v[2], {}, {}, 0.1, 1e-5, FakeReplica{other, {}}); },
             {rnd({3, 3, 2, 2}, 5), rnd({3}, 6), rnd({3}, 7)});
}

TEST_CASE("distributed: a DataLoader's shards together are the whole batch, augmented alike") {
  data::ImageDataset ds;
  ds.n = 40, ds.c = 1, ds.h = 6, ds.w = 6, ds.num_classes = 4;
  ds.pixels.resize((size_t)(ds.n * 36));
  for (size_t i = 0; i < ds.pixels.size(); ++i) ds.pixels[i] = (uint8_t)(i * 7 % 251);
  for (int64_t i = 0; i < ds.n; ++i) ds.labels.push_back(i % 4);
  auto sampler = std::make_shared<data::RandomSampler>(ds.n, 13, 3, true);
  auto crop = std::make_shared<data::RandomCrop>(6, 2);
  data::LoaderOptions lo;
  lo.prefetch = 0;
  lo.seed = 9;
  data::DataLoader whole(ds, sampler, crop, lo);
  std::vector<std::unique_ptr<data::DataLoader>> parts;
  for (int r = 0; r < 3; ++r) {
    parts.push_back(std::make_unique<data::DataLoader>(ds, sampler, crop, lo));
    parts.back()->set_shard(r, 3);
  }
  whole.start_epoch(1, 1);  // a resumed epoch: the shards skip the same batches
  for (auto& p : parts) p->start_epoch(1, 1);
  data::Batch b;
  int batches = 0;
  while (whole.next(b)) {
    std::vector<Tensor> xs;
    std::vector<int64_t> idx;
    for (auto& p : parts) {
      data::Batch s;
      REQUIRE(p->next(s));
      CHECK(s.y.numel() >= 4);  // 13 images: shares of 5, 4, 4
      xs.push_back(s.x);
      idx.insert(idx.end(), s.indices.begin(), s.indices.end());
    }
    CHECK(idx == b.indices);
    CHECK_CLOSE(cat(xs, 0), b.x, 0, 0);
    ++batches;
  }
  CHECK(batches == 2);
  data::DataLoader tiny(ds, std::make_shared<data::SequentialSampler>(ds.n, 2), nullptr, lo);
  tiny.set_shard(0, 3);
  CHECK_ERROR(tiny.start_epoch(0), "fewer than the 3 processes");
}

TEST_CASE("distributed: shard_range splits n items into contiguous shares, the first n % size one larger") {
  CHECK(train::dist::shard_range(10, 0, 3) == std::pair<int64_t, int64_t>{0, 4});
  CHECK(train::dist::shard_range(10, 1, 3) == std::pair<int64_t, int64_t>{4, 7});
  CHECK(train::dist::shard_range(10, 2, 3) == std::pair<int64_t, int64_t>{7, 10});
  CHECK(train::dist::shard_range(2, 2, 3) == std::pair<int64_t, int64_t>{2, 2});
  CHECK(train::dist::shard_range(5, 0, 1) == std::pair<int64_t, int64_t>{0, 5});
}

// ---- under mpirun ----

namespace {

// mpirun as this machine allows: as root Open MPI wants two variables; --oversubscribe lets 2 ranks start
// where Open MPI counts fewer slots, --bind-to none keeps each rank free to use whichever core is idle.
std::string mpirun(int np) {
  std::string env = ::getuid() == 0 ? "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " : "";
  return env + "timeout 300 mpirun --oversubscribe --bind-to none -np " + std::to_string(np) + " ";
}

bool mpi_ready() {
  if (!train::dist::compiled()) return !test::skip_test("this build has no MPI (-DENGINE_MPI found no Open MPI)");
  if (std::system("command -v mpirun > /dev/null 2>&1") != 0) return !test::skip_test("mpirun not found");
  if (!fs::exists(test::bin("train_erm"))) return !test::skip_test("train_erm not built");
  return true;
}

struct MpiSandbox {
  fs::path root;
  std::string data;
  MpiSandbox() {
    root = test::temp_dir("eg_test_mpi");
    fs::remove_all(root);
    data = (root / "data").string();
    test::write_tiny_mnist(data, 300, 60, 4, 7);
  }
  ~MpiSandbox() { fs::remove_all(root); }
  // 300 images in batches of 25 (shares of 13 and 12): 12 steps an epoch, 2 epochs.
  std::string erm(const std::string& out, const std::string& extra = "") const {
    return test::bin("train_erm") + " --data-dir " + data + " --plain --out " + (root / out).string() +
           " --model convnet --widths 8 16 16 --epochs 2 --batch-size 25 --lr 0.05 --threads 1 --sync-bn " + extra;
  }
  std::map<std::string, Tensor> weights(const std::string& out) const {
    std::map<std::string, Tensor> m;
    for (auto& [k, t] : load_safetensors((root / out / "model.safetensors").string()).tensors) m[k] = t;
    return m;
  }
};

// The largest |a − b| over every tensor of two model files (same names).
double max_difference(const std::map<std::string, Tensor>& a, const std::map<std::string, Tensor>& b) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (auto& [k, t] : a) {
    REQUIRE(b.count(k));
    auto x = t.to_vector<double>(), y = b.at(k).to_vector<double>();
    REQUIRE(x.size() == y.size());
    for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  }
  return m;
}

}  // namespace

TEST_CASE("distributed: 2 ranks x 1 thread train the parameters of 1 process on the same global batch") {
  if (!mpi_ready()) return;
  MpiSandbox s;
  REQUIRE(test::run_cmd(s.erm("one")) == 0);
  auto [rc, text] = test::run_capture(mpirun(2) + s.erm("two"));
  INFO(text);
  REQUIRE(rc == 0);
  double diff = max_difference(s.weights("one"), s.weights("two"));
  MESSAGE("largest parameter difference, 2 ranks vs 1 process after 24 steps: ", diff);
  CHECK(diff < 2e-5);
  CHECK(diff > 0);  // the ranks really split the batch (their sums round differently)
  auto m1 = test::read_json((s.root / "one/metrics.json").string()), m2 = test::read_json((s.root / "two/metrics.json").string());
  CHECK(m1["runs"][0]["metrics"]["test_acc"] == m2["runs"][0]["metrics"]["test_acc"]);
  CHECK(!fs::exists(s.root / "two/log.csv.tmp"));
}

TEST_CASE("distributed: --resume continues a 2-rank run with 2 ranks and refuses 1") {
  if (!mpi_ready()) return;
  MpiSandbox s;
  REQUIRE(test::run_cmd(mpirun(2) + s.erm("full")) == 0);
  // Ctrl-C (both ranks, after step 5 of 12): a mid-epoch checkpoint.
  CHECK(test::run_cmd(mpirun(2) + s.erm("cut", "--debug-interrupt-after-steps 5")) != 0);
  REQUIRE(fs::exists(s.root / "cut/checkpoint.safetensors"));
  auto [rc1, refused] = test::run_capture(s.erm("cut", "--resume"));
  CHECK(rc1 == 1);
  CHECK(refused.find("written by a run of 2 process(es)") != std::string::npos);
  REQUIRE(test::run_cmd(mpirun(2) + s.erm("cut", "--resume")) == 0);
  double diff = max_difference(s.weights("full"), s.weights("cut"));
  MESSAGE("largest parameter difference, resumed vs uninterrupted 2-rank run: ", diff);
  CHECK(diff == 0);
}

TEST_CASE("distributed: a failure on one rank stops every rank with a message instead of hanging") {
  if (!mpi_ready()) return;
  MpiSandbox s;
  auto [rc, text] = test::run_capture("EG_DEBUG_FAIL_RANK=1 " + mpirun(2) + s.erm("fail"));
  INFO(text);
  CHECK(rc != 0);
  CHECK(rc != 124);  // timeout's code: the ranks hung
  CHECK(text.find("error on rank 1 of 2: EG_DEBUG_FAIL_RANK: a simulated failure on rank 1") != std::string::npos);
}
