// data.h — the open-set datasets of rpl.md §4/§6 from the files under a data directory: the known
// classes' train/test images (labels = positions in the split's known list) and the unknown classes'
// test images. Pixels are scaled to [0, 1] with no mean/std normalisation (official; mean 0, std 1).
//   mnist, fashion-mnist: DATA/<name>/ IDX files.  cifar10: DATA/cifar-10-batches-bin/.
//   cifar+10, cifar+50: CIFAR-10 (known) and DATA/cifar-100-binary/test.bin (unknown).
//   tiny-imagenet: DATA/tiny-imagenet/{train.txt,test.txt} ("relative/path label" lines, labels = the
//   sorted-wnid index, the val split as test), images resized to 64.
// A missing file is one clear error naming every missing path.
#pragma once
#include <string>
#include <vector>

#include "methods/rpl/train.h"

namespace eg::rpl {

struct OpenSetDataOptions {
  std::string protocol = "fashion-mnist";
  std::string data_dir = "data";
  int split = 0;
  int64_t per_class = 0;      // > 0: the first per_class train images of each known class after a seeded shuffle
  uint64_t seed = 0;          // for per_class
  int64_t val_per_class = 0;  // > 0: validation instead of test (see load_open_set)
};

// The files a protocol reads, relative to data_dir.
std::vector<std::string> required_files(const std::string& protocol);
// Throws one line naming the files of `protocol` missing under data_dir (and what to do).
void check_open_set_files(const std::string& protocol, const std::string& data_dir);

// With val_per_class > 0 nothing of the test split is used: val_per_class train images per known class
// (a fixed seeded split) become the known "test" set and val_per_class train images per unknown class the
// unknown one (bundle.eval_split = "val"); CIFAR+N's unknowns come from CIFAR-100's train split then.
OpenSetData load_open_set(const OpenSetDataOptions& o);

}  // namespace eg::rpl
