#include "workload/cgroup_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "apiscope_shared.h"

namespace apiscope {
namespace {

constexpr int kFileidKernfs = 0xfe;  // include/linux/exportfs.h: a kernfs node by its 64-bit id

struct Mount {
    std::string root, point, fstype, super;
};

std::vector<Mount> mounts() {
    std::vector<Mount> out;
    std::ifstream f("/proc/self/mountinfo");
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream in(line);
        std::string id, parent, dev, root, point, opts, field;
        in >> id >> parent >> dev >> root >> point >> opts;
        while (in >> field && field != "-") {
        }
        Mount m{root, point, "", ""};
        std::string source;
        in >> m.fstype >> source >> m.super;
        out.push_back(m);
    }
    return out;
}

bool has_option(const std::string& opts, const std::string& name) {
    std::istringstream in(opts);
    std::string o;
    while (std::getline(in, o, ','))
        if (o == name) return true;
    return false;
}

}  // namespace

CgroupFs::CgroupFs() {
    // A container's own cgroup mount shows only its subtree (its mountinfo
    // root is not "/"): the host's, mounted in, is preferred.
    const Mount *v2 = nullptr, *v1 = nullptr;
    auto all = mounts();
    for (const auto& m : all) {
        if (m.fstype == "cgroup2" && (!v2 || (v2->root != "/" && m.root == "/"))) v2 = &m;
        if (m.fstype == "cgroup" && has_option(m.super, "memory") && (!v1 || (v1->root != "/" && m.root == "/")))
            v1 = &m;
    }
    if (v2) {
        v2_mount_ = v2->point;
        v2_fd_ = open(v2->point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat st;
        // a mount of a cgroup namespace's root is not the hierarchy's root (id 1)
        if (v2->root == "/" && v2_fd_ >= 0 && fstat(v2_fd_, &st) == 0) v2_root_id_ = st.st_ino;
    }
    if (v1) {
        v1_mount_ = v1->point;
        v1_fd_ = open(v1->point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
}

CgroupFs::~CgroupFs() {
    if (v2_fd_ >= 0) close(v2_fd_);
    if (v1_fd_ >= 0) close(v1_fd_);
}

std::optional<std::string> CgroupFs::path(uint64_t id) const {
    bool v1 = id & AS_CGROUP_V1;
    int mount_fd = v1 ? v1_fd_ : v2_fd_;
    const std::string& mount = v1 ? v1_mount_ : v2_mount_;
    id &= ~AS_CGROUP_V1;
    if (mount_fd < 0 || !id) return std::nullopt;
    alignas(file_handle) char buf[sizeof(file_handle) + sizeof(uint64_t)];
    auto* h = reinterpret_cast<file_handle*>(buf);
    h->handle_bytes = sizeof(uint64_t);
    h->handle_type = kFileidKernfs;
    memcpy(h->f_handle, &id, sizeof(id));
    int fd = open_by_handle_at(mount_fd, h, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char target[4096];
    ssize_t n = readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), target, sizeof(target) - 1);
    close(fd);
    if (n <= 0) return std::nullopt;
    std::string p(target, n);
    if (p.rfind(mount, 0) != 0) return std::nullopt;  // outside the tree this mount shows
    p.erase(0, mount.size());
    return p.empty() ? "/" : p;
}

bool CgroupFs::exists(uint64_t id, const std::string& path) const {
    const std::string& mount = (id & AS_CGROUP_V1) ? v1_mount_ : v2_mount_;
    struct stat st;
    return stat((mount + path).c_str(), &st) == 0 && st.st_ino == (id & ~AS_CGROUP_V1);
}

}  // namespace apiscope
