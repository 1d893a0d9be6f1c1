#pragma once
// The demo's MQTT topics and payloads (SPEC §9), declared once. The plain structs here are what
// devices build and parse; payloads_json.hpp describes the same structs for Weir (JSON through
// weir::json, schemas for the AsyncAPI document), so the two can never drift apart.
//
// Like crosslink.hpp this header is C++17 standard library only: the ESP32 sketch includes it,
// and uses the small JSON encoder/parser below instead of Boost.JSON.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "crosslink.hpp"

namespace weir::devices {

// ---- topics -----------------------------------------------------------------------------------

struct TopicPattern {
  const char* name;     // short id, used as the AsyncAPI channel id
  const char* pattern;  // "{device}" stands for the device id
  const char* summary;
  int qos;        // QoS the devices publish with
  bool retained;  // whether the devices publish it retained
};

namespace topics {
inline constexpr TopicPattern sensors{
    "sensors", "sensors/{device}",
    "Sensor reading a device publishes every few seconds (JSON SensorReading).", 0, false};
inline constexpr TopicPattern play_command{
    "play_command", "commands/{device}/play",
    "Override for the device's buzzer: \"true\" plays, \"false\" silences, \"\" resumes "
    "cross-linked mode.",
    1, false};
inline constexpr TopicPattern presence{
    "presence", "presence/{device}/status",
    "\"online\" (retained, on connect) or \"offline\" (retained; the broker publishes it as the "
    "device's Last Will when the connection is lost).",
    1, true};
inline constexpr TopicPattern state{
    "state", "devices/{device}/state",
    "The device's buzzer: playing, mode, melody step, what it knows of its peer (JSON "
    "BuzzerState, retained).",
    1, true};
inline constexpr const TopicPattern* all[] = {&sensors, &play_command, &presence, &state};
}  // namespace topics

inline constexpr std::size_t kMaxDeviceIdLength = 64;

// Device ids become topic levels: no '/', '+', '#', control characters or spaces.
inline bool valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxDeviceIdLength) return false;
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '+' || c == '#' || u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

// topic_for(topics::sensors, "esp32") == "sensors/esp32"
inline std::string topic_for(const TopicPattern& t, std::string_view device) {
  const std::string_view p = t.pattern;
  const std::size_t at = p.find("{device}");
  std::string out(p.substr(0, at));
  out.append(device.data(), device.size());
  out.append(p.substr(at + 8));
  return out;
}

// The device id in `topic` if it matches the pattern, else nullopt.
inline std::optional<std::string_view> match_topic(const TopicPattern& t, std::string_view topic) {
  const std::string_view p = t.pattern;
  const std::size_t at = p.find("{device}");
  const std::string_view head = p.substr(0, at), tail = p.substr(at + 8);
  if (topic.size() <= head.size() + tail.size()) return std::nullopt;
  if (topic.substr(0, head.size()) != head) return std::nullopt;
  if (topic.substr(topic.size() - tail.size()) != tail) return std::nullopt;
  const std::string_view id = topic.substr(head.size(), topic.size() - head.size() - tail.size());
  if (id.find('/') != std::string_view::npos) return std::nullopt;
  return id;
}

// ---- payloads ---------------------------------------------------------------------------------

// sensors/{device}
struct SensorReading {
  double temperature = 0;       // in `unit`
  double humidity = 0;          // relative humidity, %
  double threshold = 0;         // the device's temperature threshold, in `unit`
  bool over_threshold = false;  // temperature > threshold
  std::string unit = "C";       // "C" or "F"
};

// What a device knows of its peer (part of BuzzerState).
struct PeerView {
  std::string id;
  std::string presence = "unknown";    // presence_name(): unknown / online / offline
  std::optional<bool> over_threshold;  // from the peer's last reading; absent when none
};

// devices/{device}/state (retained)
struct BuzzerState {
  bool playing = false;
  std::string mode = "auto";  // mode_name(): auto / override_on / override_off
  std::uint32_t step = 0;     // index of the note sounding (0 while silent)
  std::string melody;         // melody name
  PeerView peer;
  std::string since;   // when playing/mode last changed or the melody restarted (ISO 8601 UTC)
  std::string reason;  // reason_text(): why it plays or is silent
};

// The state report for a device running `link` against `peer_id`.
inline BuzzerState buzzer_state(const CrossLink& link, std::string_view peer_id,
                                std::string since) {
  BuzzerState s;
  s.playing = link.playing();
  s.mode = mode_name(link.mode());
  s.step = static_cast<std::uint32_t>(link.step());
  s.melody = link.melody().name;
  s.peer.id.assign(peer_id.data(), peer_id.size());
  s.peer.presence = presence_name(link.peer_presence());
  s.peer.over_threshold = link.peer_over_threshold();
  s.since = std::move(since);
  s.reason = reason_text(link.reason());
  return s;
}

