#include "io/json_stream.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "eplb/error.hpp"
#include "eplb/limits.hpp"

namespace eplb::detail {

bool ChunkSource::next(const char*& begin, const char*& end) {
    if (done_) return false;
    const size_t n = read_(buffer_.data(), buffer_.size());
    if (n == 0 || n > buffer_.size()) {
        done_ = true;
        return false;
    }
    bytes_ += int64_t(n);
    if (bytes_ > limits::max_file_bytes)
        throw LimitExceeded(std::string(what_) + " is larger than the limit of " + std::to_string(limits::max_file_bytes) +
                            " bytes");
    begin = buffer_.data();
    end = begin + n;
    return true;
}

const char* kind_name(Kind k) {
    switch (k) {
        case Kind::null: return "null";
        case Kind::boolean: return "boolean";
        case Kind::number: return "number";
        case Kind::string: return "string";
        case Kind::array: return "array";
        case Kind::object: return "object";
    }
    return "value";
}

void JsonEvents::open(Kind kind) {
    if (++depth_ > limits::max_json_depth)
        throw InvalidInput("JSON nesting deeper than " + std::to_string(limits::max_json_depth) + " levels");
    if (skip_) {
        skip_++;
        return;
    }
    on_open(kind);
}

void JsonEvents::close() {
    depth_--;
    if (skip_) {
        if (--skip_ == 0) on_skipped();
        return;
    }
    on_close();
}

std::string quoted(const std::string& s, size_t max) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += char(c);
        }
    }
    return out + "\"";
}

namespace {

// The tokenizer. Containers are kept on an explicit stack (no recursion); the handler's depth
// limit stops a deep nesting before the stack grows far.
class Tokenizer {
public:
    Tokenizer(JsonEvents& h, ChunkSource* source, const char* data, size_t size)
        : h_(h), source_(source), chunk_(data), p_(data), end_(data + size) {}

    void run() {
        // A UTF-8 byte order mark (some Windows tools write one) is not part of the text.
        if (peek() == 0xEF) {
            ++p_;
            if (peek() != 0xBB) fail("unexpected byte 0xef; expected a value");
            ++p_;
            if (peek() != 0xBF) fail("unexpected byte 0xef; expected a value");
            ++p_;
            line_start_ = offset();
        }
        int c = skip_space();
        if (c < 0) throw InvalidInput(std::string(h_.what()) + " is empty");
        value(c);
        while (!stack_.empty()) {
            const bool array = stack_.back() == '[';
            c = skip_space();
            if (c == ',') {
                ++p_;
                c = skip_space();
                if (array) {
                    if (c == ']') fail("unexpected ']' after ','; expected a value");
                    value(c);
                } else {
                    member(c);
                }
            } else if (c == (array ? ']' : '}')) {
                ++p_;
                stack_.pop_back();
                h_.close();
            } else {
                unexpected(c, array ? "expected ',' or ']'" : "expected ',' or '}'");
            }
        }
        c = skip_space();
        if (c >= 0) unexpected(c, "expected the end of the text after the JSON value");
    }

private:
    int64_t offset() const { return base_ + (p_ - chunk_); }

    // The next byte without taking it, or -1 at the end.
    int peek() {
        if (p_ == end_ && !refill()) return -1;
        return static_cast<unsigned char>(*p_);
    }
    bool refill() {
        if (!source_) return false;
        base_ += end_ - chunk_;
        if (!source_->next(chunk_, end_)) {
            chunk_ = p_ = end_;
            return false;
        }
        p_ = chunk_;
        return true;
    }

    int skip_space() {
        for (;;) {
            if (p_ == end_ && !refill()) return -1;
            const char c = *p_;
            if (c == ' ' || c == '\t' || c == '\r') {
                ++p_;
            } else if (c == '\n') {
                ++p_;
                line_++;
                line_start_ = offset();
            } else {
                return static_cast<unsigned char>(c);
            }
        }
    }

