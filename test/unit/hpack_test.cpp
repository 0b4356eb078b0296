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

TEST_CASE("hpack: the stand-in name never comes out, whoever sent it", "[hpack]") {
    // a literal the peer named like the stand-in (a malformed pseudo-header):
    // dropped, with the table known
    std::string lit = std::string("\x40\x08:unknown\x01", 11) + "v";
    for (bool wanted : {false, true}) {
        std::vector<std::string> names = {":path"};
        HpackDecoder d(65536, wanted ? &names : nullptr);
        DecodedBlock got = d.decode(std::string("\x84", 1) + lit);  // :path / and the literal
        CHECK(as_block(got) == Block{{":path", "/"}});
        CHECK(d.loss() == TableLoss::None);
        // then an indexed reference to the entry it added (62)
        got = d.decode(std::string("\xbe", 1));
        CHECK(got.fields.empty());
    }
    // a table emptied while lost is known again: a reference past it is an
    // error, not an entry to stand in for
    HpackDecoder d(65536);
    d.lose(TableLoss::Lost);
    std::string block = std::string("\x20\x3f\xe1\x1f", 4);  // size updates to 0, then 4096
    block += std::string("\x7f\x00\x01", 3) + "v";               // incremental, name at index 63: none
    DecodedBlock got = d.decode(block);
    CHECK(got.unknown >= 1);
    CHECK(d.loss() == TableLoss::DecodeError);
    got = d.decode(std::string("\xbe", 1));  // index 62
    for (const auto& f : got.fields) CHECK(f.name != ":unknown");
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

TEST_CASE("hpack: insertions kept back until a block refers to the table, fields all the same", "[hpack]") {
    std::vector<std::string> wanted = {":status", "content-type", "x-tenant"};
    auto pick = [](std::mt19937& r, const std::string& prefix, int repeat_in) {
        return prefix + std::to_string(r() % repeat_in ? 1000 + r() % 100000 : r() % 3);  // mostly new values
    };
    for (size_t table : {4096, 256}) {  // 256: a size update first, entries evicted often
        std::mt19937 r(table);
        Encoder e(table);
        HpackDecoder all(65536), some(65536, &wanted);
        for (int i = 0; i < 3000; i++) {
            Block b = {{":status", i % 7 ? "200" : "404"},
                       {"server", pick(r, "srv-", 8)},
                       {"date", "Sun, 06 Dec 2026 " + std::to_string(i)},
                       {"content-type", pick(r, "type/", 10)},
                       {"x-tenant", pick(r, "t-", 3)}};
            if (r() % 5 == 0) b.pop_back();
            std::string block = e.encode(b);
            Block expect;
            for (const auto& f : as_block(all.decode(block)))
                if (std::find(wanted.begin(), wanted.end(), f.first) != wanted.end()) expect.push_back(f);
            DecodedBlock got = some.decode(block);
            INFO("table " << table << ", block " << i);
            REQUIRE(got.unknown == 0);
            REQUIRE(as_block(got) == expect);
        }
        CHECK(some.loss() == TableLoss::None);
    }
}

TEST_CASE("hpack: nginx's responses, which add every field, then a block that refers to them", "[hpack]") {
    // :status 200 indexed; server, date, content-type, content-length added to the table
    std::string nginx;
    for (const char* hex = "887689aa6355e580ae212e1f6196dd6d5f4a01c52f948a08027140b771976e000a62d1bf5f87497ca58ae81"
                           "9aa5c0133";
         hex[0] && hex[1]; hex += 2)
        nginx += static_cast<char>(std::stoi(std::string(hex, 2), nullptr, 16));
    std::vector<std::string> wanted = {":status", "content-type", "server"};
    HpackDecoder all(65536), some(65536, &wanted);
    for (int i = 0; i < 100; i++) {
        DecodedBlock got = some.decode(nginx);
        REQUIRE(as_block(got) == Block{{":status", "200"}, {"server", "nginx/1.22.1"}, {"content-type", "text/plain"}});
        all.decode(nginx);
    }
    // the newest four entries, oldest first: server, date, content-type, content-length
    std::string refs("\x88\xc1\xbf", 3);  // :status 200, then dynamic 65 and 63
    Block expect;
    for (const auto& f : as_block(all.decode(refs)))
        if (std::find(wanted.begin(), wanted.end(), f.first) != wanted.end()) expect.push_back(f);
    CHECK(expect == Block{{":status", "200"}, {"server", "nginx/1.22.1"}, {"content-type", "text/plain"}});
    CHECK(as_block(some.decode(refs)) == expect);
    // past the entries the table can still hold (the older ones were
    // evicted, however the decoder kept them back): an error, never a field
    for (int i = 0; i < 100; i++) some.decode(nginx), all.decode(nginx);
    std::string past("\xff\x86\x01", 3);  // dynamic 200
    all.decode(past);
    CHECK(all.loss() == TableLoss::DecodeError);
    DecodedBlock got = some.decode(past);
    CHECK(got.fields.empty());
    CHECK(some.loss() == TableLoss::DecodeError);
}

TEST_CASE("hpack: entries evicted while kept back are gone from the table too", "[hpack]") {
    auto insert = [](const std::string& name, size_t value_len, char c) {  // not Huffman: exact sizes
        std::string b = "\x40" + std::string(1, char(name.size())) + name + hpack_integer(value_len, 7, 0) +
                        std::string(value_len, c);
        return b;
    };
    std::vector<std::string> wanted = {"x-s", "x-a"};
    HpackDecoder all(65536), some(65536, &wanted);
    auto both = [&](const std::string& block) {
        DecodedBlock a = all.decode(block), s = some.decode(block);
        CHECK(as_block(s) == as_block(a));
        CHECK(some.loss() == all.loss());
    };
    both(insert("x-s", 1, 's'));        // 36 bytes in the table
    both(std::string("\xbe", 1));       // refers to it: the decoder's table is brought up to date
    // 1500 bytes each: the table holds two, and the decoder need not keep
    // the first two back
    for (char c : {'1', '2', '3', '4', '5'}) both(insert("x-a", 1500 - 32 - 3, c));
    both(std::string("\xbf", 1));       // the fourth of them
    CHECK(all.loss() == TableLoss::None);
    both(std::string("\xc0", 1));       // past the table
    CHECK(all.loss() == TableLoss::DecodeError);
}

TEST_CASE("hpack: insertions past four tables' worth of bytes given to the inflater at once", "[hpack]") {
    std::vector<std::string> wanted = {"x-a"};
    HpackDecoder all(65536), some(65536, &wanted);
    auto both = [&](const std::string& block) {
        DecodedBlock a = all.decode(block), s = some.decode(block);
        CHECK(as_block(s) == as_block(a));
        CHECK(some.loss() == all.loss());
    };
    auto insert = [](size_t value_len, char c) { return "\x40\x03x-a" + hpack_integer(value_len, 7, 0) + std::string(value_len, c); };
    both(insert(100, '1'));
    both(insert(20000, '2'));          // larger than the table: it empties it
    both(insert(100, '3'));
    both(std::string("\xbe", 1));       // the last one
    CHECK(all.loss() == TableLoss::None);
    both(std::string("\xbf", 1));       // nothing before it
    CHECK(all.loss() == TableLoss::DecodeError);
}
