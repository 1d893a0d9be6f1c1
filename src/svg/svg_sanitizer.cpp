#include "svg/svg_sanitizer.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace weir::svg {

namespace {

using namespace std::string_view_literals;

// What a browser draws and nothing it runs or fetches.
constexpr std::array kAllowedElements = {
    "svg"sv,
    "g"sv,
    "defs"sv,
    "symbol"sv,
    "use"sv,
    "title"sv,
    "desc"sv,
    "path"sv,
    "rect"sv,
    "circle"sv,
    "ellipse"sv,
    "line"sv,
    "polyline"sv,
    "polygon"sv,
    "text"sv,
    "tspan"sv,
    "textPath"sv,
    "linearGradient"sv,
    "radialGradient"sv,
    "stop"sv,
    "pattern"sv,
    "clipPath"sv,
    "mask"sv,
    "marker"sv,
    "image"sv,
    "style"sv,
    "filter"sv,
    "feBlend"sv,
    "feColorMatrix"sv,
    "feComponentTransfer"sv,
    "feComposite"sv,
    "feConvolveMatrix"sv,
    "feDiffuseLighting"sv,
    "feDisplacementMap"sv,
    "feDistantLight"sv,
    "feDropShadow"sv,
    "feFlood"sv,
    "feFuncA"sv,
    "feFuncB"sv,
    "feFuncG"sv,
    "feFuncR"sv,
    "feGaussianBlur"sv,
    "feMerge"sv,
    "feMergeNode"sv,
    "feMorphology"sv,
    "feOffset"sv,
    "fePointLight"sv,
    "feSpecularLighting"sv,
    "feSpotLight"sv,
    "feTile"sv,
    "feTurbulence"sv,
};

bool allowed_element(std::string_view name) {
  return std::find(kAllowedElements.begin(), kAllowedElements.end(), name) !=
         kAllowedElements.end();
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' ||
                        s.front() == '\r' || s.front() == '"' || s.front() == '\''))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' ||
                        s.back() == '\r' || s.back() == '"' || s.back() == '\''))
    s.remove_suffix(1);
  return s;
}

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// An embedded raster image: its type, base64 and nothing else.
bool safe_image_data(std::string_view v) {
  for (auto type : {"data:image/png;base64,"sv, "data:image/jpeg;base64,"sv,
                    "data:image/gif;base64,"sv, "data:image/webp;base64,"sv})
    if (starts_with_ci(v, type))
      return std::all_of(v.begin() + static_cast<std::ptrdiff_t>(type.size()), v.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/' || c == '=' || space(c);
      });
  return false;
}

// "#id" with a plain id.
bool local_reference(std::string_view v) {
  return v.size() > 1 && v.front() == '#' && std::all_of(v.begin() + 1, v.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.' || c == ':';
         });
}

// CSS (a style attribute or <style> text): url(...) only to "#id", no @import, no expression(),
// no script URL. Removed parts become harmless text; `changed` counts them.
std::string sanitize_css(std::string_view css, std::size_t& changed) {
  const std::string low = lower(css);
  std::string out;
  out.reserve(css.size());
  std::size_t i = 0;
  while (i < css.size()) {
    if (low.compare(i, 4, "url(") == 0) {
      const auto close = low.find(')', i + 4);
      const auto end = close == std::string::npos ? css.size() : close + 1;
      const auto target =
          trim(css.substr(i + 4, (close == std::string::npos ? css.size() : close) - (i + 4)));
      if (local_reference(target)) {
        out.append(css.substr(i, end - i));
      } else {
        out += "none";
        ++changed;
      }
      i = end;
      continue;
    }
    if (low.compare(i, 7, "@import") == 0 || low.compare(i, 11, "expression(") == 0 ||
        low.compare(i, 11, "javascript:") == 0 || low.compare(i, 8, "behavior") == 0 ||
        low.compare(i, 12, "-moz-binding") == 0) {
      out += "/*removed*/";
      const auto semi = low.find_first_of(";}", i);
      i = semi == std::string::npos ? css.size() : semi;
      ++changed;
      continue;
    }
    if (css[i] == '\\') {  // an escape could spell any of the above: refuse it
      ++changed;
      ++i;
      continue;
    }
    out.push_back(css[i++]);
  }
  return out;
}

