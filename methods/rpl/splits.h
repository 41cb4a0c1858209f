// splits.h — the official open-set class lists of RPL/ARPL (rpl.md §4; iCGY96/ARPL split.py, splits_2020)
// and the protocol each dataset follows. Class ids are the datasets' own label ids; a known class's new
// label is its position in its list.
//   mnist / fashion-mnist (MNIST lists applied to FMNIST labels, rpl.md §6), svhn, cifar10: 6 known of 10,
//   the other 4 unknown. cifar+10 / cifar+50: 4 known CIFAR-10 classes, 10 / 50 unknown CIFAR-100 classes.
//   tiny-imagenet: 20 known of 200, the other 180 unknown.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eg::rpl {

struct ClassSplit {
  std::vector<int64_t> known;    // ids in the training dataset (CIFAR-10 for cifar+N)
  std::vector<int64_t> unknown;  // ids in the unknown dataset (CIFAR-100 for cifar+N, else the same one)
};

// The protocols with official lists: mnist, fashion-mnist, svhn, cifar10, cifar+10, cifar+50, tiny-imagenet.
const std::vector<std::string>& protocol_names();

// Split `index` (0..4) of `protocol`; the unknown classes of the complement protocols are the remaining
// ids in increasing order. Throws naming the protocol or the index when either is unknown.
ClassSplit official_split(const std::string& protocol, int index);

// The number of splits every protocol has (5).
constexpr int kNumSplits = 5;

}  // namespace eg::rpl
