// train.cpp — one open-set training run (see train.h).
#include "methods/rpl/train.h"

#include <algorithm>
#include <cstdio>

#include "methods/rpl/backbones.h"
#include "methods/train/classify.h"
#include "methods/train/distributed.h"
#include "methods/train/loop.h"
#include "methods/train/plots.h"

namespace eg::rpl {

std::vector<double> histogram(const std::vector<double>& values, double lo, double hi, int64_t bins) {
  ENGINE_CHECK(bins >= 1 && hi > lo, "histogram: need bins >= 1 and hi > lo, got ", bins, " bins over [", lo, ", ", hi,
               "]");
  std::vector<double> h((size_t)bins, 0.0);
  for (double v : values) {
    auto b = (int64_t)((v - lo) / (hi - lo) * (double)bins);
    h[(size_t)std::clamp<int64_t>(b, 0, bins - 1)] += 1;
  }
  return h;
}

namespace {

// score_hist.png: fractions of known and unknown test samples per score bin.
void plot_score_histogram(const OpenSetEvaluation& ev, Method m, const std::string& png, const std::string& title) {
  const int64_t bins = 20;
  double lo = std::min(*std::min_element(ev.known_scores.begin(), ev.known_scores.end()),
                       *std::min_element(ev.unknown_scores.begin(), ev.unknown_scores.end()));
  double hi = std::max(*std::max_element(ev.known_scores.begin(), ev.known_scores.end()),
                       *std::max_element(ev.unknown_scores.begin(), ev.unknown_scores.end()));
  if (hi <= lo) hi = lo + 1;
  auto frac = [&](const std::vector<double>& v) {
    auto h = histogram(v, lo, hi, bins);
    for (auto& c : h) c /= (double)v.size();
    return h;
  };
  std::vector<std::string> labels;
  char buf[32];
  for (int64_t b = 0; b < bins; ++b) {
    std::snprintf(buf, sizeof buf, "%.3g", lo + (hi - lo) * ((double)b + 0.5) / (double)bins);
    labels.push_back(buf);
  }
  train::plot_bars({frac(ev.known_scores), frac(ev.unknown_scores)}, {"known (test)", "unknown (test)"}, labels, png,
                   title, std::string("fraction of samples; score = ") + (m == Method::Arpl ? "max logit" : "MSP"));
}

// embedding.png: the 2-d embeddings of the test images per known class, the unknowns and the points.
void plot_embedding(OpenSetNet& net, const OpenSetData& data, std::shared_ptr<data::Transform> tt, Device dev,
                    const std::string& png, const std::string& title) {
  auto feats = [&](const data::ImageDataset& ds) {
    return train::predict(ds, [&](const Tensor& x) { return net.backbone->features(x); }, tt, 256, dev);
  };
  train::Predictions known = feats(data.bundle.test), unknown = feats(data.unknown_test);
  const int64_t K = data.bundle.train.num_classes;
  std::vector<std::vector<double>> xs((size_t)K + 2), ys((size_t)K + 2);
  std::vector<std::string> names;
  for (int64_t c = 0; c < K; ++c)
    names.push_back(c < (int64_t)data.bundle.train.class_names.size() ? data.bundle.train.class_names[(size_t)c]
                                                                       : "class " + std::to_string(c));
  names.push_back("unknown");
  names.push_back("points");
  for (int64_t i = 0; i < known.n; ++i) {
    xs[(size_t)known.labels[(size_t)i]].push_back(known.logits[(size_t)(2 * i)]);
    ys[(size_t)known.labels[(size_t)i]].push_back(known.logits[(size_t)(2 * i + 1)]);
  }
  for (int64_t i = 0; i < unknown.n; ++i) {
    xs[(size_t)K].push_back(unknown.logits[(size_t)(2 * i)]);
    ys[(size_t)K].push_back(unknown.logits[(size_t)(2 * i + 1)]);
  }
  if (net.head->points.defined()) {
    auto p = net.head->points.to(Device::CPU).to_vector<float>();
    for (size_t r = 0; r + 1 < p.size(); r += 2) xs[(size_t)K + 1].push_back(p[r]), ys[(size_t)K + 1].push_back(p[r + 1]);
  }
  train::plot_scatter(xs, ys, names, png, title);
}

}  // namespace

OpenSetRunResult train_open_set(const OpenSetData& data, const OpenSetTrainConfig& cfg) {
  const auto& d = data.bundle;
  ENGINE_CHECK(d.train.n > 0 && d.test.n > 0 && data.unknown_test.n > 0, "train_open_set: empty split (train ",
               d.train.n, ", known test ", d.test.n, ", unknown test ", data.unknown_test.n, " images)");
  ENGINE_CHECK(cfg.batch_size >= 1 && cfg.batch_size <= d.train.n, "train_open_set: batch size ", cfg.batch_size,
               " must be in [1, ", d.train.n, "] (the training set size)");
  Generator init_gen(cfg.seed);
  auto backbone = make_backbone(cfg.backbone, d.train.c, d.train.num_classes, cfg.widths, init_gen, cfg.seed);
  HeadConfig hc = cfg.head;
  hc.num_classes = d.train.num_classes;
  hc.dim = backbone->feature_dim();
  OpenSetNet net(backbone, hc, init_gen);
  net.to(cfg.device);
  std::vector<nn::ParamGroup> groups = {nn::ParamGroup{net.trained_parameters(), cfg.lr, cfg.weight_decay}};
  std::unique_ptr<nn::Optimizer> opt;
  if (cfg.adam) opt = std::make_unique<nn::Adam>(groups, nn::AdamOptions{cfg.lr, 0.9, 0.999, 1e-8, cfg.weight_decay});
  else opt = std::make_unique<nn::SGD>(groups, nn::SgdOptions{cfg.lr, cfg.momentum, 0, cfg.weight_decay, false});

  auto sampler = std::make_shared<data::RandomSampler>(d.train.n, cfg.batch_size, cfg.seed, /*drop_last=*/false);
  data::LoaderOptions lo;
  lo.seed = cfg.seed;
  lo.prefetch = 0;
  data::DataLoader loader(d.train, sampler, train::train_transform(d, cfg.augment, cfg.crop_padding, true), lo);
  auto tt = train::test_transform(d);
  const Method method = hc.method;
  const std::string acc_key = d.eval_split + "_acc";
  OpenSetEvaluation last;

  train::LoopHooks hooks;
  hooks.step = [&](const data::Batch& b) {
    losses::PointLoss l = net.head->loss(net.backbone->features(b.x), b.y);
    return train::StepOut{l.loss, l.logits, {}};
  };
  hooks.evaluate = [&](int64_t) {
    net.eval();
    auto logits = [&](const Tensor& x) { return net.forward(x); };
    train::Predictions known = train::predict(d.test, logits, tt, 256, cfg.device);
    train::Predictions unknown = train::predict(data.unknown_test, logits, tt, 256, cfg.device);
    net.train();
    last = evaluate_open_set(method, known, unknown);
    train::Metrics m = last.metrics;
    if (acc_key != "test_acc") m[acc_key] = m["test_acc"], m.erase("test_acc");
    return m;
  };
  train::LoopConfig lc;
  lc.epochs = cfg.epochs;
  if (!cfg.milestones.empty()) lc.schedule = std::make_shared<nn::MultiStepLR>(cfg.milestones, cfg.gamma);
  lc.eval_every = cfg.eval_every;
  lc.eval_columns = open_set_metric_names(method);
  std::replace(lc.eval_columns.begin(), lc.eval_columns.end(), std::string("test_acc"), acc_key);
  lc.run_dir = cfg.run_dir;
  lc.label = cfg.label;
  lc.resume = cfg.resume;
  lc.plain = cfg.plain;
  lc.device = cfg.device;
  lc.metadata = cfg.metadata;
  lc.metadata["seed"] = std::to_string(cfg.seed);
  lc.metadata["method"] = method_name(method);
  if (auto* c32 = dynamic_cast<Classifier32*>(backbone.get())) lc.generators["dropout"] = &c32->dropout_gen;
  lc.debug_kill_after_steps = cfg.debug_kill_after_steps;
  lc.debug_interrupt_after_steps = cfg.debug_interrupt_after_steps;

  OpenSetRunResult out;
  train::LoopResult r = train::run_training(net, *opt, loader, hooks, lc);
  out.wall_s = r.wall_s;
  out.interrupted = r.interrupted;
  if (r.interrupted) return out;
  out.metrics = r.last_eval;
  if (out.metrics.count(acc_key)) out.metrics["test_acc"] = out.metrics[acc_key];
  out.eval = last;
  if (train::dist::is_root()) nn::save_weights(cfg.run_dir + "/model.safetensors", net, lc.metadata);
  if (cfg.figures && !last.known_scores.empty()) {
    const std::string& split = d.eval_split;
    train::plot_curves(cfg.run_dir + "/log.csv", {{"train_loss"}, {"train_acc", acc_key}}, cfg.run_dir + "/curves.png",
                       cfg.label + ": training curves");
    plot_score_histogram(last, method, cfg.run_dir + "/score_hist.png",
                         cfg.label + ": open-set score, known vs unknown (" + split + ")");
    if (hc.dim == 2) {
      net.eval();
      plot_embedding(net, data, tt, cfg.device, cfg.run_dir + "/embedding.png", cfg.label + ": 2-d embedding (" + split + ")");
    }
  }
  return out;
}

}  // namespace eg::rpl
