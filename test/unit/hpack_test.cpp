// The exporter's HPACK decoding: nghttp2's deflater (a real encoder) makes
// the blocks, HpackDecoder must give back exactly what went in, and with a
// table it cannot know must never give a wrong field.
#include <catch2/catch.hpp>
#include <nghttp2/nghttp2.h>

#include <random>
#include <set>

#include "http2/hpack_decoder.h"
#include "http2/hpack_split.h"

using namespace apiscope;

namespace {

using Block = std::vector<std::pair<std::string, std::string>>;

struct Encoder {
    nghttp2_hd_deflater* d = nullptr;
    explicit Encoder(size_t table = 4096) { nghttp2_hd_deflate_new(&d, table); }
    ~Encoder() { nghttp2_hd_deflate_del(d); }
    std::string encode(const Block& fields) {
        std::vector<nghttp2_nv> nv;
        for (const auto& [n, v] : fields)
            nv.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
        std::string out(nghttp2_hd_deflate_bound(d, nv.data(), nv.size()), '\0');
        ssize_t n = nghttp2_hd_deflate_hd(d, reinterpret_cast<uint8_t*>(out.data()), out.size(), nv.data(), nv.size());
        REQUIRE(n >= 0);
        out.resize(n);
        return out;
    }
    void table_size(size_t n) { nghttp2_hd_deflate_change_table_size(d, n); }
};

Block as_block(const DecodedBlock& d) {
    Block b;
    for (const auto& f : d.fields) b.push_back({f.name, f.value});
    return b;
}

// Requests of an API client: a few paths, ids, tenants, tokens.
Block request(std::mt19937& r) {
    static const char* paths[] = {"/api/users", "/api/orders", "/v1/chat/completions", "/health"};
    return {{":method", r() % 4 ? "GET" : "POST"},
            {":scheme", "https"},
            {":authority", "api.example.com"},
            {":path", std::string(paths[r() % 4]) + "/" + std::to_string(r() % 50)},
            {"x-tenant", "tenant-" + std::to_string(r() % 7)},
            {"user-agent", "client/1.0"},
            {"x-request-id", std::to_string(r())}};
}

}  // namespace

TEST_CASE("hpack: nghttp2's blocks decode to what went in, table and all", "[hpack]") {
    std::mt19937 r(1);
    Encoder e;
    HpackDecoder d(65536);
    for (int i = 0; i < 500; i++) {
        Block b = request(r);
        if (i == 250) e.table_size(1024);  // a size update at the start of the next block
        DecodedBlock got = d.decode(e.encode(b));
        CHECK(got.unknown == 0);
        CHECK(as_block(got) == b);
    }
    CHECK(d.loss() == TableLoss::None);
}

TEST_CASE("hpack: a peer table larger than the bound", "[hpack]") {
    Encoder e(65536);
    e.table_size(65536);  // the peer announced 64 KiB and the encoder uses it
    HpackDecoder d(16384);
    DecodedBlock got = d.decode(e.encode({{":status", "200"}, {"x-a", std::string(100, 'a')}}));
    CHECK(d.loss() == TableLoss::TooLarge);
    CHECK(got.unknown == 0);  // the static entry and the literal still decode
    CHECK(as_block(got) == Block{{":status", "200"}, {"x-a", std::string(100, 'a')}});
}

TEST_CASE("hpack: a table not known decodes only what does not depend on it", "[hpack]") {
    std::mt19937 r(2);
    Encoder e;
    HpackDecoder d(65536);
    std::set<std::string> before;  // names in the blocks apiscope never saw
    for (int i = 0; i < 50; i++) {
        Block b = request(r);
        for (const auto& f : b) before.insert(f.first);
        e.encode(b);
    }
    d.lose(TableLoss::Midstream);
    size_t fresh = 0;
    for (int i = 0; i < 300; i++) {
        Block b = request(r);
        b.push_back({"x-span-" + std::to_string(i % 5), std::to_string(i % 3)});  // names first sent now
        DecodedBlock got = d.decode(e.encode(b));
        // every field given is the field sent, in order: a subsequence of b
        size_t at = 0;
        for (const auto& f : got.fields) {
            while (at < b.size() && b[at] != std::make_pair(f.name, f.value)) at++;
            REQUIRE(at < b.size());
            at++;
        }
        CHECK(got.fields.size() + got.unknown == b.size());
        // a field whose name was first sent after the loss went into the part
        // of the table apiscope knows, and so does every later use of it
        for (const auto& f : b) {
            if (before.count(f.first)) continue;
            fresh++;
            bool found = false;
            for (const auto& g : got.fields) found |= g.name == f.first && g.value == f.second;
            CHECK(found);
        }
    }
    CHECK(fresh == 300);
    CHECK(d.loss() == TableLoss::Midstream);
}

