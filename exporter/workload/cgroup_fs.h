// The node's cgroup hierarchies as apiscope reads them: where they are
// mounted, and a cgroup's path from the id the kernel side keeps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace apiscope {

class CgroupFs {
public:
    CgroupFs();  // finds the mounts in /proc/self/mountinfo
    ~CgroupFs();
    CgroupFs(const CgroupFs&) = delete;
    CgroupFs& operator=(const CgroupFs&) = delete;

    bool has_v2() const { return v2_fd_ >= 0; }
    bool has_v1_memory() const { return v1_fd_ >= 0; }
    uint64_t v2_root_id() const { return v2_root_id_; }

    // The path below its hierarchy's root of a cgroup id as the kernel side
    // keeps it (AS_CGROUP_V1 set: the v1 memory hierarchy), none once the
    // cgroup is gone. Opened by file handle (kernfs ids are handles), so it
    // takes no walk of the tree; needs CAP_DAC_READ_SEARCH.
    std::optional<std::string> path(uint64_t id) const;
    // The cgroup is still there (its directory has that id).
    bool exists(uint64_t id, const std::string& path) const;

private:
    int v2_fd_ = -1, v1_fd_ = -1;
    std::string v2_mount_, v1_mount_;
    uint64_t v2_root_id_ = 1;
};

}  // namespace apiscope