// ---- a small JSON writer and reader (no Boost: the ESP32 uses these)
// -----------------------------

namespace json_lite {

inline void append_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\r') {
      out.append("\\r");
    } else if (c == '\t') {
      out.append("\\t");
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// JSON has no NaN or infinity: those are written as null (and a reader then rejects them).
inline void append_number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out.append("null");
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  out.append(buf);
}

enum class Kind : std::uint8_t { null, boolean, number, string, array, object };

inline const char* kind_name(Kind k) {
  switch (k) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return "a boolean";
    case Kind::number:
      return "a number";
    case Kind::string:
      return "a string";
    case Kind::array:
      return "an array";
    case Kind::object:
      return "an object";
  }
  return "?";
}

// A member of the top-level object; nested arrays and objects are skipped, only their kind kept.
struct Value {
  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string string;
};

inline constexpr std::size_t kMaxPayload = 4096;
inline constexpr int kMaxDepth = 16;

// Reads one JSON object and calls on_member(key, value) for each member. Bounded in size and
// depth; returns false with `error` set on anything that is not a well-formed JSON object.
class ObjectReader {
 public:
  explicit ObjectReader(std::string_view text) : s_(text) {}

  template <class F>
  bool read(F&& on_member, std::string& error) {
    if (s_.size() > kMaxPayload) return fail(error, "payload too large (at most 4096 bytes)");
    ws();
    if (!eat('{')) return fail(error, "expected a JSON object");
    ws();
    if (!eat('}')) {
      for (;;) {
        ws();
        std::string key;
        if (peek() != '"' || !string(key)) return fail(error, "expected a member name");
        ws();
        if (!eat(':')) return fail(error, "expected ':'");
        ws();
        Value v;
        if (!value(v, 1)) return fail(error, err_ ? err_ : "invalid value");
        on_member(key, v);
        ws();
        if (eat(',')) continue;
        if (eat('}')) break;
        return fail(error, "expected ',' or '}'");
      }
    }
    ws();
    if (i_ != s_.size()) return fail(error, "trailing characters after the object");
    return true;
  }

 private:
  bool fail(std::string& error, const char* what) {
    error = what;
    error += " at offset ";
    error += std::to_string(i_);
    return false;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  bool eat(char c) {
    if (peek() != c || i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  void ws() {
    while (i_ < s_.size() && detail::is_space(s_[i_])) ++i_;
  }

  static void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  bool hex4(std::uint32_t& v) {
    v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = peek();
      int d = c >= '0' && c <= '9'   ? c - '0'
              : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                     : -1;
      if (d < 0) return false;
      v = v * 16 + static_cast<std::uint32_t>(d);
      ++i_;
    }
    return true;
  }
  bool string(std::string& out) {
    if (!eat('"')) return false;
    for (;;) {
      if (i_ >= s_.size()) return err("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return err("control character in string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      const char e = peek();
      ++i_;
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(cp)) return err("bad \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00) {
            std::uint32_t lo = 0;
            if (!literal("\\u") || !hex4(lo) || lo < 0xDC00 || lo > 0xDFFF)
              return err("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return err("unpaired surrogate");
          }
          put_utf8(out, cp);
          break;
        }
        default:
          return err("bad escape in string");
      }
    }
  }
  bool digits() {
    const std::size_t b = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > b;
  }
  bool number(double& out) {
    const std::size_t b = i_;
    eat('-');
    if (peek() == '0') {
      ++i_;
    } else if (!digits()) {
      return err("invalid number");
    }
    if (eat('.') && !digits()) return err("invalid number");
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (!eat('+')) eat('-');
      if (!digits()) return err("invalid number");
    }
    char buf[40];
    if (i_ - b >= sizeof buf) return err("number too long");
    s_.copy(buf, i_ - b, b);
    buf[i_ - b] = '\0';
    out = std::strtod(buf, nullptr);
    if (!std::isfinite(out)) return err("number out of range");
    return true;
  }
  bool value(Value& v, int depth) {
    const char c = peek();
    if (c == '"') {
      v.kind = Kind::string;
      return string(v.string) || err("invalid string");
    }
    if (c == '{' || c == '[') {
      v.kind = c == '{' ? Kind::object : Kind::array;
      return skip_container(depth + 1);
    }
    if (literal("true")) {
      v.kind = Kind::boolean;
      v.boolean = true;
      return true;
    }
    if (literal("false")) {
      v.kind = Kind::boolean;
      return true;
    }
    if (literal("null")) {
      v.kind = Kind::null;
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Kind::number;
      return number(v.number);
    }
    return err("unexpected character");
  }
  bool skip_container(int depth) {
    if (depth > kMaxDepth) return err("nesting too deep");
    const char close = peek() == '{' ? '}' : ']';
    const bool object = close == '}';
    ++i_;
    ws();
    if (eat(close)) return true;
    for (;;) {
      ws();
      if (object) {
        std::string key;
        if (peek() != '"' || !string(key)) return err("expected a member name");
        ws();
        if (!eat(':')) return err("expected ':'");
        ws();
      }
      Value v;
      if (!value(v, depth)) return false;
      ws();
      if (eat(',')) continue;
      if (eat(close)) return true;
      return err(object ? "expected ',' or '}'" : "expected ',' or ']'");
    }
  }
  bool err(const char* what) {
    if (!err_) err_ = what;
    return false;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  const char* err_ = nullptr;
};

}  // namespace json_lite

