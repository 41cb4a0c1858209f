// embedding_model.h — an embedding network for metric learning (rkd.md §2.4): a backbone whose last
// linear layer (`fc`, num_classes = the embedding dimension) is the embedding, optionally ℓ2-normalized.
// Saved as a self-describing model file (methods/train/model_file.h) plus the entry "embedding_l2", so a
// teacher file says how its outputs are used. A foreign file (no eigengrad metadata) is read as a
// torchvision-named ResNet-18/34/50 (the official RKD code's "base." / "linear." prefixes and PyTorch's
// "module." are mapped onto torchvision's names), with ImageNet input statistics at 224×224.
// Shapes: images [N, C, H, W] -> embeddings [N, D]; embed_dataset returns N x D floats, row-major.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "methods/data/dataset.h"
#include "methods/data/transforms.h"
#include "methods/train/model_file.h"

namespace eg::rkd {

struct EmbeddingModel {
  std::shared_ptr<nn::Backbone> net;  // net->forward(x) = fc(pooled features) = the raw embedding
  bool l2 = false;                    // the embedding is net->forward(x) / ||·||
  train::ModelFileInfo info;          // info.spec.num_classes = the embedding dimension
  Tensor embed(const Tensor& x) const;
  int64_t dim() const { return info.spec.num_classes; }
};

// A fresh model from info.spec (weights drawn from Generator(seed)).
EmbeddingModel make_embedding_model(const train::ModelFileInfo& info, bool l2, uint64_t seed);

void save_embedding_model(const std::string& path, const EmbeddingModel& m);
// Ours (any eigengrad model file: "embedding_l2" absent means raw outputs), or a torchvision-named ResNet
// whose fc / linear layer is the embedding; foreign_l2 says whether that one's outputs are ℓ2-normalized.
// Returned in eval mode on the CPU.
EmbeddingModel load_embedding_model(const std::string& path, bool foreign_l2 = true);

// Copies a torchvision-named ResNet checkpoint (an ImageNet classifier) into m's backbone, every weight but
// the fc layer (the embedding is new): the "ImageNet-pretrained backbone" of rkd.md §3.
void load_backbone_weights(const std::string& path, nn::Backbone& m);

// The torchvision name of a parameter key: strips "module." and "base.", maps "linear." to "fc.".
std::string torchvision_key(const std::string& key);

// The embeddings of every image of ds (eval mode, no gradient, in dataset order), N x D.
std::vector<float> embed_dataset(const EmbeddingModel& m, const data::ImageDataset& ds,
                                 std::shared_ptr<data::Transform> transform, Device device, int64_t batch_size = 256);

}  // namespace eg::rkd
