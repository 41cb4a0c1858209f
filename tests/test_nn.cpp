// test_nn.cpp — modules (PyTorch state_dict names, load errors, train/eval, to), initializers,
// optimizers against PyTorch's updates (fixture from tools/make_parity_fixtures.py), LR schedules and
// checkpoints (atomic, corrupt input rejected, resume state restored).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/safetensors.h"
#include "nn/nn.h"
#include "nn/models/convnet.h"
#include "tests/test_util.h"

using namespace eg;
using namespace eg::nn;

static std::string fixture(const std::string& name) { return std::string(EG_SOURCE_DIR) + "/tests/fixtures/parity/" + name; }

TEST_CASE("nn: resnet32 state_dict names and shapes match PyTorch's (fixture)") {
  Generator g(0);
  auto m = make_model({"resnet32", 1, 10}, g);
  auto f = load_safetensors(fixture("resnet32_fmnist.safetensors"));
  std::vector<std::string> theirs;
  for (auto& [n, t] : f.tensors)
    if (n.rfind("state.", 0) == 0) theirs.push_back(n.substr(6));
  std::vector<std::string> ours;
  for (auto& [n, t] : m->state_dict()) ours.push_back(n);
  CHECK(ours == theirs);
  CHECK(m->num_parameters() == 463866);  // PyTorch's count for this model
  CHECK(m->named_parameters()[0].first == "conv1.weight");
  CHECK(m->named_buffers().back().first == "layer3.4.bn2.num_batches_tracked");
}

TEST_CASE("nn: resnet18/34/50 have torchvision's names and parameter counts") {
  Generator g(0);
  auto r18 = make_model({"resnet18", 3, 10, "cifar"}, g);
  CHECK(r18->num_parameters() == 11173962);
  bool has_ds = false;
  for (auto& [n, t] : r18->state_dict()) has_ds = has_ds || n == "layer2.0.downsample.1.running_var";
  CHECK(has_ds);
  auto r50 = make_model({"resnet50", 3, 1000, "imagenet"}, g);
  CHECK(r50->num_parameters() == 25557032);  // torchvision resnet50
  CHECK(r50->feature_dim() == 2048);
  auto r34 = make_model({"resnet34", 3, 1000, "imagenet"}, g);
  CHECK(r34->num_parameters() == 21797672);  // torchvision resnet34
  CHECK_THROWS_WITH_AS(make_model({"resnet99", 3, 10}, g), doctest::Contains("unknown model 'resnet99' (known: resnet20"), eg::Error);
}

TEST_CASE("nn: ConvNet pool head: P×P average-pooled features, fc sized to match") {
  Generator g(0);
  nn::ModelSpec spec{"convnet", 1, 10, "cifar", {4, 8, 6}};
  auto gap = make_model(spec, g);
  CHECK(gap->feature_dim() == 6);
  spec.pool = 7;
  auto m = make_model(spec, g);
  CHECK(m->feature_dim() == 6 * 49);
  CHECK(m->fc->weight.shape() == Shape{10, 6 * 49});
  m->eval();
  Tensor x = randn({3, 1, 28, 28}, g);
  Tensor f = m->features(x);
  CHECK(f.shape() == Shape{3, 6 * 49});
  // 28 -> 14 -> 7: pooling a 7×7 map to 7×7 is the identity, so features are the flattened body output.
  auto& cn = dynamic_cast<nn::ConvNet&>(*m);
  CHECK_CLOSE(f, flatten(cn.body->forward(x), 1), 0, 0);
  CHECK(m->forward(x).shape() == Shape{3, 10});
  spec.pool = 0;
  CHECK_THROWS_WITH_AS(make_model(spec, g), doctest::Contains("pool size must be >= 1"), eg::Error);
}