// {"temperature":27.5,"humidity":41,"threshold":28,"over_threshold":false,"unit":"C"}
// Members in declaration order, the same text weir::json::to_string writes for plain numbers.
inline std::string encode_reading(const SensorReading& r) {
  std::string out = "{\"temperature\":";
  json_lite::append_number(out, r.temperature);
  out += ",\"humidity\":";
  json_lite::append_number(out, r.humidity);
  out += ",\"threshold\":";
  json_lite::append_number(out, r.threshold);
  out += ",\"over_threshold\":";
  out += r.over_threshold ? "true" : "false";
  out += ",\"unit\":";
  json_lite::append_string(out, r.unit);
  out += '}';
  return out;
}

inline std::string encode_state(const BuzzerState& s) {
  std::string out = "{\"playing\":";
  out += s.playing ? "true" : "false";
  out += ",\"mode\":";
  json_lite::append_string(out, s.mode);
  out += ",\"step\":";
  out += std::to_string(s.step);
  out += ",\"melody\":";
  json_lite::append_string(out, s.melody);
  out += ",\"peer\":{\"id\":";
  json_lite::append_string(out, s.peer.id);
  out += ",\"presence\":";
  json_lite::append_string(out, s.peer.presence);
  if (s.peer.over_threshold) {
    out += ",\"over_threshold\":";
    out += *s.peer.over_threshold ? "true" : "false";
  }
  out += "},\"since\":";
  json_lite::append_string(out, s.since);
  out += ",\"reason\":";
  json_lite::append_string(out, s.reason);
  out += '}';
  return out;
}

struct ReadingParse {
  bool ok = false;
  SensorReading value;
  std::string error;  // says which member and why
};

// Parses a sensors/{device} payload. Every SensorReading member is required with its JSON type
// (as the schema in the AsyncAPI document says); unknown members are ignored.
inline ReadingParse parse_reading(std::string_view text) {
  ReadingParse r;
  enum : unsigned { kTemp = 1, kHum = 2, kThr = 4, kOver = 8, kUnit = 16, kAll = 31 };
  unsigned seen = 0;
  std::string bad;
  auto number = [&](const char* name, const json_lite::Value& v, double& out, unsigned bit) {
    if (v.kind != json_lite::Kind::number) {
      if (bad.empty())
        bad = std::string(name) + ": expected a number, got " + json_lite::kind_name(v.kind);
      return;
    }
    out = v.number;
    seen |= bit;
  };
  json_lite::ObjectReader reader(text);
  const bool parsed = reader.read(
      [&](const std::string& key, const json_lite::Value& v) {
        if (key == "temperature") {
          number("temperature", v, r.value.temperature, kTemp);
        } else if (key == "humidity") {
          number("humidity", v, r.value.humidity, kHum);
        } else if (key == "threshold") {
          number("threshold", v, r.value.threshold, kThr);
        } else if (key == "over_threshold") {
          if (v.kind != json_lite::Kind::boolean) {
            if (bad.empty())
              bad = std::string("over_threshold: expected a boolean, got ") +
                    json_lite::kind_name(v.kind);
          } else {
            r.value.over_threshold = v.boolean;
            seen |= kOver;
          }
        } else if (key == "unit") {
          if (v.kind != json_lite::Kind::string) {
            if (bad.empty())
              bad = std::string("unit: expected a string, got ") + json_lite::kind_name(v.kind);
          } else {
            r.value.unit = v.string;
            seen |= kUnit;
          }
        }
      },
      r.error);
  if (!parsed) return r;
  if (!bad.empty()) {
    r.error = bad;
    return r;
  }
  if (seen != kAll) {
    const char* names[] = {"temperature", "humidity", "threshold", "over_threshold", "unit"};
    for (unsigned i = 0; i < 5; ++i) {
      if (!(seen & (1u << i))) {
        r.error = std::string(names[i]) + ": required field is missing";
        return r;
      }
    }
  }
  r.ok = true;
  return r;
}

}  // namespace weir::devices
