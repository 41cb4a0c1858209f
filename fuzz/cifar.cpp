// cifar.cpp — fuzz target: methods/data/cifar's record reader (read_cifar_records) on arbitrary files. The
// first input byte picks the variant: bit 0 = CIFAR-100 (2 label bytes, bit 1 then picks coarse/fine) or
// CIFAR-10 (1 label byte); the rest is the file. Records are 3073 or 3074 bytes: run with -max_len=8192.
#include "fuzz/fuzz_util.h"
#include "methods/data/cifar.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool hundred = data[0] & 1, coarse = data[0] & 2;
  const std::string path = eg::fuzz::write_file(eg::fuzz::scratch_dir() / "batch.bin", data + 1, size - 1);
  eg::fuzz::expect_only_eg_errors("fuzz_cifar", [&] {
    eg::data::ImageDataset ds = hundred ? eg::data::read_cifar_records(path, 2, coarse ? 0 : 1, coarse ? 20 : 100)
                                        : eg::data::read_cifar_records(path, 1, 0, 10);
    ds.validate("fuzz_cifar");
  });
  return 0;
}
