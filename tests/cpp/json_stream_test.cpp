// The streaming JSON tokenizer (cpp/src/json_stream.cpp): the same events as nlohmann's parser on
// valid text, the same verdict on broken text (random mutations of valid files), the same events
// whatever the chunk sizes, and messages that say where the text is broken.
#include "io/json_stream.hpp"

#include "eplb/error.hpp"
#include "test_util.hpp"

namespace eplb::test {
namespace {

using detail::Kind;

// Records the events as strings: "[" "]" "{" "}" "k:name" "s:text" "n:value" "true" "false" "null".
class Recorder final : public detail::JsonEvents {
public:
    Recorder() : JsonEvents("test text") {}
    std::vector<std::string> events;

private:
    void on_scalar(Kind kind, double v) override {
        if (kind == Kind::number) {
            char buf[40];
            std::snprintf(buf, sizeof buf, "n:%.17g", v == 0 ? 0.0 : v);  // -0 and 0 alike
            events.push_back(buf);
        } else if (kind == Kind::boolean) {
            events.push_back(v ? "true" : "false");
        } else {
            events.push_back("null");
        }
    }
    void on_string(const std::string& s) override { events.push_back("s:" + s); }
    void on_open(Kind kind) override { events.push_back(kind == Kind::array ? "[" : "{"); }
    void on_close() override { events.push_back("]"); }
    void on_key(const std::string& k) override { events.push_back("k:" + k); }
};

// The same events from nlohmann's SAX parser (closing brackets both recorded as "]").
struct NlohmannRecorder : nlohmann::json_sax<nlohmann::json> {
    std::vector<std::string> events;
    bool num(double v) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "n:%.17g", v == 0 ? 0.0 : v);
        events.push_back(buf);
        return true;
    }
    bool null() override { return events.push_back("null"), true; }
    bool boolean(bool b) override { return events.push_back(b ? "true" : "false"), true; }
    bool number_integer(number_integer_t v) override { return num(double(v)); }
    bool number_unsigned(number_unsigned_t v) override { return num(double(v)); }
    bool number_float(number_float_t v, const string_t&) override { return num(v); }
    bool string(string_t& s) override { return events.push_back("s:" + s), true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return events.push_back("{"), true; }
    bool end_object() override { return events.push_back("]"), true; }
    bool start_array(std::size_t) override { return events.push_back("["), true; }
    bool end_array() override { return events.push_back("]"), true; }
    bool key(string_t& k) override { return events.push_back("k:" + k), true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
};

// nullopt when the text is refused.
std::optional<std::vector<std::string>> ours(const std::string& text, size_t chunk = 0) {
    Recorder r;
    try {
        if (chunk == 0) {
            detail::parse_json_text(r, text.data(), text.size());
        } else {
            size_t at = 0;
            ByteReader read = [&](char* buf, size_t cap) {
                const size_t n = std::min({chunk, cap, text.size() - at});
                std::copy(text.data() + at, text.data() + at + n, buf);
                at += n;
                return n;
            };
            detail::ChunkSource source(read, "test text", 64);
            detail::parse_json_stream(r, source);
        }
    } catch (const InvalidInput&) {
        return std::nullopt;
    }
    return r.events;
}

std::optional<std::vector<std::string>> theirs(const std::string& text) {
    NlohmannRecorder r;
    if (!nlohmann::json::sax_parse(text, &r)) return std::nullopt;
    return r.events;
}

std::string message(const std::string& text) {
    Recorder r;
    try {
        detail::parse_json_text(r, text.data(), text.size());
    } catch (const InvalidInput& e) {
        return e.what();
    }
    return "no error";
}

TEST(JsonStream, SameEventsAsNlohmannOnValidText) {
    const std::vector<std::string> texts = {
        "[]", "{}", "[[]]", "0", "-0", "1.5e3", "-12.25E-2", "123456789012345678901234567890", "18446744073709551615",
        "9007199254740993", "1e-400", "\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"", "true", "false", "null",
        " \n\t[1 , 2,\r\n3 ] ", R"({"a": [1, {"b": null}], "c": "d", "": []})", R"([[1,2,3],[4,5,6]])",
        R"({"load_history": [{"logical_expert_load": [[0, 1], [2, 3]], "t": 1.5}]})", "[0.1, 0.2, 0.30000000000000004]",
    };
    for (const auto& t : texts) {
        SCOPED_TRACE(t);
        const auto want = theirs(t);
        ASSERT_TRUE(want.has_value());
        EXPECT_EQ(ours(t), want);
        for (size_t chunk : {1, 2, 3, 7}) EXPECT_EQ(ours(t, chunk), want) << "chunks of " << chunk;
    }
    // A byte order mark before the text is skipped, as nlohmann skips it.
    EXPECT_EQ(ours("\xEF\xBB\xBF[1]", 1), theirs("[1]"));
    EXPECT_EQ(ours("\xEF\xBB\xBF[1]"), theirs("\xEF\xBB\xBF[1]"));
    // A real dump, in chunks of every few sizes.
    const std::string dump = slurp(real_files().front());
    const auto want = theirs(dump);
    EXPECT_EQ(ours(dump), want);
    EXPECT_EQ(ours(dump, 4093), want);
}

TEST(JsonStream, RefusesWhatNlohmannRefuses) {
    const std::vector<std::string> texts = {
        "", " ", "[", "]", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\" 1}", "{1: 2}", "{\"a\": 1,}", "[1 2]",
        "01", "-", "1.", ".5", "1e", "1e+", "+1", "NaN", "Infinity", "nul", "truex", "\"abc", "\"a\nb\"", "\"\\x\"",
        "\"\\u12\"", "\"\\ud800\"", "[1]]", "[1] x", "{\"a\":1}}", "1e400", "-1e400", "[\"\\uDC00\"]",
    };
    for (const auto& t : texts) {
        SCOPED_TRACE(t);
        EXPECT_FALSE(theirs(t).has_value());
        EXPECT_FALSE(ours(t).has_value());
        EXPECT_FALSE(ours(t, 1).has_value());
    }
}

TEST(JsonStream, RandomMutationsGetTheSameVerdictAndEvents) {
    // Bytes of a valid file replaced, dropped or doubled (ASCII only: nlohmann also checks UTF-8,
    // this tokenizer keeps a string's bytes as they are).
    const std::string base =
        R"({"load_history": [{"logical_expert_load": [[0, 12, 3.5], [1e3, -0, 7]]}, [[1,2,3],[4,5,6]]], "num_gpus": 4, "x": [true, false, null, "s\"\u0041"]})";
    const std::string alphabet = "[]{},:\"\\ 0123456789.-+eEtrufalsn\nxu";
    std::mt19937 rng(7);
    int accepted = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string t = base;
        const int edits = 1 + int(rng() % 3);
        for (int k = 0; k < edits; ++k) {
            const size_t at = rng() % t.size();
            switch (rng() % 3) {
                case 0: t[at] = alphabet[rng() % alphabet.size()]; break;
                case 1: t.erase(at, 1); break;
                default: t.insert(at, 1, t[at]); break;
            }
        }
        const auto want = theirs(t);
        const auto got = ours(t);
        ASSERT_EQ(got.has_value(), want.has_value()) << t << "\n" << message(t);
        if (want) {
            accepted++;
            ASSERT_EQ(*got, *want) << t;
            ASSERT_EQ(ours(t, 5), want) << t;
        }
    }
    EXPECT_GT(accepted, 1000);  // the mutations reach both verdicts
}

