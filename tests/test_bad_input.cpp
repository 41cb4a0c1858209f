// test_bad_input.cpp — bad input gets one clear line naming what is wrong and where (issue #19): labels
// outside the model's classes, NaN/Inf pixels, weights of another shape or architecture, --device cuda on
// a machine without one, contradictory flags, an empty training set. The library checks are called
// directly; the binaries (infer, train_erm) run as subprocesses and must print exactly one line.
#include <cmath>
#include <filesystem>
#include <limits>

#include "core/safetensors.h"
#include "core/storage.h"
#include "methods/data/image_set_file.h"
#include "methods/train/model_file.h"
#include "nn/checkpoint.h"
#include "tests/test_util.h"
#include "tests/train_test_util.h"

using namespace eg;
namespace fs = std::filesystem;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

fs::path fresh_dir(const std::string& name) {
  fs::path d = test::temp_dir(name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A binary's error: a non-zero exit (1, or CLI11's code for a bad command line) and exactly one error line,
// holding `what` (other lines are the binary's progress notes).
void one_line_error(const std::string& cmd, const std::string& what) {
  // Not a structured binding: clang cannot capture one in doctest's lambdas under -fopenmp.
  const std::pair<int, std::string> result = test::run_capture(cmd);
  const int rc = result.first;
  const std::string& text = result.second;
  CHECK_MESSAGE(rc > 0, cmd, "\n", text);
  std::vector<std::string> lines;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    lines.push_back(text.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
  std::vector<std::string> errors;
  for (auto& l : lines)
    if (l.find(": error: ") != std::string::npos) errors.push_back(l);
  REQUIRE_MESSAGE(errors.size() == 1, "not one error line:\n", text);
  CHECK_MESSAGE(errors[0].find(what) != std::string::npos, "expected '", what, "' in the error line of:\n", text);
}

bool built(const char* name) {
  if (fs::exists(test::bin(name))) return true;
  MESSAGE((std::string(name) + " not built: skipped"));
  return false;
}

nn::ModelSpec tiny_spec(int64_t classes) {
  nn::ModelSpec s;
  s.name = "convnet", s.in_channels = 1, s.num_classes = classes, s.widths = {4, 8, 8};
  return s;
}

// A self-describing model file of tiny_spec(classes) on 1x12x12 images, untrained.
void write_model(const std::string& path, int64_t classes) {
  Generator g(0);
  auto m = nn::make_model(tiny_spec(classes), g);
  train::ModelFileInfo info{tiny_spec(classes), {1, 12, 12}, {0.5f}, {0.25f}, {}, "fashion-mnist", "train_erm"};
  for (int64_t k = 0; k < classes; ++k) info.class_names.push_back("c" + std::to_string(k));
  nn::save_weights(path, *m, train::model_file_metadata(info));
}

}  // namespace

TEST_CASE("bad input: a NaN or Inf pixel in an image set names the image and the place") {
  data::ImageDataset ds;
  ds.n = 2, ds.c = 1, ds.h = 2, ds.w = 3, ds.num_classes = 2, ds.labels = {0, 1};
  ds.float_pixels.assign(12, 0.5f);
  ds.float_pixels[10] = std::numeric_limits<float>::infinity();
  CHECK_ERROR(ds.validate("constructed set"), "constructed set: pixel inf of image 1 (channel 0, row 1, column 1) is not a finite number");
  ds.float_pixels[10] = 0.5f;
  ds.validate("constructed set");
  // In a file: the reader's range check catches NaN too (NaN is not in [0, 1]).
  fs::path d = fresh_dir("eg_bad_nan");
  std::vector<float> px(12, 0.25f);
  px[3] = kNaN;
  save_safetensors((d / "set.safetensors").string(),
                   {{"x", from_vector(px, {2, 1, 2, 3})}, {"y", from_vector(std::vector<int64_t>{0, 1}, {2})}});
  CHECK_ERROR(data::load_image_set((d / "set.safetensors").string()), "float pixel nan is outside [0, 1]");
  fs::remove_all(d);
}

TEST_CASE("bad input: an image set whose labels exceed its num_classes names the label and the image") {
  fs::path d = fresh_dir("eg_bad_labels");
  const std::string path = (d / "set.safetensors").string();
  save_safetensors(path, {{"x", zeros({3, 1, 2, 2})}, {"y", from_vector(std::vector<int64_t>{0, 7, 1}, {3})}},
                   {{"num_classes", "4"}});
  CHECK_ERROR(data::load_image_set(path), "label 7 of image 1 is outside [0, 4)");
  fs::remove_all(d);
}

TEST_CASE("bad input: weights of another architecture list what differs, capped to a few names") {
  Generator g(0);
  auto small = nn::make_model(tiny_spec(4), g);
  auto other = nn::make_model({"resnet20", 1, 4}, g);
  std::string msg;
  try {
    other->load_state_dict(small->state_dict(), true);
  } catch (const Error& e) {
    msg = e.what();
  }
  CHECK(msg.find("missing keys: ") != std::string::npos);
  CHECK(msg.find(" in all)") != std::string::npos);  // resnet20 has far more than 8 tensors
  CHECK(msg.size() < 2000);
  // A checkpoint's model description against this run's: each differing field, file value first.
  train::ModelFileInfo a{tiny_spec(4), {1, 12, 12}, {0.5f}, {0.25f}, {}, "", ""}, b = a;
  b.spec.num_classes = 10;
  CHECK_ERROR(train::check_same_architecture(train::model_file_metadata(a), train::model_file_metadata(b), "ck"),
              "'ck' holds another architecture:\n  num_classes: file 4, this run 10");
  train::check_same_architecture(train::model_file_metadata(a), train::model_file_metadata(a), "ck");
  train::check_same_architecture({}, train::model_file_metadata(b), "plain state_dict");  // nothing to compare
}

TEST_CASE("bad input: infer refuses labels outside the model's classes, NaN pixels and mis-shaped weights") {
  if (!built("infer")) return;
  fs::path d = fresh_dir("eg_bad_infer");
  const std::string model = (d / "model.safetensors").string(), in = (d / "in.safetensors").string();
  write_model(model, 4);
  const std::string infer = test::bin("infer") + " --weights " + model + " --input " + in;
  std::vector<float> px(2 * 144, 0.5f);
  save_safetensors(in, {{"x", from_vector(px, {2, 1, 12, 12})}, {"y", from_vector(std::vector<int64_t>{0, 57}, {2})}});
  one_line_error(infer, "labels 'y': label 57 of image 1 is outside the model's 4 classes [0, 4) (it was trained on fashion-mnist)");
  px[150] = kNaN;
  save_safetensors(in, {{"x", from_vector(px, {2, 1, 12, 12})}});
  one_line_error(infer, "input 'x': value nan at element 150 of image 1 is not a finite number");
  // A plain state_dict (no model description) with the architecture given by hand, one tensor mis-shaped.
  Generator g(0);
  auto m = nn::make_model(tiny_spec(5), g);
  nn::save_weights((d / "plain.safetensors").string(), *m);
  px[150] = 0.5f;
  save_safetensors(in, {{"x", from_vector(px, {2, 1, 12, 12})}});
  one_line_error(test::bin("infer") + " --weights " + (d / "plain.safetensors").string() + " --input " + in +
                     " --model convnet --in-channels 1 --num-classes 4 --widths 4 8 8 --no-normalize",
                 "mis-shaped keys: fc.weight (expected [4, 8] f32, got [5, 8] f32)");
  fs::remove_all(d);
}

TEST_CASE("bad input: train_erm refuses --device cuda without a GPU and contradictory flags, before any data") {
  if (!built("train_erm")) return;
  fs::path d = fresh_dir("eg_bad_flags");
  // --data-dir does not exist: every refusal below must come before the data is looked at.
  const std::string erm = test::bin("train_erm") + " --data-dir " + (d / "none").string() + " --out " + (d / "o").string();
  if (!cuda_available()) one_line_error(erm + " --device cuda", "--device cuda: ");
  one_line_error(erm + " --resume --force", "--resume and --force contradict each other");
  one_line_error(erm + " --eval-only", "--eval-only evaluates saved weights: give --init-from FILE");
  one_line_error(erm + " --threads 100000", "--threads: 100000 is not in [0, 1024]");
  one_line_error(erm + " --lr nan", "--lr: 'nan' is not a number");
  CHECK_FALSE(fs::exists(d / "o"));
  fs::remove_all(d);
}

TEST_CASE("bad input: --resume refuses a checkpoint of another architecture, naming the difference") {
  if (!built("train_erm")) return;
  fs::path d = fresh_dir("eg_bad_resume");
  test::write_tiny_mnist((d / "data").string(), 96, 32, 4, 1);
  auto erm = [&](const std::string& out, const std::string& widths) {
    return test::bin("train_erm") + " --data-dir " + (d / "data").string() + " --out " + (d / out).string() +
           " --plain --threads 1 --model convnet --epochs 1 --batch-size 32 --widths " + widths;
  };
  REQUIRE(test::run_cmd(erm("a", "4 8 8")) == 0);
  REQUIRE(test::run_cmd(erm("b", "4 8 16")) == 0);
  // The config of run a is unchanged, so --resume gets as far as its (swapped) checkpoint.
  fs::copy_file(d / "b" / "checkpoint.safetensors", d / "a" / "checkpoint.safetensors", fs::copy_options::overwrite_existing);
  const std::pair<int, std::string> result = test::run_capture(erm("a", "4 8 8") + " --resume");
  const std::string& text = result.second;
  CHECK(result.first == 1);
  CHECK_MESSAGE(text.find("checkpoint.safetensors' holds another architecture:\n  widths: file [4,8,16], this run [4,8,8]") !=
                    std::string::npos,
                text);
  fs::remove_all(d);
}

TEST_CASE("bad input: an empty --train-set or a class left without training images is refused before training") {
  if (!built("train_erm")) return;
  fs::path d = fresh_dir("eg_bad_empty");
  test::write_tiny_mnist((d / "data").string(), 98, 32, 4, 1);  // 25, 25, 24 and 24 training images
  const std::string erm = test::bin("train_erm") + " --data-dir " + (d / "data").string() + " --out " + (d / "o").string() +
                          " --plain --threads 1 --model convnet --epochs 1";
  data::ImageDataset empty;
  empty.c = 1, empty.h = 28, empty.w = 28, empty.num_classes = 4;
  data::save_image_set((d / "empty.safetensors").string(), empty);
  one_line_error(erm + " --train-set " + (d / "empty.safetensors").string(),
                 "--train-set " + (d / "empty.safetensors").string() + " holds no images");
  one_line_error(erm + " --val-per-class 24",
                 "the train split of fashion-mnist has no image of class 2 (Pullover) left after --val-per-class 24 "
                 "held out all 24; choose a smaller --val-per-class");
  CHECK_FALSE(fs::exists(d / "o" / "log.csv"));
  fs::remove_all(d);
}
