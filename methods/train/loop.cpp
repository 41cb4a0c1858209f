// loop.cpp — the shared training loop (see loop.h).
#include "methods/train/loop.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/safetensors.h"
#include "methods/train/data_parallel.h"
#include "methods/train/distributed.h"
#include "methods/train/interrupt.h"
#include "methods/train/model_file.h"
#include "methods/train/progress.h"
#include "methods/train/run_dir.h"

namespace eg::train {

// A double as text that std::stod reads back to the same bits.
static std::string exact_decimal(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Keeps only the rows of log.csv of completed epochs (logged 1-based: epoch <= done) that a resumed run
// does not redo.
void truncate_log(const std::string& path, int64_t done) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string header, line, kept;
  std::getline(in, header);
  kept = header + "\n";
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    double e = std::atof(line.substr(0, line.find(',')).c_str());
    if (e <= (double)done) kept += line + "\n";
  }
  write_file_atomic(path, kept);
}

// A number of the checkpoint's metadata; a missing or malformed one names the file and the entry.
double meta_number(const std::map<std::string, std::string>& m, const std::string& k, const std::string& path) {
  auto it = m.find(k);
  ENGINE_CHECK(it != m.end(), "checkpoint '", path, "' lacks metadata '", k, "'; use --force to start over");
  const char* s = it->second.c_str();
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  ENGINE_CHECK(end != s && *end == '\0' && std::isfinite(v), "checkpoint '", path, "': metadata '", k, "' is '",
               it->second, "', not a number; use --force to start over");
  return v;
}

int64_t meta_int(const std::map<std::string, std::string>& m, const std::string& k, const std::string& path) {
  const double v = meta_number(m, k, path);
  ENGINE_CHECK(v >= 0 && v <= 9e15 && v == std::floor(v), "checkpoint '", path, "': metadata '", k, "' is ", m.at(k),
               ", not a count; use --force to start over");
  return (int64_t)v;
}

// load_checkpoint, but a checkpoint of another architecture (a copied file, an edited config.json) is
// refused naming the fields that differ rather than every mis-shaped tensor.
std::map<std::string, std::string> load_resume_checkpoint(const std::string& path, nn::Module& model,
                                                          nn::Optimizer& opt, const LoopConfig& cfg) {
  try {
    return nn::load_checkpoint(path, model, opt, cfg.generators);
  } catch (const Error&) {
    check_same_architecture(load_safetensors(path).metadata, cfg.metadata, path);
    throw;
  }
}

}  // namespace