TEST_CASE("nn: a cosine head (LDAM's NormedLinear): logits are cosines, unit class vectors, named fc.weight") {
  Generator g(0);
  nn::ModelSpec spec{"convnet", 1, 10, "cifar", {4, 8, 6}};
  spec.head = "cosine";
  auto m = make_model(spec, g);
  REQUIRE(dynamic_cast<nn::CosineLinear*>(m->fc.get()));
  CHECK(m->fc->weight.shape() == Shape{10, 6});
  CHECK_FALSE(m->fc->bias.defined());
  CHECK_CLOSE(sqrt(sum(square(m->fc->weight), {1})), ones({10}), 1e-6, 1e-6);  // NormedLinear's init
  NamedTensors sd = m->state_dict();
  CHECK(sd.back().first == "fc.weight");  // in place of the linear fc, same position
  m->eval();
  Tensor x = randn({3, 1, 28, 28}, g), f = m->features(x), y = m->forward(x);
  // By hand: cos(f_n, w_k) = f_n·w_k / (‖f_n‖‖w_k‖).
  Tensor expect = div(matmul(f, transpose(m->fc->weight, 0, 1)),
                      mul(sqrt(sum(square(f), {1}, true)), transpose(sqrt(sum(square(m->fc->weight), {1}, true)), 0, 1)));
  CHECK_CLOSE(y, expect, 1e-5, 1e-5);
  CHECK(amax(abs(y)).item() <= 1.0 + 1e-6);
  // Its gradient with respect to the features and the weight (float64, finite differences).
  nn::CosineLinear head(5, 3, g);
  head.to(DType::F64);
  test::check_grad([&](auto& v) { return head.forward(v[0]); }, {test::rnd({4, 5}, 1, -2, 2)});
  test::check_grad([&](auto& v) { return linear(normalize(v[0], 1), normalize(v[1], 1)); },
                   {test::rnd({4, 5}, 2, -2, 2), head.weight.detach()});
  spec.head = "arcface";
  CHECK_THROWS_WITH_AS(make_model(spec, g), doctest::Contains("head must be linear or cosine"), eg::Error);
}

TEST_CASE("nn: load_state_dict lists missing, unexpected and mis-shaped keys") {
  Generator g(0);
  Linear a(3, 2, true, g);
  NamedTensors bad = {{"weight", zeros({2, 4})}, {"extra", zeros({1})}};
  try {
    a.load_state_dict(bad);
    FAIL("expected an error");
  } catch (const Error& e) {
    std::string m = e.what();
    CHECK(m.find("missing keys: bias") != std::string::npos);
    CHECK(m.find("unexpected keys: extra") != std::string::npos);
    CHECK(m.find("weight (expected [2, 3] f32, got [2, 4] f32)") != std::string::npos);
  }
  NamedTensors partial = {{"weight", ones({2, 3})}, {"extra", zeros({1})}};
  std::string rep = a.load_state_dict(partial, /*strict=*/false);
  CHECK(rep.find("missing keys: bias") != std::string::npos);
  CHECK(a.weight.at({1, 2}) == 1);
}

TEST_CASE("nn: train/eval recurse, zero_grad clears, Sequential names children 0, 1, ...") {
  Generator g(0);
  auto seq = std::make_shared<Sequential>(std::initializer_list<ModulePtr>{
      std::make_shared<Linear>(4, 3, true, g), std::make_shared<ReLU>(), std::make_shared<Linear>(3, 2, false, g)});
  CHECK(seq->named_parameters()[2].first == "2.weight");
  seq->eval();
  CHECK(!(*seq)[0].is_training());
  Tensor x = randn({5, 4}, g);
  sum(seq->forward(x)).backward();
  CHECK(seq->parameters()[0].grad().defined());
  seq->zero_grad();
  CHECK(!seq->parameters()[0].grad().defined());
}

TEST_CASE("nn: PyTorch default init bounds") {
  Generator g(0);
  Linear l(100, 50, true, g);
  CHECK(amax(abs(l.weight)).item() <= 0.1 + 1e-6);
  CHECK(amax(abs(l.weight)).item() > 0.09);
  CHECK(amax(abs(l.bias)).item() <= 0.1 + 1e-6);
  Tensor w = zeros({64, 16, 3, 3});
  init::kaiming_normal_(w, g, true);
  CHECK(std::sqrt(var(w).item()) == doctest::Approx(std::sqrt(2.0 / (64 * 9))).epsilon(0.05));
}

TEST_CASE("optim: SGD (momentum, dampening, nesterov, wd) and Adam/AdamW equal PyTorch's updates") {
  auto f = load_safetensors(fixture("optimizers.safetensors"));
  Tensor p0 = *f.find("p0"), grads = *f.find("grads");
  auto run = [&](auto make) {
    Tensor p = p0.clone().requires_grad_(true);
    auto opt = make(std::vector<Tensor>{p});
    for (int k = 0; k < 5; ++k) {
      p.set_grad(narrow(grads, 0, k, 1).view_as_shape(p0.shape()).clone());
      opt.step();
    }
    return p;
  };
  CHECK_CLOSE(run([](auto ps) { return SGD(ps, {0.1}); }), *f.find("sgd"), 1e-12, 1e-12);
  CHECK_CLOSE(run([](auto ps) { return SGD(ps, {0.1, 0.9, 0, 5e-4}); }), *f.find("sgd_momentum_wd"), 1e-12, 1e-12);
  CHECK_CLOSE(run([](auto ps) { return SGD(ps, {0.05, 0.8, 0.3, 0}); }), *f.find("sgd_dampening"), 1e-12, 1e-12);
  CHECK_CLOSE(run([](auto ps) { return SGD(ps, {0.1, 0.9, 0, 1e-4, true}); }), *f.find("sgd_nesterov"), 1e-12, 1e-12);
  CHECK_CLOSE(run([](auto ps) { return Adam(ps, {1e-2, 0.9, 0.99, 1e-6, 1e-3}); }), *f.find("adam"), 1e-12, 1e-10);
  CHECK_CLOSE(run([](auto ps) { return Adam(ps, adamw({1e-2, 0.9, 0.999, 1e-8, 0.1})); }), *f.find("adamw"), 1e-12, 1e-10);
}

