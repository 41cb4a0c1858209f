// main.cpp — the install test's outside program: a 2-layer MLP's loss and gradients through the
// installed headers and library, checked against values computed by hand. Exit 0 = the install works.
#include <cmath>
#include <cstdio>
#include <eigengrad.h>
#include <nn/nn.h>

int main() {
  using namespace eg;
  // y = sum(relu(x W^T)) with x = [1, 2], W = [[1, -1], [0.5, 0.5]]: x W^T = [-1, 1.5] -> relu -> 1.5.
  Tensor x = from_vector(std::vector<float>{1.0f, 2.0f}, {1, 2});
  Tensor w = from_vector(std::vector<float>{1.0f, -1.0f, 0.5f, 0.5f}, {2, 2});
  w.requires_grad_();
  Tensor y = sum(relu(matmul(x, transpose(w, 0, 1))));
  y.backward();
  std::vector<float> g = w.grad().to_vector<float>();
  // dy/dW = relu'(row) * x: row 0 is inactive (0, 0), row 1 active (1, 2).
  bool ok = std::fabs(y.item() - 1.5) < 1e-6 && g[0] == 0 && g[1] == 0 && g[2] == 1 && g[3] == 2;
  Generator gen(0);
  nn::Linear layer(3, 4, true, gen);  // the layers link too
  std::printf("eigengrad install consumer: y = %g, dW = [%g %g %g %g], Linear params %zu: %s\n", y.item(), g[0], g[1],
              g[2], g[3], layer.parameters().size(), ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
