// classify.cpp — supervised classification training (see classify.h).
#include "methods/train/classify.h"

#include <algorithm>
#include <cstdio>

#include "losses/cross_entropy.h"
#include "methods/eval/classification.h"
#include "methods/train/distributed.h"
#include "methods/train/plots.h"

namespace eg::train {

std::shared_ptr<data::Transform> test_transform(const DatasetBundle& d) {
  return std::make_shared<data::Normalize>(d.mean, d.std);
}

std::shared_ptr<data::Transform> train_transform(const DatasetBundle& d, bool augment, int64_t padding, bool flip) {
  std::vector<std::shared_ptr<data::Transform>> ts;
  if (augment) {
    ts.push_back(std::make_shared<data::RandomCrop>(d.train.h, padding));
    if (flip) ts.push_back(std::make_shared<data::RandomHorizontalFlip>(0.5));
  }
  ts.push_back(std::make_shared<data::Normalize>(d.mean, d.std));
  return std::make_shared<data::Compose>(ts);
}

ModelFileInfo model_file_info(const DatasetBundle& d, const ClassifyConfig& cfg) {
  ModelFileInfo i;
  i.spec = cfg.model;
  i.spec.in_channels = d.train.c;
  i.spec.num_classes = d.train.num_classes;
  i.input_shape = {d.train.c, d.train.h, d.train.w};
  i.mean = d.mean;
  i.std = d.std;
  // One name per class: a dataset's list (Fashion-MNIST's ten) can be longer than the classes present.
  for (int64_t c = 0; c < d.train.num_classes; ++c)
    i.class_names.push_back(c < (int64_t)d.train.class_names.size() ? d.train.class_names[(size_t)c] : std::to_string(c));
  i.dataset = d.name;
  i.trainer = cfg.trainer;
  return i;
}

ClassifyResult train_classifier(const DatasetBundle& d, const ClassifyConfig& cfg) {
  ENGINE_CHECK(d.train.n > 0, "train_classifier: empty training set");
  ENGINE_CHECK(cfg.batch_size > 0 && cfg.batch_size <= d.train.n, "train_classifier: batch size ", cfg.batch_size,
               " must be in [1, ", d.train.n, "] (the training set size)");
  ENGINE_CHECK(!cfg.eval_only || !cfg.init_from.empty(), "evaluation only needs weights (--init-from FILE)");
  ENGINE_CHECK(!cfg.select_on || (cfg.select_on->n > 0 && cfg.select_on->num_classes == d.test.num_classes),
               "train_classifier: the selection split needs images of the test set's ", d.test.num_classes, " classes");
  Generator init_gen(cfg.seed);
  ModelFileInfo info = model_file_info(d, cfg);
  const nn::ModelSpec& spec = info.spec;
  auto model = nn::make_model(spec, init_gen);
  if (cfg.init_model) cfg.init_model(*model);
  // A resumed run takes its weights from the checkpoint; --init-from only seeds a fresh start.
  if (!cfg.init_from.empty()) load_weights_from(cfg.init_from, *model, spec);
  model->to(cfg.device);
  std::vector<nn::ParamGroup> groups;
  if (cfg.param_groups) groups = cfg.param_groups(*model);
  else groups = {nn::ParamGroup{model->parameters(), cfg.lr, cfg.weight_decay}};
  nn::SGD opt(groups, {cfg.lr, cfg.momentum, 0, cfg.weight_decay, cfg.nesterov});

  auto sampler = cfg.sampler ? cfg.sampler
                             : std::make_shared<data::RandomSampler>(d.train.n, cfg.batch_size, cfg.seed, /*drop_last=*/true);
  data::LoaderOptions lo;
  lo.seed = cfg.seed;
  // Synchronous loading: the loader makes ~300k images/s, so a prefetch thread saves < 1% while its
  // thread competes with OpenMP's spinning workers on small machines.
  lo.prefetch = 0;
  data::DataLoader loader(d.train, sampler, train_transform(d, cfg.augment, cfg.crop_padding, cfg.flip), lo);
  auto counts = d.train.class_counts();
  auto tt = test_transform(d);
  Predictions last;
  // log.csv and the curves name the split they measure: val_acc with --val-per-class. metrics.json keeps
  // the stable key test_acc (tools read it) next to val_acc, and says eval_split.
  const std::string acc_key = d.eval_split + "_acc";

  LoopHooks hooks;
  int64_t current_epoch = 0;
  hooks.on_epoch_start = [&](int64_t e) { current_epoch = e; };
  hooks.step = [&](const data::Batch& batch) {
    data::Batch mixed;
    if (cfg.prepare_batch) {
      mixed = batch;
      cfg.prepare_batch(mixed, *model, current_epoch);
    }
    const data::Batch& b = cfg.prepare_batch ? mixed : batch;
    if (cfg.step) {
      auto [loss, logits] = cfg.step(*model, b, current_epoch);
      return StepOut{loss, logits, b.y};
    }
    Tensor logits = model->forward(b.x);
    Tensor loss = cfg.loss ? cfg.loss(logits, b.y, current_epoch) : losses::cross_entropy(logits, b.y);
    return StepOut{loss, logits, b.y};
  };
  BestEvalTracker best(cfg.run_dir + "/best_eval.json", cfg.resume);
  hooks.evaluate = [&](int64_t epoch) {
    model->eval();
    auto forward = [&](const Tensor& x) { return model->forward(x); };
    last = predict(d.test, forward, tt, 256, cfg.device);
    Predictions sel;
    if (cfg.select_on) sel = predict(*cfg.select_on, forward, tt, 256, cfg.device);
    model->train();
    Metrics m = classification_metrics(last, cfg.shot_metrics ? counts : std::vector<int64_t>{});
    if (acc_key != "test_acc") m[acc_key] = m["test_acc"], m.erase("test_acc");
    if (cfg.select_on && !cfg.eval_only) {
      m["select_acc"] = eval::top1_accuracy(sel.logits, sel.n, sel.k, sel.labels);
      auto pred = eval::argmax(last.logits, last.n, last.k);
      best.offer({epoch, m["select_acc"], m, eval::per_class_accuracy(pred, last.labels, last.k),
                  eval::confusion_matrix(pred, last.labels, last.k)});
    }
    return m;
  };
  LoopConfig lc;
  lc.epochs = cfg.epochs;
  lc.schedule = cfg.schedule;
  lc.per_iteration_schedule = cfg.per_iteration_schedule;
  lc.eval_every = cfg.eval_every;
  lc.run_dir = cfg.run_dir;
  lc.label = cfg.label;
  lc.resume = cfg.resume;
  lc.device = cfg.device;
  lc.metadata = cfg.metadata;
  lc.eval_columns = classification_metric_names(d.train.num_classes, cfg.shot_metrics);
  std::replace(lc.eval_columns.begin(), lc.eval_columns.end(), std::string("test_acc"), acc_key);
  if (cfg.select_on) lc.eval_columns.push_back("select_acc");
  for (auto& [k, v] : model_file_metadata(info)) lc.metadata[k] = v;  // the checkpoint describes its model too
  lc.plain = cfg.plain;
  lc.debug_kill_after_steps = cfg.debug_kill_after_steps;
  lc.debug_interrupt_after_steps = cfg.debug_interrupt_after_steps;
  lc.metadata["seed"] = std::to_string(cfg.seed);
  ClassifyResult out;
  if (cfg.eval_only) {
    out.metrics = hooks.evaluate(0);
  } else {
    LoopResult r = run_training(*model, opt, loader, hooks, lc);
    out.metrics = r.last_eval;
    out.wall_s = r.wall_s;
    out.interrupted = r.interrupted;
  }
  if (out.metrics.count(acc_key)) out.metrics["test_acc"] = out.metrics[acc_key];
  if (out.interrupted || last.n == 0) return out;
  auto pred = eval::argmax(last.logits, last.n, last.k);
  out.confusion = eval::confusion_matrix(pred, last.labels, last.k);
  out.per_class = eval::per_class_accuracy(pred, last.labels, last.k);
  if (best.any()) {  // model selection: the best-validation evaluation replaces the final one
    out.metrics = best.best().metrics;
    if (out.metrics.count(acc_key)) out.metrics["test_acc"] = out.metrics[acc_key];
    out.metrics["best_epoch"] = (double)best.best().epoch + 1;
    out.per_class = best.best().per_class;
    out.confusion = best.best().confusion;
  }
  if (!cfg.eval_only) {
    if (dist::is_root()) nn::save_weights(cfg.run_dir + "/model.safetensors", *model, model_file_metadata(info));
    dist::barrier();  // a later stage (M2m's generator, RKD's teacher) may read it on any rank
  }
  if (cfg.figures) {
    // With --val-per-class the test_* numbers are validation numbers: the titles say which split.
    const std::string& split = d.eval_split;
    if (!cfg.eval_only)
      plot_curves(cfg.run_dir + "/log.csv", {{"train_loss"}, {"train_acc", acc_key}}, cfg.run_dir + "/curves.png",
                  cfg.label + ": training curves");
    plot_confusion(out.confusion, last.k, d.test.class_names, cfg.run_dir + "/confusion.png",
                   cfg.label + ": confusion matrix (" + split + ", row-normalized)");
    std::vector<std::string> names = d.test.class_names;
    if (names.empty())
      for (int64_t i = 0; i < last.k; ++i) names.push_back(std::to_string(i));
    plot_bars({out.per_class}, {split + " accuracy"}, names, cfg.run_dir + "/per_class_acc.png",
              cfg.label + ": per-class accuracy", "accuracy");
  }
  return out;
}

RunRecord classify_record(const std::string& run, uint64_t seed, const Json& params, const ClassifyResult& r,
                          const std::string& eval_split) {
  RunRecord rec;
  rec.run = run;
  rec.seed = seed;
  rec.params = params;
  for (auto& [k, v] : r.metrics) rec.metrics[k] = v;
  for (size_t c = 0; c < r.per_class.size(); ++c) rec.metrics["class_" + std::to_string(c) + "_acc"] = r.per_class[c];
  rec.wall_s = r.wall_s;
  rec.eval_split = eval_split;
  return rec;
}

}  // namespace eg::train
