// safetensors.cpp — fuzz target: core/safetensors's reader on arbitrary bytes (parse_safetensors, the
// in-memory twin of load_safetensors sharing its parser), then model_file's reading of the metadata a
// model file carries (train::model_info_from_metadata), as infer and --init-from do.
#include "core/safetensors.h"
#include "fuzz/fuzz_util.h"
#include "methods/train/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  eg::fuzz::expect_only_eg_errors("fuzz_safetensors", [&] {
    eg::SafetensorsFile f = eg::parse_safetensors(bytes, "fuzz input");
    for (auto& [name, t] : f.tensors)
      if (t.numel() > 0 && t.raw_data() == nullptr) std::abort();
    if (eg::train::has_model_info(f.metadata)) eg::train::model_info_from_metadata(f.metadata, "fuzz input");
  });
  return 0;
}
