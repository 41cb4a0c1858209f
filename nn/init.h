// init.h — parameter initializers, in place, drawing from an explicit Generator. Defaults match
// PyTorch: Linear/Conv weights kaiming_uniform(a=√5) (= U(±1/√fan_in)), biases U(±1/√fan_in).
// Fans of a weight [O, I, KH, KW]: fan_in = I·KH·KW, fan_out = O·KH·KW.
#pragma once
#include "core/generator.h"
#include "core/tensor.h"

namespace eg::nn::init {

int64_t fan_in(const Tensor& w);
int64_t fan_out(const Tensor& w);
void uniform_(Tensor& t, double lo, double hi, Generator& g);
void normal_(Tensor& t, double mean, double std, Generator& g);
void constant_(Tensor& t, double value);
// std = gain / √fan with gain = √(2 / (1 + a²)) (a = 0 for relu); mode picks fan_in or fan_out.
void kaiming_normal_(Tensor& t, Generator& g, bool fan_out_mode = true, double a = 0.0);
void kaiming_uniform_(Tensor& t, Generator& g, double a = 2.23606797749979, bool fan_out_mode = false);
// Glorot/Xavier uniform: U(±√(6 / (fan_in + fan_out))) (TensorFlow's dense/conv default).
void xavier_uniform_(Tensor& t, Generator& g);

}  // namespace eg::nn::init
