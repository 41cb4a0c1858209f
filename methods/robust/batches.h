// batches.h — images of an ImageDataset as float pixel tensors in [0, 1] (no normalization: attacks and
// inversions work in pixel space), and the index sets the robust-features experiments use.
// Shapes: B images in a batch, C, H, W.
#pragma once
#include <functional>
#include <vector>

#include "eigengrad.h"
#include "methods/data/dataset.h"

namespace eg::robust {

Tensor pixel_batch(const data::ImageDataset& ds, const std::vector<int64_t>& indices);  // [B, C, H, W] f32
Tensor label_batch(const std::vector<int64_t>& labels, const std::vector<int64_t>& indices);  // [B] i64
// Runs fn(first, indices) over 0..n-1 in chunks of batch (the last one shorter).
void for_each_chunk(int64_t n, int64_t batch, const std::function<void(int64_t, const std::vector<int64_t>&)>& fn);

// The first `per_class` images of every class, in dataset order (robust-features.md §5: the first 1000 of
// each class for training, 500 for the inversions). Throws if a class has fewer.
std::vector<int64_t> first_per_class(const data::ImageDataset& ds, int64_t per_class);
// Every k-th image after a stable sort by class (§5: every 5th test image, the same count per class when
// the classes are balanced; a prefix of a class-sorted set would hold only the first classes).
std::vector<int64_t> every_kth_by_class(const data::ImageDataset& ds, int64_t k);

}  // namespace eg::robust
