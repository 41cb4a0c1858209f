// loader.cpp — DataLoader: batch assembly (OpenMP over the images of a batch) and the prefetch thread.
#include "methods/data/loader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/check.h"

namespace eg::data {

DataLoader::DataLoader(const ImageDataset& ds, std::shared_ptr<Sampler> s, std::shared_ptr<Transform> t,
                       LoaderOptions o)
    : ds_(ds), sampler_(std::move(s)), transform_(std::move(t)), opt_(o) {
  ENGINE_CHECK(sampler_ != nullptr, "DataLoader: the sampler is null");
  ENGINE_CHECK(opt_.prefetch >= 0, "DataLoader: prefetch ", opt_.prefetch, " is negative (0 = synchronous)");
  ENGINE_CHECK(opt_.num_threads >= 0, "DataLoader: num_threads ", opt_.num_threads, " is negative (0 = default)");
  ds_.validate("DataLoader");
}

DataLoader::~DataLoader() { stop_worker(); }

int64_t DataLoader::num_batches(int64_t epoch) const { return sampler_->num_batches(epoch); }

void DataLoader::stop_worker() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  not_full_.notify_all();
  if (worker_.joinable()) worker_.join();
  queue_.clear();
  stop_ = false;
}

void DataLoader::start_epoch(int64_t epoch, int64_t skip_batches) {
  stop_worker();
  finished_ = true;  // stays so if anything below throws
  ENGINE_CHECK(epoch >= 0, "DataLoader::start_epoch: epoch ", epoch, " is negative");
  auto batches = sampler_->batches(epoch);
  int64_t nb = (int64_t)batches.size();
  ENGINE_CHECK(skip_batches >= 0 && skip_batches <= nb, "DataLoader::start_epoch: skip_batches ", skip_batches,
               " is outside [0, ", nb, "] for epoch ", epoch, " of sampler '", sampler_->name(), "'");
  std::vector<int64_t> offsets((size_t)nb);
  int64_t pos = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const auto& idx = batches[(size_t)b];
    ENGINE_CHECK(!idx.empty(), "DataLoader: sampler '", sampler_->name(), "' gave an empty batch ", b, " in epoch ",
                 epoch);
    for (int64_t i : idx)
      ENGINE_CHECK(i >= 0 && i < ds_.n, "DataLoader: sampler '", sampler_->name(), "' gave index ", i,
                   " (epoch ", epoch, ", batch ", b, ") for a dataset of ", ds_.n, " images");
    offsets[(size_t)b] = pos;
    pos += (int64_t)idx.size();
  }
  if (shard_count_ > 1)
    for (int64_t b = 0; b < nb; ++b) {
      auto& idx = batches[(size_t)b];
      int64_t n = (int64_t)idx.size();
      ENGINE_CHECK(n >= shard_count_, "DataLoader: batch ", b, " of epoch ", epoch, " holds ", n, " images, fewer than the ",
                   shard_count_, " processes that share it (raise --batch-size or run fewer processes)");
      int64_t base = n / shard_count_, extra = n % shard_count_;
      int64_t lo = shard_rank_ * base + std::min<int64_t>(shard_rank_, extra), len = base + (shard_rank_ < extra);
      idx = std::vector<int64_t>(idx.begin() + lo, idx.begin() + lo + len);
      offsets[(size_t)b] += lo;
    }
  batches_ = std::move(batches);
  offsets_ = std::move(offsets);
  epoch_ = epoch;
  epoch_seed_ = derive_seed(opt_.seed, (uint64_t)epoch);
  next_index_ = skip_batches;
  if (opt_.prefetch > 0) worker_ = std::thread([this, skip_batches] { worker_loop(skip_batches); });
  finished_ = false;  // only now: a next() that waits always has a worker that will answer
}

bool DataLoader::next(Batch& b) {
  ENGINE_CHECK(epoch_ >= 0, "DataLoader::next: call start_epoch(epoch) before next()");
  if (finished_) return false;
  if (opt_.prefetch == 0) {
    if (next_index_ >= (int64_t)batches_.size()) {
      finished_ = true;
      return false;
    }
    try {
      b = assemble(next_index_++);
    } catch (...) {
      finished_ = true;
      throw;
    }
    return true;
  }
  Item item;
  {
    std::unique_lock<std::mutex> lk(mu_);
    not_empty_.wait(lk, [&] { return !queue_.empty(); });
    item = std::move(queue_.front());
    queue_.pop_front();
  }
  not_full_.notify_one();
  if (item.error) {
    finished_ = true;
    std::rethrow_exception(item.error);
  }
  if (item.end) {
    finished_ = true;
    return false;
  }
  b = std::move(item.batch);
  return true;
}

