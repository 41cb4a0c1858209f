// transformations.h — SLA's transformation sets (sla.md §2.1) and the expanded batch of §2.2.
// A set is a list t_0..t_{M−1}, t_0 = identity; t_j = (quarter turns r_j in the (H, W) plane, colour
// permutation p_j), with rotation the outer index and colour the inner one (j = r·P + p).
// Shape letters: B originals, M transformations, C channels, H height, W width.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace eg::sla {

struct TransformationSet {
  std::string name;
  std::vector<int64_t> turns;                // per j: counter-clockwise quarter turns (torch.rot90 k)
  std::vector<std::vector<int64_t>> perms;   // per j: out[c] = in[perm[c]]; empty = channels unchanged
  int64_t size() const { return (int64_t)turns.size(); }  // M
  bool permutes_colour() const;
  bool has_odd_turns() const;  // a quarter turn swaps H and W: such a set needs square images
};

// rotation (M 4), rotation2 (0° and 180°), color_perm (6), color_perm3 (cyclic 3), rot_color_perm6
// ({0°, 180°} × cyclic 3), rot_color_perm12 (4 rotations × cyclic 3), rot_color_perm24 (4 × 6).
const std::vector<std::string>& transformation_names();
TransformationSet make_transformations(const std::string& name);

// The six colour permutations in the official order, and the three cyclic ones.
const std::vector<std::vector<int64_t>>& colour_permutations();
const std::vector<std::vector<int64_t>>& cyclic_colour_permutations();

// Throws, naming the set, when images C×H×W cannot take it: a colour set on C ≠ 3 (grey copies would be
// identical under different labels), a set with quarter turns on H ≠ W.
void check_images(const TransformationSet& t, int64_t C, int64_t H, int64_t W);

// [B, C, H, W] -> [(B·M), C, H, W] with row b·M + j = t_j(x_b) (sample-major), after check_images.
// Not differentiable (it transforms input images).
Tensor expand_batch(const Tensor& x, const TransformationSet& t);

// [B] -> [(B·M)]: y_b at every row b·M + j (the original labels of DA and MT's class head).
Tensor repeat_labels(const Tensor& y, int64_t M);
// [(B·M)]: j at row b·M + j (MT's transformation-head targets).
Tensor transformation_labels(int64_t B, int64_t M, Device device = Device::CPU);

}  // namespace eg::sla