void append_utf8(std::string& out, std::uint32_t cp) {
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

void append_escaped(std::string& out, std::string_view s, bool attribute) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        if (attribute) {
          out += "&quot;";
          break;
        }
        [[fallthrough]];
      default:
        out.push_back(c);
    }
  }
}

bool name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
}
bool name_char(char c) {
  return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
struct Attribute {
  std::string_view name;
  std::string value;  // decoded
};

class Reader {
 public:
  Reader(std::string_view in, const SvgLimits& limits) : in_(in), limits_(limits) {}

  Result<SanitizedSvg> run() {
    if (in_.size() > limits_.max_bytes)
      return bad_request("svg_too_large", "SVG is " + std::to_string(in_.size()) +
                                              " bytes; the limit is " +
                                              std::to_string(limits_.max_bytes));
    if (in_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    while (pos_ < in_.size()) {
      Status st = step();
      if (!st) return st.error();
    }
    if (!seen_root_) return fail("no root element");
    if (!stack_.empty()) return fail("element <" + std::string(stack_.back()) + "> is not closed");
    return std::move(out_);
  }

 private:
  Error fail(std::string why) const { return fail_at(pos_, std::move(why)); }
  Error fail_at(std::size_t offset, std::string why) const {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset && i < in_.size(); ++i) {
      if (in_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return bad_request("bad_svg", std::to_string(line) + ":" + std::to_string(col) + ": " + why);
  }
  bool skipping() const { return skip_depth_ != 0; }
  bool at(std::string_view s) const { return in_.substr(pos_, s.size()) == s; }

  Status step() {
    if (in_[pos_] != '<') return text();
    if (at("<!--")) {
      auto end = in_.find("-->", pos_ + 4);
      if (end == std::string_view::npos) return fail("comment is not closed");
      pos_ = end + 3;
      return {};
    }
    if (at("<![CDATA[")) {
      if (stack_.empty()) return fail("CDATA outside the root element");
      auto end = in_.find("]]>", pos_ + 9);
      if (end == std::string_view::npos) return fail("CDATA section is not closed");
      emit_text(std::string(in_.substr(pos_ + 9, end - pos_ - 9)));
      pos_ = end + 3;
      return {};
    }
    if (at("<!DOCTYPE")) {
      if (seen_root_) return fail("DOCTYPE after the root element");
      auto end = in_.find('>', pos_);
      if (end == std::string_view::npos) return fail("DOCTYPE is not closed");
      if (in_.substr(pos_, end - pos_).find('[') != std::string_view::npos)
        return fail("a DTD internal subset (entity declarations) is not accepted");
      pos_ = end + 1;
      return {};
    }
    if (at("<?")) {
      auto end = in_.find("?>", pos_ + 2);
      if (end == std::string_view::npos) return fail("processing instruction is not closed");
      pos_ = end + 2;
      return {};
    }
    if (at("</")) return end_tag();
    return start_tag();
  }

  Status text() {
    auto end = in_.find('<', pos_);
    if (end == std::string_view::npos) end = in_.size();
    auto raw = in_.substr(pos_, end - pos_);
    if (stack_.empty()) {
      for (char c : raw)
        if (!space(c)) return fail("text outside the root element");
      pos_ = end;
      return {};
    }
    auto decoded = decode(raw);
    if (!decoded) return decoded.error();
    pos_ = end;
    emit_text(std::move(*decoded));
    return {};
  }

  // Style text is cleaned whole at </style>: pieces (text, CDATA) could split "@import".
  void emit_text(std::string t) {
    if (skipping()) return;
    if (!stack_.empty() && stack_.back() == "style")
      style_text_ += t;
    else
      append_escaped(out_.text, t, false);
  }

  Result<std::string> decode(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out.push_back(raw[i]);
        continue;
      }
      auto semi = raw.find(';', i);
      if (semi == std::string_view::npos || semi - i > 12) return fail("'&' that starts no entity");
      auto ent = raw.substr(i + 1, semi - i - 1);
      if (ent == "lt")
        out.push_back('<');
      else if (ent == "gt")
        out.push_back('>');
      else if (ent == "amp")
        out.push_back('&');
      else if (ent == "quot")
        out.push_back('"');
      else if (ent == "apos")
        out.push_back('\'');
      else if (ent.size() > 1 && ent[0] == '#') {
        std::uint32_t cp = 0;
        const bool hex = ent[1] == 'x';
        auto digits = ent.substr(hex ? 2 : 1);
        if (digits.empty()) return fail("empty character reference");
        for (char c : digits) {
          int d = c >= '0' && c <= '9'          ? c - '0'
                  : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                : -1;
          if (d < 0) return fail("bad character reference &" + std::string(ent) + ";");
          cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
          if (cp > 0x10FFFF) return fail("character reference out of range");
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
          return fail("character reference to an invalid code point");
        append_utf8(out, cp);
      } else {
        return fail("unknown entity &" + std::string(ent) + "; (no DTD: only the XML five)");
      }
      i = semi;
    }
    return out;
  }

  Result<std::string_view> name() {
    const auto start = pos_;
    if (pos_ >= in_.size() || !name_start(in_[pos_])) return fail("expected a name");
    while (pos_ < in_.size() && name_char(in_[pos_])) ++pos_;
    return in_.substr(start, pos_ - start);
  }
  void skip_space() {
    while (pos_ < in_.size() && space(in_[pos_])) ++pos_;
  }

  Status end_tag() {
    pos_ += 2;
    auto n = name();
    if (!n) return n.error();
    skip_space();
    if (pos_ >= in_.size() || in_[pos_] != '>')
      return fail("expected '>' after </" + std::string(*n));
    ++pos_;
    if (stack_.empty() || stack_.back() != *n)
      return fail(
          "</" + std::string(*n) + "> does not close " +
          (stack_.empty() ? std::string("anything") : "<" + std::string(stack_.back()) + ">"));
    close_element();
    return {};
  }

  void close_element() {
    if (!skipping() && stack_.back() == "style") {
      append_escaped(out_.text, sanitize_css(style_text_, out_.removed_attributes), false);
      style_text_.clear();
    }
    if (!skipping()) {
      out_.text += "</";
      out_.text += stack_.back();
      out_.text += ">";
    }
    if (skip_depth_ == stack_.size()) skip_depth_ = 0;
    stack_.pop_back();
  }

  Status start_tag() {
    const auto tag = pos_++;
    auto n = name();
    if (!n) return n.error();
    if (stack_.empty() && seen_root_) return fail_at(tag, "a second root element");
    if (!seen_root_ && *n != "svg")
      return fail_at(tag, "not an SVG: the root element is <" + std::string(*n) + ">");
    seen_root_ = true;
    if (++elements_ > limits_.max_elements)
      return fail_at(tag, "more than " + std::to_string(limits_.max_elements) + " elements");
    if (stack_.size() >= limits_.max_depth)
      return fail_at(tag, "nested deeper than " + std::to_string(limits_.max_depth));
    std::vector<Attribute> attrs;
    bool self_closing = false;
    for (;;) {
      const auto before = pos_;
      skip_space();
      if (pos_ >= in_.size()) return fail("start tag <" + std::string(*n) + "> is not closed");
      if (in_[pos_] == '>') {
        ++pos_;
        break;
      }
      if (at("/>")) {
        pos_ += 2;
        self_closing = true;
        break;
      }
      if (before == pos_) return fail("expected white space between attributes");
      auto an = name();
      if (!an) return an.error();
      skip_space();
      if (pos_ >= in_.size() || in_[pos_] != '=')
        return fail("attribute " + std::string(*an) + " has no value");
      ++pos_;
      skip_space();
      if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\''))
        return fail("attribute " + std::string(*an) + ": expected a quoted value");
      const char q = in_[pos_++];
      const auto end = in_.find(q, pos_);
      if (end == std::string_view::npos) return fail("attribute value is not closed");
      auto raw = in_.substr(pos_, end - pos_);
      if (raw.find('<') != std::string_view::npos) return fail("'<' in an attribute value");
      auto v = decode(raw);
      if (!v) return v.error();
      pos_ = end + 1;
      for (const auto& a : attrs)
        if (a.name == *an) return fail("attribute " + std::string(*an) + " appears twice");
      if (attrs.size() >= limits_.max_attributes)
        return fail("more than " + std::to_string(limits_.max_attributes) + " attributes");
      attrs.push_back({*an, std::move(*v)});
    }
    const bool in_style = !stack_.empty() && stack_.back() == "style";
    stack_.push_back(*n);
    if (!skipping() && (in_style || !allowed_element(*n))) {
      skip_depth_ = stack_.size();
      ++out_.removed_elements;
    }
    if (!skipping()) write_start(*n, attrs, self_closing);
    if (self_closing) {
      if (skip_depth_ == stack_.size()) skip_depth_ = 0;
      stack_.pop_back();
    }
    return {};
  }

  // The attribute as it may be written, or nothing.
  bool keep_attribute(std::string_view name, std::string& value) {
    const std::string lname = lower(name);
    if (lname.starts_with("on")) return false;
    if (lname == "xmlns" || lname == "xmlns:xlink")
      return value.find("javascript") == std::string::npos;
    if (lname == "href" || lname == "xlink:href") {
      std::string_view v = value;
      while (!v.empty() && space(v.front())) v.remove_prefix(1);
      while (!v.empty() && space(v.back())) v.remove_suffix(1);
      if (!local_reference(v) && !safe_image_data(v)) return false;
      value = std::string(v);
      return true;
    }
    // Other namespaces (inkscape:, sodipodi:, xml:base, ...) carry nothing a browser needs.
    if (lname.find(':') != std::string::npos && lname != "xml:space") return false;
    const std::string lvalue = lower(value);
    if (lvalue.find("javascript:") != std::string::npos ||
        lvalue.find("vbscript:") != std::string::npos)
      return false;
    if (lname == "style" || lvalue.find("url(") != std::string::npos) {
      std::size_t changed = 0;
      value = sanitize_css(value, changed);
      out_.removed_attributes += changed;
    }
    return true;
  }

  void write_start(std::string_view n, std::vector<Attribute>& attrs, bool self_closing) {
    out_.text += "<";
    out_.text += n;
    std::string id, dp, anim, cmd_dp, cmd_value;
    bool has_cmd_value = false;
    for (auto& a : attrs) {
      if (!keep_attribute(a.name, a.value)) {
        ++out_.removed_attributes;
        continue;
      }
      if (a.name == "id") id = a.value;
      if (a.name == "data-datapoint") dp = a.value;
      if (a.name == "data-animation") anim = a.value;
      if (a.name == "command-datapoint") cmd_dp = a.value;
      if (a.name == "command-value") {
        cmd_value = a.value;
        has_cmd_value = true;
      }
      out_.text += " ";
      out_.text += a.name;
      out_.text += "=\"";
      append_escaped(out_.text, a.value, true);
      out_.text += "\"";
    }
    out_.text += self_closing ? "/>" : ">";
    if (!dp.empty()) out_.bindings.push_back({id, dp, anim});
    if (!cmd_dp.empty() && has_cmd_value)
      out_.commands.push_back({id, cmd_dp, cmd_value});
    else if (has_cmd_value && !dp.empty() && dp.find('@') == std::string::npos)
      out_.commands.push_back({id, dp, cmd_value, true});
  }

  std::string_view in_;
  const SvgLimits& limits_;
  std::string style_text_;
  std::size_t pos_ = 0;
  std::vector<std::string_view> stack_;
  std::size_t skip_depth_ = 0;  // depth of the dropped element we are inside (0: none)
  std::size_t elements_ = 0;
  bool seen_root_ = false;
  SanitizedSvg out_;
};

}  // namespace

Result<SanitizedSvg> sanitize_svg(std::string_view text, const SvgLimits& limits) {
  return Reader(text, limits).run();
}

}  // namespace weir::svg
