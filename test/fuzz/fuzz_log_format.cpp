// libFuzzer target for the access log writer, its record unpacking and
// redaction: any record the kernel could send (lengths and flags out of range
// included) becomes one line of valid JSON, valid UTF-8 and no raw control
// bytes, or is refused; secrets in queries are redacted.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "access_log/json_escape.h"
#include "access_log/log_format.h"
#include "config/redact.h"

static void check(bool ok) {
    if (!ok) abort();
}

// A strict enough JSON string-and-structure check for what the writer emits.
static void valid_line(const std::string& s) {
    check(s.size() >= 3 && s.front() == '{' && s.substr(s.size() - 2) == "}\n");
    for (size_t i = 0; i + 1 < s.size(); i++) {
        unsigned char c = s[i];
        check(c >= 0x20);  // no raw control bytes, no newline inside the line
        if (c >= 0x80) {   // UTF-8 sequences are whole
            size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
            check(n && i + n < s.size());
            for (size_t k = 1; k < n; k++) check((static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80);
            i += n - 1;
        }
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static apiscope::Config cfg = [] {
        apiscope::Config c;
        c.headers.request = {{"x-request-id"}, {"x-tenant"}, {"authorization"}, {"user-agent"}};
        c.headers.response = {{"x-cache"}, {"set-cookie"}};
        c.access_log.output = "stdout";
        c.access_log.include_query = true;
        return c;
    }();
    static apiscope::LogFormatter fmt(cfg, [](const std::string&, uint64_t id) { return id % 2 ? "/r/{id}" : "_other"; });

    static apiscope::LogEvent e;
    memset(&e, 0, sizeof(e));
    memcpy(&e, data, std::min(size, sizeof(e)));
    valid_line(fmt.line(e, 0));
    // the same bytes as the kernel's packed record: refused, or unpacked to a valid line
    if (apiscope::unpack_log_record(data, size, e)) valid_line(fmt.line(e, 0));

    std::string text(reinterpret_cast<const char*>(data), size);
    std::string out;
    apiscope::json_string(out, text);
    valid_line("{" + out + "}\n");
    // every parameter named like a secret leaves with its value redacted
    std::string q = apiscope::Redactor().query(text, {"sig"});
    size_t start = 0;
    while (start <= q.size()) {
        size_t end = q.find('&', start);
        if (end == std::string::npos) end = q.size();
        std::string param = q.substr(start, end - start);
        size_t eq = param.find('=');
        if (eq != std::string::npos && apiscope::is_sensitive_name(param.substr(0, eq), {"sig"}))
            check(param.substr(eq + 1) == "[REDACTED]");
        start = end + 1;
    }
    return 0;
}