LoopResult run_training(nn::Module& model, nn::Optimizer& opt, data::DataLoader& loader, const LoopHooks& hooks,
                        const LoopConfig& cfg) {
  ENGINE_CHECK(hooks.step, "run_training: no step hook");
  ENGINE_CHECK(cfg.epochs >= 0, "run_training: epochs must be >= 0, got ", cfg.epochs);
  std::string ckpt = cfg.run_dir + "/checkpoint.safetensors", log_path = cfg.run_dir + "/log.csv";
  int64_t start_epoch = 0, skip = 0, step = 0;
  double carried_loss = 0, carried_correct = 0, carried_seen = 0, carried_wall = 0;
  const bool root = dist::is_root();
  DataParallel dp(model, opt);
  if (dp.active()) loader.set_shard(dist::rank(), dist::size());
  bool resuming = cfg.resume && fs::exists(ckpt);
  if (dp.active() && cfg.resume) {
    std::vector<double> seen_by = {resuming ? 1.0 : 0.0};
    dp.sum(seen_by);
    ENGINE_CHECK(seen_by[0] == 0 || seen_by[0] == dist::size(), "--resume: ", ckpt, " is readable on ", seen_by[0], " of ",
                 dist::size(), " processes (rank ", dist::rank(), (resuming ? " has it" : " has not"),
                 "): put --out on a folder every machine shares");
  }
  if (resuming) {
    auto meta = load_resume_checkpoint(ckpt, model, opt, cfg);
    int64_t ranks = meta.count("world_size") ? std::stoll(meta.at("world_size")) : 1;
    ENGINE_CHECK(ranks == dist::size(), "--resume: ", ckpt, " was written by a run of ", ranks,
                 " process(es); continue it with the same number (mpirun -np ", ranks, ")");
    start_epoch = meta_int(meta, "epoch", ckpt);
    skip = meta_int(meta, "batch", ckpt);
    step = meta_int(meta, "step", ckpt);
    if (skip > 0) {
      carried_loss = meta_number(meta, "partial_loss", ckpt);
      carried_correct = meta_number(meta, "partial_correct", ckpt);
      carried_seen = meta_number(meta, "partial_seen", ckpt);
    }
    if (meta.count("wall_s")) carried_wall = meta_number(meta, "wall_s", ckpt);
    // Epochs and batches 1-based, as the progress lines and the interrupt message print them.
    if (start_epoch >= cfg.epochs)
      std::fprintf(stderr, "resuming from %s: all %ld epochs were done\n", ckpt.c_str(), (long)cfg.epochs);
    else
      std::fprintf(stderr, "resuming from %s: %ld of %ld epochs done, continuing epoch %ld at batch %ld\n", ckpt.c_str(),
                   (long)start_epoch, (long)cfg.epochs, (long)start_epoch + 1, (long)skip + 1);
  } else if (cfg.resume) {
    std::fprintf(stderr, "--resume: no checkpoint at %s, starting fresh\n", ckpt.c_str());
  }
  dp.broadcast_state();  // every rank starts from rank 0's weights
  bool appending = cfg.resume && start_epoch + skip > 0;
  if (appending && root) truncate_log(log_path, start_epoch);
  std::vector<std::string> columns = {"epoch", "lr", "train_loss", "train_acc", "time_s"};
  columns.insert(columns.end(), cfg.eval_columns.begin(), cfg.eval_columns.end());
  std::unique_ptr<CsvLog> log;
  auto t0 = std::chrono::steady_clock::now();
  auto wall = [&] { return carried_wall + seconds_since(t0); };

  auto save = [&](int64_t epoch, int64_t batch, double pl, double pc, double ps) {
    if (!cfg.checkpoints || !root) return;
    nn::TrainingCheckpoint ck;
    ck.metadata = cfg.metadata;
    ck.metadata["epoch"] = std::to_string(epoch);
    ck.metadata["batch"] = std::to_string(batch);
    ck.metadata["step"] = std::to_string(step);
    ck.metadata["world_size"] = std::to_string(dist::size());
    // 17 significant digits: the sums come back bit for bit on --resume (std::to_string keeps 6 decimals,
    // which moved an interrupted epoch's mean loss in the 8th digit).
    ck.metadata["partial_loss"] = exact_decimal(pl);
    ck.metadata["partial_correct"] = exact_decimal(pc);
    ck.metadata["partial_seen"] = exact_decimal(ps);
    ck.metadata["wall_s"] = exact_decimal(wall());
    ck.generators = cfg.generators;
    nn::save_checkpoint(ckpt, model, opt, ck);
  };

  LoopResult res;
  int64_t steps_here = 0;
  // Test hook (tests/test_distributed.cpp): this rank fails at its first step, as a bad file or a bug on
  // one machine would, while the others wait for it in a collective.
  const char* fail_rank = std::getenv("EG_DEBUG_FAIL_RANK");
  for (int64_t epoch = start_epoch; epoch < cfg.epochs; ++epoch) {
    model.train();
    if (hooks.on_epoch_start) hooks.on_epoch_start(epoch);
    int64_t nb = loader.num_batches(epoch), first = epoch == start_epoch ? skip : 0;
    loader.start_epoch(epoch, first);
    double loss_sum = first ? carried_loss : 0, correct = first ? carried_correct : 0, seen = first ? carried_seen : 0;
    int64_t images = 0;
    Progress bar(cfg.label + " epoch " + std::to_string(epoch + 1) + "/" + std::to_string(cfg.epochs), nb, cfg.plain);
    double lr_factor = 1;
    data::Batch batch;
    for (int64_t b = first; b < nb; ++b) {
      ENGINE_CHECK(loader.next(batch), "data loader ended after ", b, " of ", nb, " batches in epoch ", epoch);
      double e = cfg.per_iteration_schedule ? (double)epoch + (double)b / (double)nb : (double)epoch;
      lr_factor = cfg.schedule ? cfg.schedule->factor(e) : 1.0;
      opt.set_lr_factor(lr_factor);
      batch.x = batch.x.to(cfg.device);
      batch.y = batch.y.to(cfg.device);
      opt.zero_grad();
      ENGINE_CHECK(!fail_rank || std::atoi(fail_rank) != dist::rank(), "EG_DEBUG_FAIL_RANK: a simulated failure on rank ",
                   dist::rank());
      StepOut out = hooks.step(batch);
      int64_t bs = batch.y.numel();
      // This rank's loss · images, images and correct predictions; under mpirun summed over the ranks.
      std::vector<double> sums = {out.loss.item() * (double)bs, (double)bs, 0};
      if (out.logits.defined()) {
        NoGradGuard ng;
        Tensor y = out.labels.defined() ? out.labels : batch.y;
        Tensor pred = argmax(out.logits, 1);
        auto p = pred.to_vector<int64_t>(), t = y.to_vector<int64_t>();
        for (size_t i = 0; i < p.size(); ++i) sums[2] += p[i] == t[i];
      }
      if (dp.active()) dp.sum(sums);
      double loss = dp.active() ? sums[0] / sums[1] : out.loss.item();
      ENGINE_CHECK(std::isfinite(loss), "non-finite loss ", loss, " at epoch ", epoch + 1, ", batch ", b + 1, " (step ",
                   step + 1, "): try a lower --lr");
      out.loss.backward();
      dp.average_gradients(bs, (int64_t)sums[1]);
      opt.step();
      ++step;
      loss_sum += sums[0];
      seen += sums[1];
      images += (int64_t)sums[1];  // the global batch: the bar shows the rate of all ranks together
      correct += sums[2];
      bar.update(b + 1, loss_sum / seen, images);
      ++steps_here;
      if (cfg.debug_kill_after_steps && steps_here == cfg.debug_kill_after_steps) std::raise(SIGKILL);
      if (cfg.debug_interrupt_after_steps && steps_here == cfg.debug_interrupt_after_steps) std::raise(SIGINT);
      bool stop = interrupted();
      if (dp.active()) {  // a Ctrl-C that reached some ranks stops all of them after the same step
        std::vector<double> any = {stop ? 1.0 : 0.0};
        dp.sum(any);
        stop = any[0] > 0;
      }
      if (stop) {
        bar.finish();
        save(epoch, b + 1, loss_sum, correct, seen);
        std::fprintf(stderr, "interrupted at epoch %ld batch %ld: checkpoint saved to %s (continue with --resume)\n",
                     (long)epoch + 1, (long)b + 1, ckpt.c_str());
        res.interrupted = true;
        res.wall_s = wall();
        return res;
      }
    }
    bar.finish();
    dp.broadcast_state();  // rank 0's BatchNorm running statistics (and weights, bit for bit) on every rank
    Metrics row{{"epoch", (double)epoch + 1}, {"lr", opt.groups().empty() ? 0 : opt.groups()[0].lr},
                {"train_loss", seen ? loss_sum / seen : NAN}, {"time_s", bar.elapsed_s()}};
    if (correct > 0) row["train_acc"] = correct / seen;  // empty when the step hook gives no logits
    res.last_train = row;
    bool last = epoch + 1 == cfg.epochs;
    if (hooks.evaluate && (last || (epoch + 1) % std::max<int64_t>(cfg.eval_every, 1) == 0)) {
      Metrics m = hooks.evaluate(epoch);
      for (auto& [k, v] : m) {
        ENGINE_CHECK(std::find(columns.begin(), columns.end(), k) != columns.end(), "run_training: evaluation returned '", k,
                     "', which is not among LoopConfig::eval_columns (log.csv's schema)");
        row[k] = v;
      }
      res.last_eval = m;
    }
    if (!log && root) log = std::make_unique<CsvLog>(log_path, columns, appending && fs::exists(log_path));
    if (log) log->row(row);
    std::ostringstream line;
    line.precision(4);
    line << cfg.label << " epoch " << epoch + 1 << "/" << cfg.epochs;
    for (auto& c : columns)
      if (c != "epoch" && row.count(c)) line << " " << c << " " << row[c];
    std::fprintf(stderr, "%s\n", line.str().c_str());
    save(epoch + 1, 0, 0, 0, 0);
    res.epochs_done = epoch + 1;
  }
  if (res.last_eval.empty() && hooks.evaluate && start_epoch >= cfg.epochs && cfg.epochs > 0)
    res.last_eval = hooks.evaluate(cfg.epochs - 1);  // resumed a finished run: report its metrics again
  res.wall_s = wall();
  return res;
}

}  // namespace eg::train
