// Command line: flags follow Prometheus exporter conventions and override the
// YAML file given with --config.
#pragma once

#include <optional>
#include <string>

#include "config/config.h"

namespace apiscope {

struct CliRequest {
    Config config;
    bool check_only = false;  // --check-config: validate and exit
    bool version = false;
    std::optional<int> exit_code;  // --help or a usage error: exit with this
};

CliRequest parse_cli(int argc, char** argv);

}  // namespace apiscope
