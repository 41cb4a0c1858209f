// data.cpp — open-set datasets from files (see data.h).
#include "methods/rpl/data.h"

#include <filesystem>

#include "methods/data/builders.h"
#include "methods/data/cifar.h"
#include "methods/rpl/splits.h"

namespace eg::rpl {

namespace fs = std::filesystem;

std::vector<std::string> required_files(const std::string& p) {
  if (p == "mnist" || p == "fashion-mnist")
    return {p + "/train-images-idx3-ubyte", p + "/train-labels-idx1-ubyte", p + "/t10k-images-idx3-ubyte",
            p + "/t10k-labels-idx1-ubyte"};
  std::vector<std::string> c10;
  for (int i = 1; i <= 5; ++i) c10.push_back("cifar-10-batches-bin/data_batch_" + std::to_string(i) + ".bin");
  c10.push_back("cifar-10-batches-bin/test_batch.bin");
  if (p == "cifar10") return c10;
  if (p == "cifar+10" || p == "cifar+50") {
    c10.push_back("cifar-100-binary/train.bin");
    c10.push_back("cifar-100-binary/test.bin");
    return c10;
  }
  if (p == "tiny-imagenet") return {"tiny-imagenet/train.txt", "tiny-imagenet/test.txt"};
  if (p == "svhn") ENGINE_FAIL("--dataset svhn: this build has no SVHN reader (its official lists are in splits.h)");
  official_split(p, 0);  // throws naming the known protocols
  return {};
}

void check_open_set_files(const std::string& protocol, const std::string& data_dir) {
  std::string missing;
  for (auto& f : required_files(protocol))
    if (!fs::exists(data_dir + "/" + f)) missing += (missing.empty() ? "" : ", ") + data_dir + "/" + f;
  ENGINE_CHECK(missing.empty(), "--dataset ", protocol, " needs files that are missing: ", missing,
               protocol == "mnist" || protocol == "fashion-mnist" ? " (run tools/fetch-data " + protocol + ")"
               : protocol == "tiny-imagenet" ? " (lists of 'relative/path label' lines, labels = sorted wnid index)"
                                             : " (unpack the CIFAR binary tarballs there)");
}

namespace {

// The fixed split of --val-per-class: independent of the run seed, as train::kValidationSplitSeed.
constexpr uint64_t kValSeed = 12345;

void load_sources(const OpenSetDataOptions& o, data::ImageDataset& train, data::ImageDataset& test,
                  data::ImageDataset& unknown_source_train, data::ImageDataset& unknown_source_test) {
  const std::string& p = o.protocol;
  if (p == "cifar+10" || p == "cifar+50") {
    train = data::load_cifar10_dir(o.data_dir, true);
    test = data::load_cifar10_dir(o.data_dir, false);
    unknown_source_train = data::load_cifar100_dir(o.data_dir, true);
    unknown_source_test = data::load_cifar100_dir(o.data_dir, false);
    return;
  }
  const std::string name = p == "tiny-imagenet" ? "folder" : p;
  const std::string dir = p == "tiny-imagenet" ? o.data_dir + "/tiny-imagenet" : o.data_dir;
  train::DatasetBundle b = train::load_dataset(name, dir, 64);
  train = b.train;
  test = b.test;
  unknown_source_train = train;
  unknown_source_test = test;
}

}  // namespace

OpenSetData load_open_set(const OpenSetDataOptions& o) {
  check_open_set_files(o.protocol, o.data_dir);
  ClassSplit cs = official_split(o.protocol, o.split);
  data::ImageDataset train, test, utrain, utest;
  load_sources(o, train, test, utrain, utest);
  OpenSetData out;
  auto& b = out.bundle;
  b.name = o.protocol;
  b.train = data::class_disjoint_split(train, cs.known);
  if (o.val_per_class > 0) {
    auto [tr, val] = data::train_val_split_count(b.train, o.val_per_class, kValSeed);
    b.train = std::move(tr);
    b.test = std::move(val);
    // The unknowns' validation images: from their train split (never seen in training: other classes).
    out.unknown_test = data::k_per_class(data::class_disjoint_split(utrain, cs.unknown), o.val_per_class, kValSeed);
    b.eval_split = "val";
  } else {
    b.test = data::class_disjoint_split(test, cs.known);
    out.unknown_test = data::class_disjoint_split(utest, cs.unknown);
  }
  if (o.per_class > 0) b.train = data::k_per_class(b.train, o.per_class, o.seed);
  b.mean.assign((size_t)b.train.c, 0.0f);  // official: pixels in [0, 1], no normalisation
  b.std.assign((size_t)b.train.c, 1.0f);
  return out;
}

}  // namespace eg::rpl
