// Names of plain containers (Docker, podman) from the runtime's
// Docker-compatible API on its unix socket: GET /containers/<id>/json.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace apiscope {

class RuntimeNames {
public:
    // sockets: tried in order, each time a name is asked for (a runtime may
    // start after apiscope); empty: never asked.
    explicit RuntimeNames(std::vector<std::string> sockets);
    // The container's name, or none when no socket answers for that id. A
    // socket that does not answer at all (a runtime that hangs) is left alone
    // for 30 s: names are looked up on the scrape's path.
    std::optional<std::string> name(const std::string& container_id);

private:
    std::vector<std::string> sockets_;
    std::vector<std::chrono::steady_clock::time_point> failed_;  // per socket, when it last did not answer
};

// The sockets "auto" tries: podman's (root), then Docker's.
std::vector<std::string> default_runtime_sockets();

}  // namespace apiscope
