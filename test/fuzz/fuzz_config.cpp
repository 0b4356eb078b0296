// libFuzzer target for the configuration loader: any text either loads and
// validates into a config the kernel side can take, or fails with a
// ConfigError. Nothing else may escape, crash or leak.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kernel/capture_rodata.h"
#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    try {
        apiscope::Config cfg = apiscope::load_config_yaml(text, "fuzz");
        apiscope::validate(cfg);
        as_capture_cfg k = apiscope::capture_rodata(cfg);
        auto labels = apiscope::header_labels(cfg);
        if (k.n[0] > AS_MAX_HDRS || k.n[1] > AS_MAX_HDRS || labels.size() > AS_MAX_LABELS ||
            k.value_max == 0 || k.value_max > AS_HDR_VAL_MAX)
            abort();  // validate() let through what the kernel cannot take
    } catch (const apiscope::ConfigError&) {
    }
    return 0;
}
