#pragma once
// Streaming JSON for the file readers: a small RFC 8259 tokenizer that hands a handler one event
// per value (no parsed tree is built), over a text in memory or over a source of chunks (a file,
// a JS callback), so that memory holds one chunk of the text at a time. The handler derives from
// JsonEvents (depth limit, skipping of values it does not want) and throws InvalidInput for
// what it does not accept; malformed text becomes InvalidInput("malformed JSON in <what>:
// line L, column C: ...").
//
// It replaces nlohmann's parser for the files that may be large: the DOM of a 200 MB history
// took over 1 GiB, and nlohmann's SAX lexer ran at ~40 MB/s; this one reads the digits of a load
// file several times faster.
#include <cstdint>
#include <string>
#include <vector>

#include "eplb/loads.hpp"

namespace eplb::detail {

// The bytes of a ByteReader, a buffer at a time; counts them against the file-size limit.
class ChunkSource {
public:
    ChunkSource(const ByteReader& read, const char* what, size_t capacity = size_t(1) << 20)
        : read_(read), what_(what), buffer_(capacity) {}
    // The next chunk in [begin, end); false at the end.
    bool next(const char*& begin, const char*& end);
    int64_t bytes() const { return bytes_; }

private:
    const ByteReader& read_;
    const char* what_;
    std::vector<char> buffer_;
    bool done_ = false;
    int64_t bytes_ = 0;
};

// The JSON value kinds, named as in messages ("is string, not a number").
enum class Kind { null, boolean, number, string, array, object };
const char* kind_name(Kind k);

class JsonEvents {
public:
    explicit JsonEvents(const char* what) : what_(what) {}
    virtual ~JsonEvents() = default;
    const char* what() const { return what_; }

    // Called by the tokenizer.
    // Numbers as double (integer_token: written without fraction or exponent); booleans as 0 or 1.
    void value(Kind kind, double v, bool integer_token = false) {
        integer_token_ = integer_token;
        if (!skip_) on_scalar(kind, v);
    }
    void string_value(const std::string& s) {
        if (!skip_) on_string(s);
    }
    void open(Kind kind);  // [ or {
    void close();          // ] or }
    void key(const std::string& k) {
        if (!skip_) on_key(k);
    }

protected:
    virtual void on_scalar(Kind kind, double number) = 0;
    virtual void on_string(const std::string&) { on_scalar(Kind::string, 0); }
    virtual void on_open(Kind kind) = 0;
    virtual void on_close() = 0;
    virtual void on_key(const std::string& key) = 0;
    // From on_open: the container just opened, and everything in it, is skipped; on_skipped is
    // called when it closes.
    void skip_this() { skip_ = 1; }
    virtual void on_skipped() {}
    // In on_scalar: the number was written as an integer ("12", not "12.0" or "1.2e1").
    bool integer_token() const { return integer_token_; }

private:
    const char* what_;
    int depth_ = 0;
    int skip_ = 0;  // > 0: inside a skipped container, this many levels deep
    bool integer_token_ = false;
};

// Runs `h` over the text, or over the chunks of `source`.
void parse_json_text(JsonEvents& h, const char* data, size_t size);
void parse_json_stream(JsonEvents& h, ChunkSource& source);

// A string as a JSON string literal, cut to `max` characters (for messages).
std::string quoted(const std::string& s, size_t max = 40);

}  // namespace eplb::detail