TEST(JsonStream, MessagesSayWhereAndWhat) {
    EXPECT_EQ(message("[1, NaN]"), "malformed JSON in test text: line 1, column 5: invalid literal 'NaN' (JSON has true, false and null; no NaN or Infinity)");
    EXPECT_EQ(message("{\"a\": [1,\n  2,,]}"), "malformed JSON in test text: line 2, column 5: unexpected ','; expected a value");
    EXPECT_EQ(message("[1, 2"), "malformed JSON in test text: line 1, column 6: unexpected end of the text; expected ',' or ']'");
    EXPECT_EQ(message("[1e400]"), "malformed JSON in test text: line 1, column 2: number 1e400 is beyond the range of a double");
    EXPECT_EQ(message(" \n "), "test text is empty");
    EXPECT_EQ(message("[01]"), "malformed JSON in test text: line 1, column 2: invalid number: a leading zero ('01')");
    EXPECT_EQ(message("[1] 2"), "malformed JSON in test text: line 1, column 5: unexpected '2'; expected the end of the text after the JSON value");
    EXPECT_NE(message(std::string(100, '[') + std::string(100, ']')).find("nesting deeper than 64"), std::string::npos);
}

TEST(JsonStream, TheSizeLimitHoldsForStreams) {
    // A reader that never ends: cut at the limit instead of running on.
    ByteReader endless = [](char* buf, size_t cap) {
        std::fill(buf, buf + cap, ' ');
        return cap;
    };
    detail::ChunkSource source(endless, "load file");
    Recorder r;
    try {
        detail::parse_json_stream(r, source);
        ADD_FAILURE() << "no error";
    } catch (const LimitExceeded& e) {
        EXPECT_NE(std::string(e.what()).find("larger than the limit of 268435456 bytes"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace eplb::test
