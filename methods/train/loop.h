// loop.h — the epoch/iteration training loop every trainer shares. Per step: lr from the schedule
// (per epoch or per iteration), zero_grad, the method's loss hook, a finite-loss check (a NaN/Inf stops
// the run naming the step), backward, optimizer step, progress. Per epoch: the evaluation hook, one
// log.csv row, one plain line when not on a terminal, and an atomic checkpoint (model + optimizer +
// generators + epoch/step) that --resume continues from with the same numbers as an uninterrupted run.
// Ctrl-C finishes the step, saves a mid-epoch checkpoint (with the batch position) and returns.
// Under `mpirun -np N` the loop trains one model data-parallel (data_parallel.h): each rank steps on its
// share of every global batch with the gradients averaged over the ranks; the logged loss, accuracy and
// images/s are the global batch's; rank 0 alone writes log.csv and checkpoints (resumed with the same N).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "methods/data/loader.h"
#include "nn/nn.h"

namespace eg::train {

using Metrics = std::map<std::string, double>;

struct StepOut {
  Tensor loss;    // scalar with a graph
  Tensor logits;  // optional [B, K]: when given (with labels), train accuracy is logged
  Tensor labels;  // optional [B] i64 (defaults to the batch's y)
};

struct LoopHooks {
  std::function<StepOut(const data::Batch& batch)> step;          // the method's forward + loss
  std::function<Metrics(int64_t epoch)> evaluate;                  // optional, after an epoch
  std::function<void(int64_t epoch)> on_epoch_start;              // optional (e.g. deferred re-weighting)
};

struct LoopConfig {
  int64_t epochs = 1;
  std::shared_ptr<nn::LrSchedule> schedule;  // null = constant
  bool per_iteration_schedule = false;       // evaluate the schedule at fractional epochs
  int64_t eval_every = 1;                    // evaluate every k epochs (and always after the last)
  // The metrics the evaluate hook returns: log.csv's columns are fixed before the first row (epoch, lr,
  // train_loss, train_acc, time_s, then these), empty in the epochs without an evaluation, so a resumed
  // run appends to the same schema whichever epoch it stopped in.
  std::vector<std::string> eval_columns;
  std::string run_dir;                       // checkpoint.safetensors and log.csv go here
  std::string label = "train";               // progress label
  bool resume = false;
  bool checkpoints = true;
  bool plain = false;                        // no progress bar even on a terminal
  Device device = Device::CPU;
  std::map<std::string, Generator*> generators;        // saved in checkpoints (dropout, sampling, ...)
  std::map<std::string, std::string> metadata;          // extra checkpoint metadata (config, seed)
  // Test hooks (the resume tests): after this many optimizer steps of this process, raise SIGKILL
  // (a crash: only the last epoch checkpoint survives) or SIGINT (Ctrl-C: a mid-epoch checkpoint). 0 = off.
  int64_t debug_kill_after_steps = 0, debug_interrupt_after_steps = 0;
};

struct LoopResult {
  Metrics last_eval;       // metrics of the final evaluation
  Metrics last_train;      // train_loss, train_acc, lr of the last epoch
  int64_t epochs_done = 0;
  bool interrupted = false;
  double wall_s = 0;       // training time of the whole run, resumed parts included
};

LoopResult run_training(nn::Module& model, nn::Optimizer& opt, data::DataLoader& loader, const LoopHooks& hooks,
                        const LoopConfig& cfg);

}  // namespace eg::train
