// Real HTTP/2 bytes for the tests: a client or server session of nghttp2's
// (the library, not ours) in memory. What one peer sends, the other receives,
// and the tests feed the same bytes to the kernel's framer.
#pragma once

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using Fields = std::vector<std::pair<std::string, std::string>>;

class H2Peer {
public:
    explicit H2Peer(bool server, std::vector<nghttp2_settings_entry> settings = {}) {
        nghttp2_session_callbacks* cbs;
        nghttp2_session_callbacks_new(&cbs);
        nghttp2_session_callbacks_set_on_begin_headers_callback(
            cbs, [](nghttp2_session*, const nghttp2_frame* f, void* self) {
                if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST)
                    static_cast<H2Peer*>(self)->begun.push_back(f->hd.stream_id);
                return 0;
            });
        nghttp2_session_callbacks_set_on_header_callback(
            cbs, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl, const uint8_t* v, size_t vl,
                    uint8_t, void* self) {
                static_cast<H2Peer*>(self)->got[f->hd.stream_id].push_back(
                    {std::string(reinterpret_cast<const char*>(n), nl), std::string(reinterpret_cast<const char*>(v), vl)});
                return 0;
            });
        nghttp2_session_callbacks_set_select_padding_callback(
            cbs, [](nghttp2_session*, const nghttp2_frame* f, size_t max, void* self) -> ssize_t {
                size_t want = f->hd.length + static_cast<H2Peer*>(self)->padding;
                return static_cast<ssize_t>(want < max ? want : max);
            });
        int rv = server ? nghttp2_session_server_new(&s_, cbs, this) : nghttp2_session_client_new(&s_, cbs, this);
        nghttp2_session_callbacks_del(cbs);
        if (rv) throw std::runtime_error("nghttp2 session");
        nghttp2_submit_settings(s_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
    }
    ~H2Peer() { nghttp2_session_del(s_); }
    H2Peer(const H2Peer&) = delete;

    // Everything queued, as the bytes on the wire.
    std::string send() {
        std::string out;
        const uint8_t* data;
        ssize_t n;
        while ((n = nghttp2_session_mem_send(s_, &data)) > 0) out.append(reinterpret_cast<const char*>(data), n);
        return out;
    }
    void recv(const std::string& bytes) {
        if (nghttp2_session_mem_recv(s_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()) < 0)
            throw std::runtime_error("nghttp2 mem_recv");
    }

    int32_t request(const std::string& method, const std::string& path, const Fields& extra = {},
                    const std::string& body = "") {
        Fields f = {{":method", method}, {":scheme", "http"}, {":authority", "api.test"}, {":path", path}};
        f.insert(f.end(), extra.begin(), extra.end());
        int32_t id = submit(f, body, [&](const nghttp2_nv* nv, size_t n, nghttp2_data_provider* d) {
            return nghttp2_submit_request(s_, nullptr, nv, n, d, nullptr);
        });
        return id;
    }
    void respond(int32_t stream, const std::string& status, const Fields& extra = {}, const std::string& body = "",
                 const Fields& trailers = {}) {
        Fields f = {{":status", status}};
        f.insert(f.end(), extra.begin(), extra.end());
        if (!trailers.empty()) trailers_[stream] = trailers;
        submit(f, body, [&](const nghttp2_nv* nv, size_t n, nghttp2_data_provider* d) {
            return nghttp2_submit_response(s_, stream, nv, n, d);
        }, stream, !trailers.empty());
    }
    void reset(int32_t stream, uint32_t code) { nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, stream, code); }
    // After an HTTP/1 request with Upgrade: h2c and its 101: stream 1 is that
    // request. Returns the HTTP2-Settings payload a client sends.
    std::string upgrade(const std::string& settings = "") {
        std::string payload = settings;
        if (payload.empty()) {
            uint8_t buf[64];
            nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
            ssize_t n = nghttp2_pack_settings_payload(buf, sizeof(buf), iv, 1);
            payload.assign(reinterpret_cast<char*>(buf), n);
        }
        if (nghttp2_session_upgrade2(s_, reinterpret_cast<const uint8_t*>(payload.data()), payload.size(), 0,
                                     nullptr))
            throw std::runtime_error("nghttp2 upgrade");
        return payload;
    }

    size_t padding = 0;                         // padding bytes asked for each frame that may have it
    std::vector<int32_t> begun;                 // requests the server got, in order
    std::map<int32_t, Fields> got;              // header fields received, per stream

private:
    template <typename Submit>
    int32_t submit(const Fields& f, const std::string& body, Submit fn, int32_t stream = -1, bool data = false) {
        std::vector<nghttp2_nv> nv;
        for (const auto& [n, v] : f)
            nv.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
        nghttp2_data_provider prd{};
        prd.read_callback = [](nghttp2_session* s, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                               nghttp2_data_source*, void* self) -> ssize_t {
            auto* p = static_cast<H2Peer*>(self);
            std::string& b = p->bodies_[id];
            size_t n = std::min(len, b.size());
            std::copy_n(b.data(), n, buf);
            b.erase(0, n);
            if (b.empty()) {
                *flags |= NGHTTP2_DATA_FLAG_EOF;
                auto t = p->trailers_.find(id);
                if (t != p->trailers_.end()) {
                    *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
                    std::vector<nghttp2_nv> tv;
                    for (const auto& [n2, v2] : t->second)
                        tv.push_back(
                            {(uint8_t*)n2.data(), (uint8_t*)v2.data(), n2.size(), v2.size(), NGHTTP2_NV_FLAG_NONE});
                    nghttp2_submit_trailer(s, id, tv.data(), tv.size());
                }
            }
            return static_cast<ssize_t>(n);
        };
        bool with_data = !body.empty() || data;
        int32_t id = fn(nv.data(), nv.size(), with_data ? &prd : nullptr);
        if (id < 0) throw std::runtime_error("nghttp2 submit");
        if (stream < 0) stream = id;
        bodies_[stream] = body;
        return id;
    }

    nghttp2_session* s_ = nullptr;
    std::map<int32_t, std::string> bodies_;
    std::map<int32_t, Fields> trailers_;
};
