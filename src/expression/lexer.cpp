#include "expression/lexer.hpp"

#include <cctype>
#include <charconv>

namespace weir::expression {

Error syntax_error(Position pos, std::string message) {
  return bad_request("expression", std::to_string(pos.line) + ":" + std::to_string(pos.column) +
                                       ": " + std::move(message));
}

const char* describe(TokenKind k) {
  switch (k) {
    case TokenKind::end:
      return "the end";
    case TokenKind::number:
      return "a number";
    case TokenKind::string:
      return "a string";
    case TokenKind::name:
      return "a name";
    case TokenKind::datapoint:
      return "a datapoint";
    case TokenKind::lparen:
      return "'('";
    case TokenKind::rparen:
      return "')'";
    case TokenKind::comma:
      return "','";
    case TokenKind::eq:
      return "'=='";
    case TokenKind::ne:
      return "'!='";
    case TokenKind::lt:
      return "'<'";
    case TokenKind::le:
      return "'<='";
    case TokenKind::gt:
      return "'>'";
    case TokenKind::ge:
      return "'>='";
    case TokenKind::plus:
      return "'+'";
    case TokenKind::minus:
      return "'-'";
    case TokenKind::star:
      return "'*'";
    case TokenKind::slash:
      return "'/'";
    case TokenKind::percent:
      return "'%'";
  }
  return "?";
}

namespace {

bool name_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

Result<std::vector<Token>> tokenize(std::string_view text) {
  if (text.size() > kMaxSourceBytes)
    return syntax_error({}, "longer than " + std::to_string(kMaxSourceBytes) + " bytes");
  std::vector<Token> out;
  Position pos;
  std::size_t i = 0;
  auto advance = [&](std::size_t n) {
    for (std::size_t k = 0; k < n; ++k, ++i) {
      if (text[i] == '\n') {
        ++pos.line;
        pos.column = 1;
      } else {
        ++pos.column;
      }
    }
  };
  while (i < text.size()) {
    const char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      advance(1);
      continue;
    }
    Token t;
    t.pos = pos;
    if (name_start(c)) {
      std::size_t j = i;
      while (j < text.size() && name_char(text[j])) ++j;
      if (j < text.size() && text[j] == '@') {
        std::size_t k = j + 1;
        while (k < text.size() && name_char(text[k])) ++k;
        if (k == j + 1) {
          advance(j + 1 - i);
          return syntax_error(pos, "expected a tag name after '@'");
        }
        j = k;
        t.kind = TokenKind::datapoint;
      } else {
        t.kind = TokenKind::name;
      }
      t.text = std::string(text.substr(i, j - i));
      advance(j - i);
      out.push_back(std::move(t));
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && i + 1 < text.size() &&
         std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
      std::size_t j = i;
      while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) ||
                                 text[j] == '.' || text[j] == '_'))
        ++j;
      if (j < text.size() && (text[j] == 'e' || text[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < text.size() && (text[k] == '+' || text[k] == '-')) ++k;
        if (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) {
          while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) ++k;
          j = k;
        }
      }
      std::string spelling;
      for (std::size_t k = i; k < j; ++k)
        if (text[k] != '_') spelling.push_back(text[k]);
      double v = 0;
      auto [p, ec] = std::from_chars(spelling.data(), spelling.data() + spelling.size(), v);
      if (ec != std::errc() || p != spelling.data() + spelling.size() ||
          (j < text.size() && name_char(text[j])))
        return syntax_error(pos, "bad number \"" + std::string(text.substr(i, j - i + 1)) + "\"");
      t.kind = TokenKind::number;
      t.number = v;
      t.text = std::move(spelling);
      advance(j - i);
      out.push_back(std::move(t));
      continue;
    }
    if (c == '\'' || c == '"') {
      std::size_t j = i + 1;
      std::string value;
      bool closed = false;
      while (j < text.size()) {
        const char d = text[j];
        if (d == c) {
          closed = true;
          break;
        }
        if (d == '\n') break;
        if (d == '\\' && j + 1 < text.size()) {
          const char e = text[j + 1];
          switch (e) {
            case 'n':
              value.push_back('\n');
              break;
            case 't':
              value.push_back('\t');
              break;
            case '\\':
            case '\'':
            case '"':
              value.push_back(e);
              break;
            default:
              value.push_back('\\');
              value.push_back(e);
          }
          j += 2;
          continue;
        }
        value.push_back(d);
        ++j;
      }
      if (!closed) return syntax_error(pos, "unterminated string");
      t.kind = TokenKind::string;
      t.text = std::move(value);
      advance(j + 1 - i);
      out.push_back(std::move(t));
      continue;
    }
    const char n = i + 1 < text.size() ? text[i + 1] : '\0';
    std::size_t len = 1;
    switch (c) {
      case '(':
        t.kind = TokenKind::lparen;
        break;
      case ')':
        t.kind = TokenKind::rparen;
        break;
      case ',':
        t.kind = TokenKind::comma;
        break;
      case '+':
        t.kind = TokenKind::plus;
        break;
      case '-':
        t.kind = TokenKind::minus;
        break;
      case '*':
        t.kind = TokenKind::star;
        break;
      case '/':
        t.kind = TokenKind::slash;
        break;
      case '%':
        t.kind = TokenKind::percent;
        break;
      case '<':
        t.kind = n == '=' ? TokenKind::le : TokenKind::lt;
        len = n == '=' ? 2 : 1;
        break;
      case '>':
        t.kind = n == '=' ? TokenKind::ge : TokenKind::gt;
        len = n == '=' ? 2 : 1;
        break;
      case '=':
        if (n != '=') return syntax_error(pos, "'=' is not an operator here (use '==')");
        t.kind = TokenKind::eq;
        len = 2;
        break;
      case '!':
        if (n != '=') return syntax_error(pos, "'!' is not an operator (use 'not' or '!=')");
        t.kind = TokenKind::ne;
        len = 2;
        break;
      default: {
        const auto u = static_cast<unsigned char>(c);
        std::string shown =
            u >= 0x20 && u < 0x7f ? std::string("'") + c + "'" : "byte " + std::to_string(u);
        return syntax_error(pos, "unexpected character " + shown);
      }
    }
    t.text = std::string(text.substr(i, len));
    advance(len);
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = pos;
  out.push_back(std::move(end));
  return out;
}

}  // namespace weir::expression
