// model_file.h — what a saved model says about itself, so it runs with nothing else: the architecture
// (nn::ModelSpec), the input shape [C, H, W], the per-channel normalization of pixels in [0, 1], the
// class names, the dataset and trainer. Stored as string entries of the safetensors `__metadata__`
// (JSON values: "eigengrad_model", "spec", "input_shape", "mean", "std", "class_names", "dataset",
// "trainer"; "model" keeps the backbone's name as before), in model.safetensors and in every training
// checkpoint. load_model_file() reads either kind (a checkpoint's optimizer and generator entries are
// skipped), so `infer` and `--init-from` accept both.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "nn/nn.h"

namespace eg::train {

struct ModelFileInfo {
  nn::ModelSpec spec;
  std::vector<int64_t> input_shape;  // C, H, W
  std::vector<float> mean, std;      // per channel: x_normalized = (pixel/255 - mean) / std
  std::vector<std::string> class_names;
  std::string dataset, trainer;
};

std::map<std::string, std::string> model_file_metadata(const ModelFileInfo& info);
// True when the metadata holds a model description (files from before it, or PyTorch, do not).
bool has_model_info(const std::map<std::string, std::string>& metadata);
// Throws naming `path` and the entry when one is missing or malformed.
ModelFileInfo model_info_from_metadata(const std::map<std::string, std::string>& metadata, const std::string& path);

struct LoadedModel {
  ModelFileInfo info;
  std::shared_ptr<nn::Backbone> model;  // in eval mode, on the CPU
};
// A self-describing model file or training checkpoint: builds the model it describes and loads its weights.
LoadedModel load_model_file(const std::string& path);
// Loads the weights of `path` (model file, checkpoint or plain state_dict) into m; when the file describes
// its model, an architecture other than `spec` is refused first, naming what differs.
void load_weights_from(const std::string& path, nn::Module& m, const nn::ModelSpec& spec);
// Refuses a file (a checkpoint being resumed) whose model description differs from this run's, listing
// each differing field ("num_classes: file 10, this run 100"); no check when either has none.
void check_same_architecture(const std::map<std::string, std::string>& file_metadata,
                             const std::map<std::string, std::string>& run_metadata, const std::string& path);

}  // namespace eg::train