void DataLoader::worker_loop(int64_t first) {
  for (int64_t i = first; i < (int64_t)batches_.size(); ++i) {
    {
      // Wait for room before assembling, so at most `prefetch` finished batches exist at any time.
      std::unique_lock<std::mutex> lk(mu_);
      not_full_.wait(lk, [&] { return stop_ || (int64_t)queue_.size() < opt_.prefetch; });
      if (stop_) return;
    }
    Item item;
    try {
      item.batch = assemble(i);
    } catch (...) {
      item.error = std::current_exception();
    }
    bool failed = item.error != nullptr;
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (stop_) return;
      queue_.push_back(std::move(item));
    }
    not_empty_.notify_one();
    if (failed) return;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    Item end;
    end.end = true;
    queue_.push_back(std::move(end));
  }
  not_empty_.notify_one();
}

void DataLoader::set_shard(int rank, int count) {
  ENGINE_CHECK(count >= 1 && rank >= 0 && rank < count, "DataLoader::set_shard: rank ", rank, " of ", count);
  shard_rank_ = rank;
  shard_count_ = count;
}

Batch DataLoader::assemble(int64_t batch_index) const {
  const auto& idx = batches_[(size_t)batch_index];
  int64_t B = (int64_t)idx.size(), first_pos = offsets_[(size_t)batch_index];
  std::vector<Image> imgs((size_t)B);
  std::vector<std::exception_ptr> errors((size_t)B);
  // Small images cost ~2 ns per value; below ~1M values a batch takes a few ms and an OpenMP fork/join
  // (milliseconds on a loaded machine) would cost more than it saves, so `auto` stays serial there.
  int threads = 1;
#ifdef _OPENMP
  if (opt_.num_threads > 0) threads = opt_.num_threads;
  else if (B * ds_.image_size() >= (int64_t{1} << 20)) threads = omp_get_max_threads();
#endif
  // Exceptions must not cross the OpenMP region: each image records its own and the first is re-thrown.
#pragma omp parallel for schedule(dynamic, 8) num_threads(threads) if (B > 8 && threads > 1)
  for (int64_t j = 0; j < B; ++j) {
    try {
      Image& img = imgs[(size_t)j];
      img.c = ds_.c, img.h = ds_.h, img.w = ds_.w;
      img.data.resize((size_t)ds_.image_size());
      ds_.image_to_float(idx[(size_t)j], img.data.data());
      if (transform_) {
        Generator g(derive_seed(epoch_seed_, (uint64_t)(first_pos + j)));
        transform_->apply(img, g);
      }
    } catch (...) {
      errors[(size_t)j] = std::current_exception();
    }
  }
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);

  const Image& i0 = imgs[0];
  int64_t per = i0.c * i0.h * i0.w;
  for (int64_t j = 0; j < B; ++j) {
    const Image& im = imgs[(size_t)j];
    ENGINE_CHECK(im.c == i0.c && im.h == i0.h && im.w == i0.w && (int64_t)im.data.size() == per,
                 "DataLoader: after the transform, image ", idx[(size_t)j], " is ", im.c, "x", im.h, "x", im.w,
                 " but image ", idx[0], " of the same batch is ", i0.c, "x", i0.h, "x", i0.w,
                 " (epoch ", epoch_, ", batch ", batch_index, ")");
  }
  Batch out;
  out.x = Tensor::empty({B, i0.c, i0.h, i0.w});
  float* px = out.x.data<float>();
  for (int64_t j = 0; j < B; ++j) std::memcpy(px + j * per, imgs[(size_t)j].data.data(), (size_t)per * sizeof(float));
  std::vector<int64_t> ys((size_t)B);
  for (int64_t j = 0; j < B; ++j) ys[(size_t)j] = ds_.labels[(size_t)idx[(size_t)j]];
  out.y = from_vector(ys, {B});
  out.indices = idx;
  return out;
}

}  // namespace eg::data
