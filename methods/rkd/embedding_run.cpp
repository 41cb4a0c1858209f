// embedding_run.cpp — one metric-learning run (see embedding_run.h).
#include "methods/rkd/embedding_run.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/safetensors.h"
#include "methods/data/loader.h"
#include "methods/data/samplers.h"
#include "methods/eval/retrieval.h"
#include "methods/rkd/objective.h"
#include "methods/train/distributed.h"
#include "methods/train/run_dir.h"
#include "nn/optim.h"

namespace eg::rkd {

namespace fs = std::filesystem;

namespace {

// The per-iteration L_D / L_A trace (losses.csv: epoch as a fraction, loss_d, loss_a). A resumed run keeps
// the rows of the steps its checkpoint holds and appends from there.
class LossTrace {
 public:
  LossTrace(const std::string& path, bool resume, int64_t iters_per_epoch) : path_(path), per_epoch_(iters_per_epoch) {
    int64_t done = 0;
    std::string ckpt = fs::path(path).parent_path().string() + "/checkpoint.safetensors";
    if (resume && fs::exists(ckpt)) {
      auto meta = load_safetensors(ckpt).metadata;
      done = meta.count("step") ? std::stoll(meta.at("step")) : 0;
    }
    std::string text = "epoch,loss_d,loss_a\n";
    if (done > 0 && fs::exists(path)) {
      std::ifstream in(path);
      std::string line;
      std::getline(in, line);
      while (std::getline(in, line) && step_ < done) text += line + "\n", ++step_;
    }
    train::write_file_atomic(path, text);
  }
  void add(double d, double a) {
    std::ofstream f(path_, std::ios::app);
    ++step_;
    f << (double)step_ / (double)per_epoch_ << "," << d << "," << a << "\n";
  }
  // {first loss_d, first loss_a, last loss_d, last loss_a} from the file (so a resumed run reports all of it).
  std::vector<double> first_last() const {
    std::ifstream in(path_);
    std::string line, first, last;
    std::getline(in, line);
    while (std::getline(in, line))
      if (!line.empty()) {
        if (first.empty()) first = line;
        last = line;
      }
    ENGINE_CHECK(!first.empty(), "rkd: '", path_, "' holds no iteration");
    auto cols = [](const std::string& l) {
      std::vector<double> v;
      std::stringstream ss(l);
      std::string c;
      while (std::getline(ss, c, ',')) v.push_back(std::stod(c));
      return v;
    };
    auto f = cols(first), l = cols(last);
    return {f[1], f[2], l[1], l[2]};
  }