TEST_CASE("optim: parameter groups (no decay on a bias) and state round-trip") {
  Generator g(0);
  Linear l(3, 2, true, g);
  auto groups = split_weight_decay(l, 0.1, 0.5, [](const std::string& n, const Tensor&) { return n == "bias"; });
  REQUIRE(groups.size() == 2);
  CHECK(groups[1].params[0].same(l.bias));
  CHECK(groups[1].weight_decay == 0);
  SGD opt(groups, {0.1, 0.9});
  Tensor b0 = l.bias.clone();
  l.bias.set_grad(zeros({2}));
  l.weight.set_grad(zeros({2, 3}));
  opt.step();
  CHECK_CLOSE(l.bias, b0, 0, 0);  // zero grad, no decay: bias unchanged
  auto st = opt.state();
  CHECK(st.size() == 2);
  SGD opt2(split_weight_decay(l, 0.1, 0.5, [](const std::string& n, const Tensor&) { return n == "bias"; }), {0.1, 0.9});
  opt2.load_state(st);
  CHECK(opt2.state().size() == 2);
  opt.set_lr_factor(0.01);
  CHECK(opt.groups()[0].lr == doctest::Approx(0.001));
}

TEST_CASE("schedule: step, multistep, cosine, warm-up (CB's schedule)") {
  CHECK(StepLR(30, 0.1).factor(65) == doctest::Approx(0.01));
  MultiStepLR ms({160, 180}, std::vector<double>{0.01, 0.01});
  CHECK(ms.factor(159.9) == 1);
  CHECK(ms.factor(160) == doctest::Approx(0.01));
  CHECK(ms.factor(190) == doctest::Approx(1e-4));
  CHECK(CosineLR(100).factor(50) == doctest::Approx(0.5));
  CHECK(CosineLR(100, 0.1).factor(100) == doctest::Approx(0.1));
  WarmupLR w(std::make_shared<MultiStepLR>(ms), 5);
  CHECK(w.factor(0) == 0);
  CHECK(w.factor(2.5) == doctest::Approx(0.5));
  CHECK(w.factor(100) == 1);
}

TEST_CASE("checkpoint: weights and training state round-trip, corrupt files are rejected") {
  namespace fs = std::filesystem;
  auto dir = test::temp_dir("eg_test_ckpt");
  fs::create_directories(dir);
  Generator g(0);
  auto m = make_model({"convnet", 1, 10}, g);
  SGD opt(m->parameters(), {0.1, 0.9});
  Tensor x = randn({4, 1, 12, 12}, g);
  sum(m->forward(x)).backward();
  opt.step();
  Generator data_rng(7);
  data_rng.uniform();
  std::string path = (dir / "ck.safetensors").string();
  save_checkpoint(path, *m, opt, {{{"epoch", "3"}}, {{"data", &data_rng}}});
  Generator g2(1);
  auto m2 = make_model({"convnet", 1, 10}, g2);
  SGD opt2(m2->parameters(), {0.1, 0.9});
  Generator data2(99);
  auto meta = load_checkpoint(path, *m2, opt2, {{"data", &data2}});
  CHECK(meta.at("epoch") == "3");
  CHECK(data2.uniform() == data_rng.uniform());
  m->eval();
  m2->eval();
  CHECK_CLOSE(m2->forward(x), m->forward(x), 0, 0);
  CHECK(opt2.state().size() == opt.state().size());
  // Truncate a copy: loading fails loudly, naming the file.
  std::string bad = (dir / "bad.safetensors").string();
  fs::copy_file(path, bad, fs::copy_options::overwrite_existing);
  fs::resize_file(bad, fs::file_size(bad) / 2);
  CHECK_THROWS_AS(load_checkpoint(bad, *m2, opt2, {}), eg::Error);
  // Wrong model: names the mismatch.
  auto other = make_model({"convnet", 3, 10}, g);
  CHECK_THROWS_WITH_AS(load_weights(path, *other), doctest::Contains("mis-shaped keys: features.0.weight"), eg::Error);
  fs::remove_all(dir);
}
