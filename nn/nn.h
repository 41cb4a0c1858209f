// nn.h — umbrella header for modules, layers, init, optimizers, schedules, checkpoints and backbones.
#pragma once
#include "eigengrad.h"
#include "nn/checkpoint.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/models/backbone.h"
#include "nn/models/convnet.h"
#include "nn/models/small_cnn.h"
#include "nn/models/resnet.h"
#include "nn/models/resnet_cifar.h"
#include "nn/module.h"
#include "nn/optim.h"
#include "nn/schedule.h"
