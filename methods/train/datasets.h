// datasets.h — datasets by name for the trainers: fashion-mnist, mnist (IDX under DATA/<name>/),
// cifar10, cifar100 (binary versions under DATA/cifar-10-batches-bin etc.), "folder" (an image folder
// with train.txt / test.txt lists of "relative/path label", read as RGB) and "cub" (CUB-200-2011's own
// layout; both resized to image_size and normalized with ImageNet statistics). Each comes with its per-channel
// normalization (mean, std of the training pixels in [0, 1]) and a missing-data error that says which
// command fetches it.
#pragma once
#include <string>
#include <vector>

#include "methods/data/dataset.h"

namespace eg::train {

struct DatasetBundle {
  std::string name;
  data::ImageDataset train, test;
  std::vector<float> mean, std;  // per channel
  // "test", or "val" after hold_out_validation: then `test` holds validation images taken from the train
  // split and every test_* metric is a validation number (the real test set is not touched).
  std::string eval_split = "test";
};

const std::vector<std::string>& dataset_names();
// image_size applies to "folder" and "cub" only (images are resized to it).
DatasetBundle load_dataset(const std::string& name, const std::string& data_dir, int64_t image_size = 32);

// For choosing settings without the test set: moves per_class seeded train images of each class into
// `test` (the test split is dropped) and sets eval_split = "val".
void hold_out_validation(DatasetBundle& b, int64_t per_class, uint64_t seed);
// The split seed the trainers' --val-per-class uses (independent of --seed).
constexpr uint64_t kValidationSplitSeed = 12345;

}  // namespace eg::train
