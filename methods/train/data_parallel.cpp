// data_parallel.cpp — gradient averaging and state broadcast across MPI ranks (see data_parallel.h).
#include "methods/train/data_parallel.h"

#include <algorithm>
#include <chrono>
#include <functional>

#include "core/check.h"
#include "methods/train/distributed.h"

namespace eg::train {

namespace {

// 4 MiB of float gradients per all-reduce: large enough that latency does not dominate, small enough to
// stay in cache. Fixed, so every rank cuts the same buckets.
constexpr int64_t kBucket = int64_t{1} << 20;

void collect_batchnorms(nn::Module& m, std::vector<nn::BatchNorm2d*>& out) {
  if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(&m)) out.push_back(bn);
  for (auto& [_, c] : m.children()) collect_batchnorms(*c, out);
}

void broadcast_tensor(const Tensor& t) {
  if (!t.defined() || t.numel() == 0) return;
  Tensor host = t.is_cpu() ? t : t.to(Device::CPU);
  dist::broadcast(host.raw_data(), t.numel() * (int64_t)dtype_size(t.dtype()));
  if (!t.is_cpu()) t.set_data_(host.to(t.device()));
}

// Host views of the gradients of one dtype, streamed through a bucket: scaled, summed over ranks in
// place, and copied back (to the device when the gradient lives on one).
template <typename T>
void reduce_segments(const std::vector<Tensor>& grads, double scale, std::vector<T>& bucket) {
  bucket.resize((size_t)kBucket);
  struct Seg { T* p; int64_t n; };
  std::vector<Tensor> hosts;
  std::vector<Seg> segs;
  for (auto& g : grads) {
    hosts.push_back(g.is_cpu() ? g : g.to(Device::CPU));
    segs.push_back({hosts.back().template data<T>(), g.numel()});
  }
  // Fill the bucket from (segment, offset) onwards; reduce; copy back the same pieces.
  size_t s = 0;
  int64_t off = 0;
  while (s < segs.size()) {
    size_t s0 = s;
    int64_t off0 = off, used = 0;
    while (s < segs.size() && used < kBucket) {
      int64_t take = std::min(segs[s].n - off, kBucket - used);
      for (int64_t i = 0; i < take; ++i) bucket[(size_t)(used + i)] = (T)(segs[s].p[off + i] * scale);
      used += take, off += take;
      if (off == segs[s].n) ++s, off = 0;
    }
    dist::all_reduce_sum(bucket.data(), used);
    int64_t pos = 0;
    for (size_t k = s0, o = (size_t)off0; pos < used; ++k, o = 0) {
      int64_t take = std::min(segs[k].n - (int64_t)o, used - pos);
      std::copy(bucket.begin() + pos, bucket.begin() + pos + take, segs[k].p + o);
      pos += take;
    }
  }
  for (size_t i = 0; i < grads.size(); ++i)
    if (!grads[i].is_cpu()) grads[i].set_data_(hosts[i].to(grads[i].device()));
}

}  // namespace

DataParallel::DataParallel(nn::Module& model, nn::Optimizer& opt) : model_(model) {
  active_ = dist::size() > 1;
  if (!active_) return;
  for (auto& g : opt.groups())
    for (auto& p : g.params)
      if (std::none_of(params_.begin(), params_.end(), [&](const Tensor& q) { return q.same(p); })) params_.push_back(p);
  if (dist::sync_batchnorm()) {
    collect_batchnorms(model, synced_);
    for (auto* bn : synced_)
      bn->cross_replica_sum = [](std::vector<double>& v) { dist::all_reduce_sum(v.data(), (int64_t)v.size()); };
  }
}

DataParallel::~DataParallel() {
  for (auto* bn : synced_) bn->cross_replica_sum = nullptr;
}

void DataParallel::broadcast_state() {
  if (!active_) return;
  for (auto& [_, t] : model_.state_dict()) broadcast_tensor(t);
  for (auto& p : params_) broadcast_tensor(p);  // those outside the model (usually none: cheap either way)
}

void DataParallel::sum(std::vector<double>& v) { dist::all_reduce_sum(v.data(), (int64_t)v.size()); }

void DataParallel::average_gradients(int64_t local_images, int64_t global_images) {
  if (!active_) return;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<double> has(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) has[i] = params_[i].grad().defined() ? 1 : 0;
  dist::all_reduce_sum(has.data(), (int64_t)has.size());
  std::vector<Tensor> f32, f64;
  for (size_t i = 0; i < params_.size(); ++i) {
    if (has[i] == 0) continue;
    const Tensor& p = params_[i];
    if (!p.grad().defined()) p.set_grad(zeros(p.shape(), p.options()));
    ENGINE_CHECK(p.grad().dtype() != DType::I64, "data-parallel training: an integer gradient");
    (p.grad().dtype() == DType::F32 ? f32 : f64).push_back(p.grad());
  }
  double scale = (double)local_images / (double)global_images;
  reduce_segments(f32, scale, bucket_f_);
  reduce_segments(f64, scale, bucket_d_);
  reduce_s_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace eg::train
