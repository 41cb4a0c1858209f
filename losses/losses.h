// losses.h — the umbrella header of every loss (namespace eg::losses). Each header documents its
// formula, the paper it comes from, shapes (B batch, K classes, D feature dims) and reduction.
#pragma once
#include "losses/bce.h"             // binary_cross_entropy_with_logits
#include "losses/class_balanced.h"  // effective-number weights, CB softmax / sigmoid / focal
#include "losses/common.h"          // Reduction, argument checks
#include "losses/cross_entropy.h"   // fused cross_entropy_rows, cross_entropy, soft_cross_entropy, nll_loss
#include "losses/distillation.h"    // kl_div, hinton_kd_loss
#include "losses/focal.h"           // sigmoid focal (CB form), softmax focal (M2m form)
#include "losses/ldam.h"            // LDAM margins and loss, DRW weights
#include "losses/metric.h"          // triplet margin loss, batch-hard mining, distance-weighted sampling
#include "losses/rkd.h"             // RKD distance and angle
#include "losses/rpl.h"             // GCPL / RPL / ARPL logits and losses
#include "losses/sla.h"             // SLA joint labels, loss, SI / AG inference, SD loss
#include "losses/smooth_l1.h"       // smooth_l1_loss, huber
