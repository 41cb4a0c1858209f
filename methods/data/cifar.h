// cifar.h — the CIFAR-10 and CIFAR-100 "binary version" files. A file is a run of fixed-size records:
// label byte(s) then 3072 pixel bytes, the R, G and B planes of a 32x32 image, each row-major — which is
// already C x H x W, so records are copied as they are.
//   CIFAR-10:  1 label byte;  data_batch_1..5.bin (50,000 train), test_batch.bin (10,000), 10 classes.
//   CIFAR-100: 2 label bytes (coarse 0..19, then fine 0..99); train.bin (50,000), test.bin (10,000).
// Shape letters: N images, C = 3 channels, H = W = 32.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "methods/data/dataset.h"

namespace eg::data {

// One file of records with `label_bytes` label bytes each; the label is byte `label_index` of the record
// and must be < num_classes. Throws eg::Error naming the file when it is missing, empty, not a whole
// number of records, or holds a label out of range. Class names are left empty.
ImageDataset read_cifar_records(const std::string& path, int label_bytes, int label_index, int64_t num_classes);

// data_batch_1..5.bin (train) or test_batch.bin from `dir`, or from `dir`/cifar-10-batches-bin (the
// folder the official tarball unpacks to). Class names are CIFAR-10's.
ImageDataset load_cifar10_dir(const std::string& dir, bool train);

// train.bin or test.bin from `dir` or `dir`/cifar-100-binary; fine labels (100 classes) or, with
// `coarse`, the 20 superclasses. Class names come from {fine,coarse}_label_names.txt when present.
ImageDataset load_cifar100_dir(const std::string& dir, bool train, bool coarse = false);

std::vector<std::string> cifar10_class_names();

}  // namespace eg::data