 private:
  std::string path_;
  int64_t per_epoch_, step_ = 0;
};

std::vector<std::string> eval_columns(const std::vector<int64_t>& ks, bool seen) {
  std::vector<std::string> c;
  for (int64_t k : ks) c.push_back("recall_at_" + std::to_string(k));
  if (seen) c.push_back("recall_at_1_seen");
  return c;
}

// Rows `idx` of an N x D float table as a [B, D] tensor.
Tensor gather_rows(const std::vector<float>& table, int64_t d, const std::vector<int64_t>& idx) {
  std::vector<float> out;
  out.reserve(idx.size() * (size_t)d);
  for (int64_t i : idx) out.insert(out.end(), table.begin() + i * d, table.begin() + (i + 1) * d);
  return from_vector(out, {(int64_t)idx.size(), d});
}

}  // namespace

bool is_distill_loss(const std::string& loss) {
  auto& n = distill_run_names();
  return std::find(n.begin(), n.end(), loss) != n.end();
}

train::Metrics retrieval_metrics(const std::vector<float>& unseen, const data::ImageDataset& unseen_ds,
                                 const std::vector<float>& seen, const data::ImageDataset& seen_ds, int64_t d,
                                 const std::vector<int64_t>& ks) {
  train::Metrics m;
  auto r = eval::recall_at_k(unseen, unseen_ds.n, d, unseen_ds.labels, ks);
  for (size_t i = 0; i < ks.size(); ++i) m["recall_at_" + std::to_string(ks[i])] = r[i];
  if (seen_ds.n > 0) m["recall_at_1_seen"] = eval::recall_at_k(seen, seen_ds.n, d, seen_ds.labels, {1})[0];
  return m;
}

EmbeddingRunResult train_embedding(const RetrievalData& data, const EmbeddingRunConfig& cfg) {
  train::dist::refuse_distributed("train_rkd's retrieval runs",
                                  "their metric losses couple every pair of the batch, which a sharded batch splits");
  const bool distill = is_distill_loss(cfg.loss);
  ENGINE_CHECK(distill || cfg.loss == "triplet", "rkd: unknown loss '", cfg.loss, "' (triplet, rkd_d, rkd_a, rkd_da)");
  ENGINE_CHECK(!distill || cfg.teacher, "rkd: run '", cfg.run, "' distils (", cfg.loss, ") but has no teacher");
  ENGINE_CHECK(cfg.m_per_class >= 2 && cfg.batch_size >= cfg.m_per_class, "rkd: need m per class >= 2 and batch >= m, got m ",
               cfg.m_per_class, ", batch ", cfg.batch_size);
  EmbeddingRunResult res;
  res.model = make_embedding_model(cfg.model, cfg.l2, cfg.seed);
  EmbeddingModel& m = res.model;
  if (!cfg.backbone_weights.empty()) load_backbone_weights(cfg.backbone_weights, *m.net);
  m.net->to(cfg.device);
  nn::AdamOptions ao;
  ao.lr = cfg.lr;
  ao.weight_decay = cfg.weight_decay;
  nn::Adam opt(m.net->parameters(), ao);

  int64_t classes = std::max<int64_t>(1, data.train.num_classes);
  int64_t per_batch = std::min<int64_t>(classes, (cfg.batch_size + cfg.m_per_class - 1) / cfg.m_per_class);
  auto sampler = std::make_shared<data::MPerClassSampler>(data.train.labels, cfg.m_per_class, per_batch, cfg.seed,
                                                          cfg.iters_per_epoch, cfg.batch_size);
  data::LoaderOptions lo;
  lo.seed = cfg.seed;
  lo.prefetch = 0;
  data::DataLoader loader(data.train, sampler, data.train_transform, lo);

  // Without augmentation the teacher sees the same pixels every time: embed the training set once.
  std::vector<float> teacher_cache;
  if (distill && data.deterministic_train_transform) {
    cfg.teacher->net->to(cfg.device);
    teacher_cache = embed_dataset(*cfg.teacher, data.train, data.train_transform, cfg.device);
  }
  Generator dws(data::derive_seed(cfg.seed, 0x6477735ULL));
  std::unique_ptr<LossTrace> trace;
  if (distill) trace = std::make_unique<LossTrace>(cfg.run_dir + "/losses.csv", cfg.resume, cfg.iters_per_epoch);
  const DistillWeights w = distill ? distill_weights(cfg.loss) : DistillWeights{};

  train::LoopHooks hooks;
  hooks.step = [&](const data::Batch& b) {
    Tensor e = m.embed(b.x);
    if (!distill) return train::StepOut{triplet_dws_loss(e, b.y, dws, cfg.margin), {}, {}};
    Tensor t;
    if (!teacher_cache.empty()) {
      t = gather_rows(teacher_cache, cfg.teacher->dim(), b.indices).to(cfg.device);
    } else {
      NoGradGuard ng;
      cfg.teacher->net->eval();
      t = cfg.teacher->embed(b.x).detach();
    }
    DistillTerms terms = distill_loss(e, t, w);
    trace->add(terms.loss_d, terms.loss_a);
    return train::StepOut{terms.total, {}, {}};
  };
  std::vector<float> seen_emb;
  hooks.evaluate = [&](int64_t) {
    res.unseen_embeddings = embed_dataset(m, data.unseen, data.test_transform, cfg.device);
    if (data.seen.n > 0) seen_emb = embed_dataset(m, data.seen, data.test_transform, cfg.device);
    m.net->train();
    return retrieval_metrics(res.unseen_embeddings, data.unseen, seen_emb, data.seen, m.dim(), cfg.ks);
  };

  train::LoopConfig lc;
  lc.epochs = cfg.epochs;
  lc.schedule = cfg.schedule;
  lc.per_iteration_schedule = !cfg.per_epoch_schedule;
  lc.eval_every = cfg.eval_every > 0 ? cfg.eval_every : cfg.epochs;
  lc.eval_columns = eval_columns(cfg.ks, data.seen.n > 0);
  lc.run_dir = cfg.run_dir;
  lc.label = cfg.label.empty() ? cfg.run : cfg.label;
  lc.resume = cfg.resume;
  lc.plain = cfg.plain;
  lc.device = cfg.device;
  lc.generators = {{"dws", &dws}};
  lc.metadata = cfg.metadata;
  for (auto& [k, v] : train::model_file_metadata(m.info)) lc.metadata[k] = v;
  lc.metadata["embedding_l2"] = m.l2 ? "true" : "false";
  lc.metadata["seed"] = std::to_string(cfg.seed);
  lc.debug_kill_after_steps = cfg.debug_kill_after_steps;
  lc.debug_interrupt_after_steps = cfg.debug_interrupt_after_steps;
  train::LoopResult r = train::run_training(*m.net, opt, loader, hooks, lc);
  res.wall_s = r.wall_s;
  res.interrupted = r.interrupted;
  if (r.interrupted) return res;
  res.metrics = r.last_eval;
  if (res.unseen_embeddings.empty()) res.metrics = hooks.evaluate(cfg.epochs - 1);
  if (distill) {
    auto fl = trace->first_last();
    res.metrics["loss_d_first"] = fl[0];
    res.metrics["loss_a_first"] = fl[1];
    res.metrics["loss_d_last"] = fl[2];
    res.metrics["loss_a_last"] = fl[3];
  }
  m.net->eval();
  m.net->to(Device::CPU);
  save_embedding_model(cfg.run_dir + "/model.safetensors", m);
  return res;
}

}  // namespace eg::rkd