    [[noreturn]] void fail(const std::string& problem) const { fail_at(offset(), problem); }
    // At a token's first byte (the token is on one line: it holds no white space).
    [[noreturn]] void fail_at(int64_t at, const std::string& problem) const {
        throw InvalidInput("malformed JSON in " + std::string(h_.what()) + ": line " + std::to_string(line_) +
                           ", column " + std::to_string(at - line_start_ + 1) + ": " + problem);
    }
    static std::string show(int c) {
        if (c > 0x20 && c < 0x7f) return std::string("'") + char(c) + "'";
        char buf[16];
        std::snprintf(buf, sizeof buf, "byte 0x%02x", c);
        return buf;
    }
    [[noreturn]] void unexpected(int c, const char* expected) const {
        if (c < 0) fail(std::string("unexpected end of the text; ") + expected);
        fail("unexpected " + show(c) + "; " + expected);
    }

    // A value starting with byte c (not taken yet); containers are opened and their first
    // member started, so that nesting needs no recursion.
    void value(int c) {
        for (;;) {
            if (c == '[') {
                ++p_;
                h_.open(Kind::array);
                c = skip_space();
                if (c == ']') {
                    ++p_;
                    h_.close();
                    return;
                }
                stack_.push_back('[');
                continue;
            }
            if (c == '{') {
                ++p_;
                h_.open(Kind::object);
                c = skip_space();
                if (c == '}') {
                    ++p_;
                    h_.close();
                    return;
                }
                stack_.push_back('{');
                c = key_and_colon(c);
                continue;
            }
            scalar(c);
            return;
        }
    }

    void member(int c) { value(key_and_colon(c)); }

    // Reads "key" : and returns the first byte of the value.
    int key_and_colon(int c) {
        if (c != '"') unexpected(c, "expected a key (a string in double quotes)");
        string();
        h_.key(text_);
        c = skip_space();
        if (c != ':') unexpected(c, "expected ':' after the key");
        ++p_;
        return skip_space();
    }

    void scalar(int c) {
        if (c == '"') {
            string();
            h_.string_value(text_);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            number();
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            literal();
        } else {
            unexpected(c, "expected a value");
        }
    }

    void literal() {
        const int64_t at = offset();
        std::string word;
        for (int c = peek(); ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')); c = peek()) {
            if (word.size() < 20) word += char(c);
            ++p_;
        }
        if (word == "true") h_.value(Kind::boolean, 1);
        else if (word == "false") h_.value(Kind::boolean, 0);
        else if (word == "null") h_.value(Kind::null, 0);
        else fail_at(at, "invalid literal '" + word + "' (JSON has true, false and null; no NaN or Infinity)");
    }

    void number() {
        // The integer fast path: up to 19 digits, no fraction, no exponent. Anything else is
        // collected and read by strtod.
        token_.clear();
        token_at_ = offset();
        bool negative = false, exact = true;
        uint64_t v = 0;
        int digits = 0;
        int c = peek();
        if (c == '-') {
            negative = true;
            token_ += '-';
            ++p_;
            c = peek();
        }
        if (c < '0' || c > '9') bad_number(c);
        if (c == '0') {
            ++p_;
            c = peek();
            if (c >= '0' && c <= '9') fail_at(token_at_, "invalid number: a leading zero ('0" + std::string(1, char(c)) + "')");
        } else {
            // The digits go into v; the token is only written out for the slow path.
            while (c >= '0' && c <= '9' && digits < 19) {
                v = v * 10 + uint64_t(c - '0');
                digits++;
                ++p_;
                c = peek();
            }
            if (c >= '0' && c <= '9') {
                exact = false;
                token_ += std::to_string(v);
                while (c >= '0' && c <= '9') {
                    token_ += char(c);
                    ++p_;
                    c = peek();
                }
            }
        }
        if (exact && (c == '.' || c == 'e' || c == 'E')) token_ += std::to_string(v);
        if (c == '.') {
            exact = false;
            token_ += '.';
            ++p_;
            c = peek();
            if (c < '0' || c > '9') bad_number(c);
            while (c >= '0' && c <= '9') {
                token_ += char(c);
                ++p_;
                c = peek();
            }
        }
        if (c == 'e' || c == 'E') {
            exact = false;
            token_ += 'e';
            ++p_;
            c = peek();
            if (c == '+' || c == '-') {
                token_ += char(c);
                ++p_;
                c = peek();
            }
            if (c < '0' || c > '9') bad_number(c);
            while (c >= '0' && c <= '9') {
                token_ += char(c);
                ++p_;
                c = peek();
            }
        }
        const bool integer = token_.find_first_of(".e") == std::string::npos;
        double d;
        if (exact) {
            d = double(v);
            if (negative) d = -d;
        } else {
            d = std::strtod(token_.c_str(), nullptr);
            if (std::isinf(d)) fail_at(token_at_, "number " + token_.substr(0, 40) + " is beyond the range of a double");
        }
        h_.value(Kind::number, d, integer);
    }
    [[noreturn]] void bad_number(int c) {
        fail_at(token_at_, "invalid number '" + token_ + (c >= 0 ? std::string(1, char(c)) : "") + "'");
    }

