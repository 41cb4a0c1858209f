// checkpoint.h — model weights and training checkpoints as .safetensors. Weights use the module's
// state_dict names, so PyTorch state_dicts saved as safetensors load as they are. A training checkpoint
// adds optimizer state ("optim.state.<i>.<buffer>"), generator states ("rng.<name>", 4 × i64 bit
// patterns) and string metadata (epoch, step, seed, config). Writes are atomic (temp file + rename).
#pragma once
#include <map>
#include <string>

#include "nn/module.h"
#include "nn/optim.h"

namespace eg::nn {

void save_weights(const std::string& path, const Module& m, const std::map<std::string, std::string>& metadata = {});
// Returns the load report (missing/unexpected keys in non-strict mode).
std::string load_weights(const std::string& path, Module& m, bool strict = true);

struct TrainingCheckpoint {
  std::map<std::string, std::string> metadata;
  std::map<std::string, Generator*> generators;  // saved and restored by name
};

void save_checkpoint(const std::string& path, const Module& m, const Optimizer& opt, const TrainingCheckpoint& ck);
// Restores model, optimizer and the named generators; returns the metadata.
std::map<std::string, std::string> load_checkpoint(const std::string& path, Module& m, Optimizer& opt,
                                                   const std::map<std::string, Generator*>& generators);

// True for a training checkpoint's optimizer ("optim.") and generator ("rng.") entries: not weights.
bool is_training_state(const std::string& name);

Tensor generator_state_tensor(const Generator& g);
void set_generator_state(Generator& g, const Tensor& t, const std::string& what);

}  // namespace eg::nn
