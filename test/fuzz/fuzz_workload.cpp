// libFuzzer target for what the node tells about a process: any bytes as a
// cgroup path (a process may make cgroups of its own under a delegated
// subtree, named as it likes), as a kubelet log file name and pod directory
// name, and as a pod name to guess an owner from. Nothing may crash; what
// comes out is a piece of the input of the shape it must have.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "workload/cgroup_place.h"
#include "workload/pod_names.h"

using namespace apiscope;

namespace {

void check(bool ok) {
    if (!ok) abort();
}

bool inside(std::string_view part, std::string_view whole) { return whole.find(part) != std::string_view::npos; }

bool hex64(const std::string& s) { return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);

    CgroupPlace p = parse_cgroup_path(in);
    check(p.container_id.empty() || (hex64(p.container_id) && inside(p.container_id, in)));
    check(p.pod_uid.empty() || p.pod_uid.size() == 36);
    check(p.runtime.empty() || (inside(p.runtime, in) && !p.container_id.empty()));

    if (auto c = parse_container_log(in)) {
        check(hex64(c->second));
        check(!c->first.pod.empty() && !c->first.ns.empty());
        for (const auto* s : {&c->first.pod, &c->first.ns, &c->first.container})
            check(s->find('_') == std::string::npos && inside(*s, in));
    }
    if (auto d = parse_pod_dir(in)) {
        check(d->second.size() == 36 && d->first.container.empty());
        check(inside(d->first.ns, in) && inside(d->first.pod, in));
    }
    Owner o = guess_owner(in);
    check(o.kind.empty() == o.name.empty());
    check(o.name.empty() || (o.name.size() < in.size() && in.substr(0, o.name.size()) == o.name));
    return 0;
}