    void string() {
        ++p_;  // the opening quote
        text_.clear();
        for (;;) {
            int c = peek();
            if (c < 0) fail("unexpected end of the text inside a string");
            ++p_;
            if (c == '"') return;
            if (c < 0x20) fail("control character (" + show(c) + ") inside a string");
            if (c != '\\') {
                text_ += char(c);
                continue;
            }
            c = peek();
            if (c < 0) fail("unexpected end of the text inside a string");
            ++p_;
            switch (c) {
                case '"': text_ += '"'; break;
                case '\\': text_ += '\\'; break;
                case '/': text_ += '/'; break;
                case 'b': text_ += '\b'; break;
                case 'f': text_ += '\f'; break;
                case 'n': text_ += '\n'; break;
                case 'r': text_ += '\r'; break;
                case 't': text_ += '\t'; break;
                case 'u': unicode_escape(); break;
                default: fail("invalid escape '\\" + std::string(1, char(c)) + "' in a string");
            }
        }
    }
    unsigned hex4() {
        unsigned u = 0;
        for (int i = 0; i < 4; ++i) {
            const int c = peek();
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) fail("invalid \\u escape in a string");
            ++p_;
            u = u * 16 + unsigned(d);
        }
        return u;
    }
    void unicode_escape() {
        unsigned u = hex4();
        if (u >= 0xD800 && u <= 0xDBFF) {  // a surrogate pair
            if (peek() != '\\') fail("invalid \\u escape in a string (a lone surrogate)");
            ++p_;
            if (peek() != 'u') fail("invalid \\u escape in a string (a lone surrogate)");
            ++p_;
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) fail("invalid \\u escape in a string (a lone surrogate)");
            u = 0x10000 + ((u - 0xD800) << 10) + (low - 0xDC00);
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            fail("invalid \\u escape in a string (a lone surrogate)");
        }
        if (u < 0x80) {
            text_ += char(u);
        } else if (u < 0x800) {
            text_ += char(0xC0 | (u >> 6));
            text_ += char(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            text_ += char(0xE0 | (u >> 12));
            text_ += char(0x80 | ((u >> 6) & 0x3F));
            text_ += char(0x80 | (u & 0x3F));
        } else {
            text_ += char(0xF0 | (u >> 18));
            text_ += char(0x80 | ((u >> 12) & 0x3F));
            text_ += char(0x80 | ((u >> 6) & 0x3F));
            text_ += char(0x80 | (u & 0x3F));
        }
    }

    JsonEvents& h_;
    ChunkSource* source_;
    const char* chunk_;  // start of the current chunk
    const char* p_;
    const char* end_;
    int64_t base_ = 0;  // offset of chunk_ in the text
    int64_t line_ = 1, line_start_ = 0;
    std::vector<char> stack_;
    std::string text_, token_;
    int64_t token_at_ = 0;
};

}  // namespace

void parse_json_text(JsonEvents& h, const char* data, size_t size) { Tokenizer(h, nullptr, data, size).run(); }

void parse_json_stream(JsonEvents& h, ChunkSource& source) {
    const char* begin = nullptr;
    const char* end = nullptr;
    if (!source.next(begin, end)) begin = end = "";
    Tokenizer t(h, &source, begin, end - begin);
    t.run();
}

}  // namespace eplb::detail
