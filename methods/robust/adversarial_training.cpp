// adversarial_training.cpp — Madry adversarial training on the shared loop (see adversarial_training.h).
#include "methods/robust/adversarial_training.h"

#include "losses/cross_entropy.h"
#include "methods/robust/pixel_model.h"

namespace eg::robust {

AdversarialResult train_adversarial(const train::DatasetBundle& d, const train::ClassifyConfig& cfg,
                                    const PgdConfig& attack) {
  check_config(attack);
  ENGINE_CHECK(!attack.targeted, "adversarial training uses an untargeted attack");
  ENGINE_CHECK(!cfg.augment && !cfg.loss && !cfg.sampler && !cfg.param_groups,
               "train_adversarial: augmentation, custom losses, samplers and parameter groups are not supported");
  ENGINE_CHECK(cfg.batch_size > 0 && cfg.batch_size <= d.train.n, "train_adversarial: batch size ", cfg.batch_size,
               " must be in [1, ", d.train.n, "]");
  Generator init_gen(cfg.seed), attack_gen(cfg.seed + 1);
  train::ModelFileInfo info = train::model_file_info(d, cfg);
  auto model = nn::make_model(info.spec, init_gen);
  if (!cfg.init_from.empty()) train::load_weights_from(cfg.init_from, *model, info.spec);
  PixelModel pm(model, d.mean, d.std);
  nn::SGD opt({nn::ParamGroup{model->parameters(), cfg.lr, cfg.weight_decay}},
              {cfg.lr, cfg.momentum, 0, cfg.weight_decay, cfg.nesterov});
  auto sampler = std::make_shared<data::RandomSampler>(d.train.n, cfg.batch_size, cfg.seed, /*drop_last=*/true);
  data::LoaderOptions lo;
  lo.seed = cfg.seed;
  lo.prefetch = 0;
  data::DataLoader loader(d.train, sampler, nullptr, lo);  // pixels in [0, 1]: the attack's space
  auto tt = train::test_transform(d);
  LogitsFn f = [&](const Tensor& x) { return pm.logits(x); };

  train::LoopHooks hooks;
  hooks.step = [&](const data::Batch& b) {
    Tensor adv;
    {
      AttackMode am(*model);
      adv = pgd_attack(f, b.x, b.y, attack, attack_gen);
    }
    Tensor logits = pm.logits(adv);
    return train::StepOut{losses::cross_entropy(logits, b.y), logits, {}};
  };
  hooks.evaluate = [&](int64_t) {
    AttackMode am(*model);
    auto p = train::predict(d.test, [&](const Tensor& x) { return model->forward(x); }, tt, 256, Device::CPU);
    return train::classification_metrics(p);
  };
  train::LoopConfig lc;
  lc.epochs = cfg.epochs;
  lc.schedule = cfg.schedule;
  lc.per_iteration_schedule = cfg.per_iteration_schedule;
  lc.eval_every = cfg.eval_every;
  lc.eval_columns = train::classification_metric_names(d.train.num_classes, false);
  lc.run_dir = cfg.run_dir;
  lc.label = cfg.label;
  lc.resume = cfg.resume;
  lc.plain = cfg.plain;
  lc.metadata = cfg.metadata;
  for (auto& [k, v] : train::model_file_metadata(info)) lc.metadata[k] = v;
  lc.metadata["seed"] = std::to_string(cfg.seed);
  lc.generators["attack"] = &attack_gen;
  lc.debug_kill_after_steps = cfg.debug_kill_after_steps;
  lc.debug_interrupt_after_steps = cfg.debug_interrupt_after_steps;
  train::LoopResult r = train::run_training(*model, opt, loader, hooks, lc);
  AdversarialResult out;
  out.model = model;
  out.metrics = r.last_eval;
  out.wall_s = r.wall_s;
  out.interrupted = r.interrupted;
  if (!r.interrupted) nn::save_weights(cfg.run_dir + "/model.safetensors", *model, train::model_file_metadata(info));
  return out;
}

}  // namespace eg::robust