TEST_CASE("hpack: an emptied table is known again", "[hpack]") {
    Encoder e;
    e.encode({{"x-old", "entry"}});
    HpackDecoder d(65536);
    d.lose(TableLoss::Lost);
    e.table_size(0);  // the next block starts with an update to 0: the table is empty
    e.table_size(4096);
    d.decode(e.encode({{"x-a", "1"}}));
    CHECK(d.loss() == TableLoss::None);
    for (int i = 0; i < 3; i++) {
        DecodedBlock got = d.decode(e.encode({{"x-a", "1"}, {"x-b", "2"}}));
        CHECK(got.unknown == 0);
        CHECK(as_block(got) == Block{{"x-a", "1"}, {"x-b", "2"}});
    }
}

TEST_CASE("hpack: blocks split into their representations", "[hpack]") {
    std::mt19937 r(3);
    Encoder e;
    for (int i = 0; i < 100; i++) {
        std::string block = e.encode(request(r));
        std::vector<Rep> reps;
        REQUIRE(split_block(block, reps));
        REQUIRE(!reps.empty());
        CHECK(reps.front().begin == 0);
        CHECK(reps.back().end == block.size());
        for (size_t k = 1; k < reps.size(); k++) CHECK(reps[k].begin == reps[k - 1].end);
        CHECK_FALSE(split_block(block.substr(0, block.size() - 1), reps));  // cut: refused
    }
    CHECK(hpack_integer(10, 5, 0x20) == "\x2a");
    CHECK(hpack_integer(1337, 5, 0) == std::string("\x1f\x9a\x0a", 3));  // RFC 7541 C.1.2
    CHECK(hpack_integer(42, 8, 0) == "\x2a");
}

TEST_CASE("hpack: only the wanted fields decoded, the table followed all the same", "[hpack]") {
    std::mt19937 r(7);
    Encoder e(256);  // a small table: entries are evicted, indexes move
    std::vector<std::string> wanted = {":path", "x-tenant", ":status"};
    HpackDecoder all(65536), some(65536, &wanted);
    for (int i = 0; i < 500; i++) {
        Block b = request(r);
        if (i % 3 == 0) b.push_back({"x-tenant", "second-" + std::to_string(r() % 3)});  // repeated name
        std::string block = e.encode(b);
        Block expect;
        for (const auto& f : as_block(all.decode(block)))
            if (std::find(wanted.begin(), wanted.end(), f.first) != wanted.end()) expect.push_back(f);
        DecodedBlock got = some.decode(block);
        INFO("block " << i);
        REQUIRE(got.unknown == 0);
        REQUIRE(as_block(got) == expect);
        CHECK(expect.size() >= 2);
    }
}

TEST_CASE("hpack: a block repeated against an unchanged table, and against a changed one", "[hpack]") {
    std::vector<std::string> wanted = {"x-tenant"};
    HpackDecoder d(65536, &wanted);
    auto insert = [](const std::string& value) {  // x-tenant: value, added to the table (a literal name)
        return std::string("\x40\x08x-tenant", 10) + char(value.size()) + value;
    };
    const std::string newest("\xbe", 1);  // the entry added last
    CHECK(as_block(d.decode(insert("a"))) == Block{{"x-tenant", "a"}});
    for (int i = 0; i < 3; i++) CHECK(as_block(d.decode(newest)) == Block{{"x-tenant", "a"}});
    // the same bytes now name another entry: never the remembered field
    CHECK(as_block(d.decode(insert("b"))) == Block{{"x-tenant", "b"}});
    for (int i = 0; i < 3; i++) CHECK(as_block(d.decode(newest)) == Block{{"x-tenant", "b"}});
    // a block that does not change the table leaves the remembered one good
    CHECK(as_block(d.decode(std::string("\x82", 1))).empty());
    CHECK(as_block(d.decode(newest)) == Block{{"x-tenant", "b"}});
    // and so does nothing across a lost table
    d.lose(TableLoss::Lost);
    DecodedBlock lost = d.decode(newest);
    CHECK(lost.fields.empty());
    CHECK(lost.unknown == 1);
}
