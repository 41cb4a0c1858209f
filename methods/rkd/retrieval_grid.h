// retrieval_grid.h — what a retrieval model finds: the k nearest neighbours of a query (the Recall@K order
// of methods/eval/retrieval.h: Euclidean distance, the query excluded, ties to the lower index) and a
// picture of them: one row per query, the query framed blue, then its k neighbours framed green (same
// class) or red (wrong class).
// Shapes: embeddings N x D floats (row-major), images of the dataset [C, H, W] uint8, C = 1 or 3.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "methods/data/dataset.h"

namespace eg::rkd {

// Indices of the k nearest j != q, nearest first (fewer when N − 1 < k).
std::vector<int64_t> nearest_neighbours(const std::vector<float>& embeddings, int64_t n, int64_t d, int64_t q, int64_t k);

// `count` query indices that cycle through the classes present: the first image of each class (in class
// order), then the second of each, ... (fewer when the dataset has fewer images).
std::vector<int64_t> queries_across_classes(const std::vector<int64_t>& labels, int64_t count);

// Writes the grid as PNG; returns how many of the shown neighbours are wrong (the red frames).
int64_t save_retrieval_grid(const data::ImageDataset& ds, const std::vector<float>& embeddings, int64_t d,
                            const std::vector<int64_t>& queries, int64_t k, const std::string& png_path);

}  // namespace eg::rkd
