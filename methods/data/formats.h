// formats.h — every dataset file reader in one include: IDX (MNIST / Fashion-MNIST), CIFAR-10/100 binary,
// and image folders (CUB-200-2011, list files). Each returns an ImageDataset (uint8 N x C x H x W).
#pragma once
#include "methods/data/cifar.h"
#include "methods/data/dataset.h"
#include "methods/data/idx.h"
#include "methods/data/image_folder.h"
