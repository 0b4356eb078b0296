// basic_auth_users: bcrypt checks that tell nothing by their timing (an
// unknown user costs a bcrypt like a wrong password does), and a cache of
// accepted passwords so that a scrape every few seconds does not pay a
// bcrypt each time.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>

namespace apiscope {

class BasicAuth {
public:
    explicit BasicAuth(std::map<std::string, std::string> users);  // name -> bcrypt hash
    bool enabled() const { return !users_.empty(); }
    bool check(const std::string& user, const std::string& password) const;

private:
    using Digest = std::array<unsigned char, 32>;
    Digest digest(const std::string& user, const std::string& password) const;

    std::map<std::string, std::string> users_;
    std::string dummy_;  // a hash of the users' highest cost, checked for unknown users
    std::string salt_;   // random, so cached digests say nothing outside this process
    mutable std::mutex mu_;
    mutable std::map<std::string, Digest> accepted_;
};

}  // namespace apiscope
