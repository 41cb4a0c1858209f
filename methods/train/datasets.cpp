// datasets.cpp — named datasets (see datasets.h).
#include "methods/train/datasets.h"

#include <filesystem>

#include "core/check.h"
#include "methods/data/builders.h"
#include "methods/data/cifar.h"
#include "methods/data/idx.h"
#include "methods/data/image_folder.h"

namespace eg::train {

namespace fs = std::filesystem;

const std::vector<std::string>& dataset_names() {
  static const std::vector<std::string> n = {"fashion-mnist", "mnist", "cifar10", "cifar100", "folder", "cub"};
  return n;
}

static void need_dir(const std::string& dir, const std::string& hint) {
  ENGINE_CHECK(fs::is_directory(dir), "data directory '", dir, "' not found: ", hint);
}

DatasetBundle load_dataset(const std::string& name, const std::string& data_dir, int64_t image_size) {
  DatasetBundle b;
  b.name = name;
  if (name == "fashion-mnist" || name == "mnist") {
    std::string dir = data_dir + "/" + name;
    need_dir(dir, "run tools/fetch-data " + name + " --data-dir " + data_dir);
    b.train = data::load_mnist_dir(dir, true);
    b.test = data::load_mnist_dir(dir, false);
    if (name == "fashion-mnist") {
      b.mean = {0.2860f}, b.std = {0.3530f};  // the FMNIST train statistics the specs use
      b.train.class_names = b.test.class_names = data::fashion_mnist_class_names();
    } else {
      b.mean = {0.1307f}, b.std = {0.3081f};
    }
  } else if (name == "cifar10" || name == "cifar100") {
    std::string hint = "put the CIFAR binary version (" + std::string(name == "cifar10" ? "cifar-10-binary.tar.gz" : "cifar-100-binary.tar.gz") +
                       ") unpacked under " + data_dir;
    need_dir(data_dir, hint);
    b.train = name == "cifar10" ? data::load_cifar10_dir(data_dir, true) : data::load_cifar100_dir(data_dir, true);
    b.test = name == "cifar10" ? data::load_cifar10_dir(data_dir, false) : data::load_cifar100_dir(data_dir, false);
    if (name == "cifar10") b.mean = {0.4914f, 0.4822f, 0.4465f}, b.std = {0.2470f, 0.2435f, 0.2616f};
    else b.mean = {0.5071f, 0.4865f, 0.4409f}, b.std = {0.2673f, 0.2564f, 0.2762f};
  } else if (name == "folder") {
    need_dir(data_dir, "--data-dir must be a folder with train.txt and test.txt ('relative/path label' lines)");
    b.train = data::load_image_list(data_dir + "/train.txt", data_dir, image_size);
    b.test = data::load_image_list(data_dir + "/test.txt", data_dir, image_size, 3, b.train.num_classes);
    b.mean = {0.485f, 0.456f, 0.406f}, b.std = {0.229f, 0.224f, 0.225f};  // ImageNet statistics
  } else if (name == "cub") {
    need_dir(data_dir, "--data-dir must hold CUB-200-2011 (images.txt, image_class_labels.txt, train_test_split.txt, images/)");
    b.train = data::load_cub_dir(data_dir, true, image_size);
    b.test = data::load_cub_dir(data_dir, false, image_size);
    b.mean = {0.485f, 0.456f, 0.406f}, b.std = {0.229f, 0.224f, 0.225f};  // ImageNet statistics
  } else {
    std::string known;
    for (auto& n : dataset_names()) known += (known.empty() ? "" : ", ") + n;
    ENGINE_FAIL("unknown dataset '", name, "' (known: ", known, ")");
  }
  b.train.validate(("train split of " + name).c_str());
  b.test.validate(("test split of " + name).c_str());
  return b;
}

void hold_out_validation(DatasetBundle& b, int64_t per_class, uint64_t seed) {
  ENGINE_CHECK(per_class > 0, "hold_out_validation: images per class must be > 0, got ", per_class);
  auto [train, val] = data::train_val_split_count(b.train, per_class, seed);
  val.class_names = b.train.class_names;
  b.train = std::move(train);
  b.test = std::move(val);
  b.eval_split = "val";
}

}  // namespace eg::train
