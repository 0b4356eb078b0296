#include "genai/json_scan.h"

#include <cstdlib>
#include <cstring>

namespace apiscope {
namespace {

constexpr int kMaxDepth = 32;

struct Parser {
    std::string_view t;
    size_t i = 0;

    void blanks() {
        while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) i++;
    }
    bool lit(std::string_view w) {
        if (t.substr(i, w.size()) != w) return false;
        i += w.size();
        return true;
    }
    static void utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out += static_cast<char>(cp);
        } else if (cp < 0x800) {
            out += static_cast<char>(0xC0 | (cp >> 6));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            out += static_cast<char>(0xE0 | (cp >> 12));
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    bool string(std::string& out) {
        if (i >= t.size() || t[i] != '"') return false;
        for (i++; i < t.size(); i++) {
            char c = t[i];
            if (c == '"') {
                i++;
                return true;
            }
            if (static_cast<unsigned char>(c) < 0x20) return false;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (++i >= t.size()) return false;
            switch (t[i]) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'u': {
                    if (i + 4 >= t.size()) return false;
                    char hex[5] = {t[i + 1], t[i + 2], t[i + 3], t[i + 4], 0};
                    char* end;
                    unsigned cp = strtoul(hex, &end, 16);
                    if (end != hex + 4) return false;
                    utf8(out, cp);  // surrogate halves come out as they are: names are ASCII
                    i += 4;
                    break;
                }
                default: out += t[i];  // \" \\ \/
            }
        }
        return false;
    }
    bool number(JsonValue& v) {
        size_t s = i;
        if (i < t.size() && t[i] == '-') i++;
        while (i < t.size() && (isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.' || t[i] == 'e' ||
                                t[i] == 'E' || t[i] == '+' || t[i] == '-'))
            i++;
        if (i == s) return false;
        v.kind = JsonValue::Number;
        v.str = std::string(t.substr(s, i - s));
        char* end;
        v.num = strtod(v.str.c_str(), &end);
        return *end == 0;
    }
    bool value(JsonValue& v, int depth) {
        if (depth > kMaxDepth) return false;
        blanks();
        if (i >= t.size()) return false;
        char c = t[i];
        if (c == '"') {
            v.kind = JsonValue::String;
            return string(v.str);
        }
        if (c == '{') {
            v.kind = JsonValue::Object;
            i++;
            blanks();
            if (i < t.size() && t[i] == '}') return ++i, true;
            for (;;) {
                std::string key;
                blanks();
                if (!string(key)) return false;
                blanks();
                if (!lit(":")) return false;
                JsonValue item;
                if (!value(item, depth + 1)) return false;
                v.keys.push_back(std::move(key));
                v.items.push_back(std::move(item));
                blanks();
                if (lit("}")) return true;
                if (!lit(",")) return false;
            }
        }
        if (c == '[') {
            v.kind = JsonValue::Array;
            i++;
            blanks();
            if (i < t.size() && t[i] == ']') return ++i, true;
            for (;;) {
                JsonValue item;
                if (!value(item, depth + 1)) return false;
                v.items.push_back(std::move(item));
                blanks();
                if (lit("]")) return true;
                if (!lit(",")) return false;
            }
        }
        if (lit("true")) return v.kind = JsonValue::Bool, v.b = true, true;
        if (lit("false")) return v.kind = JsonValue::Bool, true;
        if (lit("null")) return true;
        return number(v);
    }
};

// Offset just past `"key":` (and blanks) for each real occurrence of key, in order.
template <typename F>
void each_key(std::string_view text, std::string_view key, F&& f) {
    std::string needle = "\"" + std::string(key) + "\"";
    for (size_t pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + 1)) {
        if (pos > 0 && text[pos - 1] == '\\') continue;  // inside a string: \"key\"
        size_t i = pos + needle.size();
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
        if (i >= text.size() || text[i] != ':') continue;
        i++;
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) i++;
        if (!f(i)) return;
    }
}

}  // namespace

const JsonValue* JsonValue::get(std::string_view key) const {
    if (kind != Object) return nullptr;
    for (size_t i = 0; i < keys.size(); i++)
        if (keys[i] == key) return &items[i];
    return nullptr;
}

std::optional<std::string> JsonValue::string_at(std::string_view key) const {
    const JsonValue* v = get(key);
    if (!v || v->kind != String) return std::nullopt;
    return v->str;
}

std::optional<JsonValue> json_parse(std::string_view text) {
    Parser p{text};
    JsonValue v;
    if (!p.value(v, 0)) return std::nullopt;
    p.blanks();
    if (p.i != text.size()) return std::nullopt;
    return v;
}

std::optional<std::string> json_first_string(std::string_view text, std::string_view key) {
    std::optional<std::string> out;
    each_key(text, key, [&](size_t i) {
        Parser p{text, i};
        std::string s;
        if (i < text.size() && text[i] == '"' && p.string(s)) {
            out = std::move(s);
            return false;
        }
        return true;
    });
    return out;
}

std::optional<bool> json_first_bool(std::string_view text, std::string_view key) {
    std::optional<bool> out;
    each_key(text, key, [&](size_t i) {
        if (text.substr(i, 4) == "true") out = true;
        if (text.substr(i, 5) == "false") out = false;
        return !out;
    });
    return out;
}

std::optional<int64_t> json_last_int(std::string_view text, std::string_view key) {
    std::optional<int64_t> out;
    each_key(text, key, [&](size_t i) {
        size_t d = i < text.size() && text[i] == '-' ? i + 1 : i, e = d;
        while (e < text.size() && e - d < 18 && isdigit(static_cast<unsigned char>(text[e]))) e++;
        // a number cut by the window's end is not trusted
        if (e > d && e < text.size() && !isdigit(static_cast<unsigned char>(text[e])))
            out = std::stoll(std::string(text.substr(i, e - i)));
        return true;
    });
    return out;
}

}  // namespace apiscope
