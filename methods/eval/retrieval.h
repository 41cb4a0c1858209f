// retrieval.h — Recall@K for embedding retrieval (rkd.md §2.6), on plain vectors.
// Shape letters: N embeddings (every one is a query and a candidate), D features. Embeddings are
// row-major N x D floats (embedding i at embeddings[i*D .. i*D+D-1]); labels hold N class ids (any
// integers: only equality matters, so e.g. Fashion-MNIST classes 5-9 need no remapping).
//
// Definition (rkd.md §2.6): for each query i, rank every j != i by Euclidean distance (the query itself
// is excluded); ties in distance go to the lower index j. Hit@K(i) = 1 if any of the K nearest has label
// y_i, and Recall@K is the mean of Hit@K over all N queries. A query whose class has no other member
// counts as a miss. K larger than N-1 retrieves every candidate. The embeddings are used as given:
// rkd.md ranks raw outputs, or normalised ones when the model normalises; no cosine option is offered
// because the spec does not use one (on unit-norm embeddings Euclidean and cosine rank alike).
// Squared distances are accumulated in double straight from the differences, so exact ties stay ties.
// Cost O(N^2 D): queries are processed in blocks, in parallel with OpenMP, against tiles of candidates.
#pragma once
#include <cstdint>
#include <vector>

namespace eg::eval {

// Recall@K for each K in ks (each K >= 1), in the order given. Needs N >= 2, D >= 1, finite values;
// throws eg::Error naming the function otherwise.
std::vector<double> recall_at_k(const std::vector<float>& embeddings, int64_t n, int64_t d,
                                const std::vector<int64_t>& labels, const std::vector<int64_t>& ks);

}  // namespace eg::eval
