//===- Lexer.cpp - tokens of the model language ---------------------------===//
//
// A Python 3 tokenizer for the subset Spore accepts: names, numbers,
// strings, operators, comments, implicit and explicit line joining, and
// indentation tracking.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include <cctype>

using namespace spore::frontend;
using llvm::SMLoc;
using llvm::StringRef;

bool spore::frontend::isKeyword(StringRef word) {
  return llvm::StringSwitch<bool>(word)
      .Cases({"False", "None", "True", "and", "as", "assert", "async"}, true)
      .Cases({"await", "break", "class", "continue", "def", "del", "elif"},
             true)
      .Cases({"else", "except", "finally", "for", "from", "global", "if"}, true)
      .Cases({"import", "in", "is", "lambda", "nonlocal", "not", "or"}, true)
      .Cases({"pass", "raise", "return", "try", "while", "with", "yield"}, true)
      .Default(false);
}

namespace {

class Lexer {
public:
  Lexer(StringRef buffer, Diagnostics &diags) : buf(buffer), diags(diags) {}

  std::vector<Token> run() {
    indents.push_back(0);
    atLineStart = true;
    while (pos < buf.size()) {
      if (atLineStart) {
        if (!handleIndentation())
          continue;
      }
      if (pos >= buf.size())
        break;
      char c = buf[pos];
      if (c == ' ' || c == '\t' || c == '\f' || c == '\r') {
        ++pos;
      } else if (c == '#') {
        while (pos < buf.size() && buf[pos] != '\n')
          ++pos;
      } else if (c == '\\') {
        lexContinuation();
      } else if (c == '\n') {
        if (depth == 0 && !lineIsEmpty())
          push(TokenKind::Newline, pos, 1);
        ++pos;
        atLineStart = depth == 0;
      } else if (std::isalpha((unsigned char)c) || c == '_') {
        lexName();
      } else if (std::isdigit((unsigned char)c) ||
                 (c == '.' && pos + 1 < buf.size() &&
                  std::isdigit((unsigned char)buf[pos + 1]))) {
        lexNumber();
      } else if (c == '"' || c == '\'') {
        lexString(pos);
      } else {
        lexOperator();
      }
    }
    if (!tokens.empty() && !lineIsEmpty())
      push(TokenKind::Newline, buf.size(), 0);
    while (indents.size() > 1) {
      indents.pop_back();
      push(TokenKind::Dedent, buf.size(), 0);
    }
    push(TokenKind::Eof, buf.size(), 0);
    return std::move(tokens);
  }

private:
  StringRef buf;
  Diagnostics &diags;
  size_t pos = 0;
  std::vector<Token> tokens;
  std::vector<unsigned> indents;
  int depth = 0; // open brackets: newlines inside are not logical line ends
  bool atLineStart = true;

  SMLoc locAt(size_t p) {
    return SMLoc::getFromPointer(buf.data() + std::min(p, buf.size()));
  }

  void push(TokenKind kind, size_t start, size_t len) {
    Token t;
    t.kind = kind;
    t.text = buf.substr(start, len);
    t.loc = locAt(start);
    tokens.push_back(std::move(t));
  }

  void error(size_t p, const llvm::Twine &msg) {
    diags.error(locAt(p), msg);
    push(TokenKind::Error, p, 1);
  }

  /// True when the current logical line has produced no token yet.
  bool lineIsEmpty() {
    if (tokens.empty())
      return true;
    TokenKind k = tokens.back().kind;
    return k == TokenKind::Newline || k == TokenKind::Indent ||
           k == TokenKind::Dedent;
  }

  /// Measures the indentation of a new line and emits INDENT/DEDENT. Returns
  /// false when the line is blank or a comment (nothing to emit).
  bool handleIndentation() {
    unsigned column = 0;
    size_t p = pos;
    while (p < buf.size() && (buf[p] == ' ' || buf[p] == '\t' ||
                              buf[p] == '\f' || buf[p] == '\r')) {
      if (buf[p] == '\t')
        column = (column / 8 + 1) * 8;
      else if (buf[p] == ' ')
        ++column;
      ++p;
    }
    if (p >= buf.size() || buf[p] == '\n' || buf[p] == '#') {
      // Blank or comment-only line: skip it entirely.
      while (p < buf.size() && buf[p] != '\n')
        ++p;
      pos = p < buf.size() ? p + 1 : p;
      return false;
    }
    atLineStart = false;
    pos = p;
    if (column > indents.back()) {
      indents.push_back(column);
      push(TokenKind::Indent, p, 0);
    } else {
      while (column < indents.back()) {
        indents.pop_back();
        push(TokenKind::Dedent, p, 0);
      }
      if (column != indents.back())
        error(p, "unindent does not match any outer indentation level");
    }
    return true;
  }

  void lexContinuation() {
    size_t p = pos + 1;
    while (p < buf.size() &&
           (buf[p] == ' ' || buf[p] == '\t' || buf[p] == '\r'))
      ++p;
    if (p < buf.size() && buf[p] == '\n') {
      pos = p + 1;
      return;
    }
    error(pos, "unexpected character after line continuation '\\'");
    pos = p;
  }

  void lexName() {
    size_t start = pos;
    while (pos < buf.size() &&
           (std::isalnum((unsigned char)buf[pos]) || buf[pos] == '_'))
      ++pos;
    StringRef word = buf.slice(start, pos);
    // A string prefix directly followed by a quote.
    if (pos < buf.size() && (buf[pos] == '"' || buf[pos] == '\'') &&
        llvm::StringSwitch<bool>(word.lower())
            .Cases({"r", "b", "f", "u", "rb", "br", "fr", "rf"}, true)
            .Default(false)) {
      lexString(start);
      return;
    }
    push(isKeyword(word) ? TokenKind::Keyword : TokenKind::Name, start,
         pos - start);
  }

  void digits(bool hexDigits = false) {
    while (pos < buf.size() &&
           ((hexDigits ? std::isxdigit((unsigned char)buf[pos])
                       : std::isdigit((unsigned char)buf[pos])) ||
            buf[pos] == '_'))
      ++pos;
  }

  void lexNumber() {
    size_t start = pos;
    bool isFloat = false;
    if (buf[pos] == '0' && pos + 1 < buf.size() &&
        std::strchr("xXoObB", buf[pos + 1])) {
      pos += 2;
      digits(/*hexDigits=*/true);
    } else {
      digits();
      if (pos < buf.size() && buf[pos] == '.') {
        isFloat = true;
        ++pos;
        digits();
      }
      if (pos < buf.size() && (buf[pos] == 'e' || buf[pos] == 'E')) {
        size_t save = pos;
        ++pos;
        if (pos < buf.size() && (buf[pos] == '+' || buf[pos] == '-'))
          ++pos;
        if (pos < buf.size() && std::isdigit((unsigned char)buf[pos])) {
          isFloat = true;
          digits();
        } else {
          pos = save;
        }
      }
    }
    if (pos < buf.size() &&
        (std::isalpha((unsigned char)buf[pos]) || buf[pos] == '_')) {
      while (pos < buf.size() && std::isalnum((unsigned char)buf[pos]))
        ++pos;
      error(start, "invalid number literal '" + buf.slice(start, pos) + "'");
      return;
    }
    push(isFloat ? TokenKind::Float : TokenKind::Int, start, pos - start);
  }

  void lexString(size_t start) {
    while (buf[pos] != '"' && buf[pos] != '\'')
      ++pos;
    char quote = buf[pos];
    bool triple =
        pos + 2 < buf.size() && buf[pos + 1] == quote && buf[pos + 2] == quote;
    pos += triple ? 3 : 1;
    std::string value;
    while (true) {
      if (pos >= buf.size() || (!triple && buf[pos] == '\n')) {
        error(start, "unterminated string literal");
        return;
      }
      char c = buf[pos];
      if (c == '\\' && pos + 1 < buf.size()) {
        char n = buf[pos + 1];
        value += n == 'n' ? '\n' : n == 't' ? '\t' : n;
        pos += 2;
        continue;
      }
      if (c == quote) {
        if (!triple) {
          ++pos;
          break;
        }
        if (pos + 2 < buf.size() && buf[pos + 1] == quote &&
            buf[pos + 2] == quote) {
          pos += 3;
          break;
        }
      }
      value += c;
      ++pos;
    }
    push(TokenKind::String, start, pos - start);
    tokens.back().value = std::move(value);
  }

  void lexOperator() {
    static const char *const ops[] = {
        "**=", "//=", ">>=", "<<=", "...", "->", "**", "//", "==", "!=",
        "<=",  ">=",  "+=",  "-=",  "*=",  "/=", "%=", "@=", "&=", "|=",
        "^=",  ":=",  "<<",  ">>",  "+",   "-",  "*",  "/",  "%",  "@",
        "<",   ">",   "=",   "(",   ")",   "[",  "]",  "{",  "}",  ",",
        ":",   ".",   ";",   "&",   "|",   "^",  "~"};
    StringRef rest = buf.substr(pos);
    for (const char *op : ops) {
      if (rest.starts_with(op)) {
        size_t len = std::strlen(op);
        if (len == 1 && std::strchr("([{", op[0]))
          ++depth;
        if (len == 1 && std::strchr(")]}", op[0]) && depth > 0)
          --depth;
        push(TokenKind::Op, pos, len);
        pos += len;
        return;
      }
    }
    unsigned char c = buf[pos];
    if (c >= 0x80 || !std::isprint(c))
      error(pos, "unexpected byte 0x" + llvm::utohexstr(c, /*LowerCase=*/true) +
                     " in source (only ASCII outside strings and comments)");
    else
      error(pos, "unexpected character '" + buf.substr(pos, 1) + "'");
    ++pos;
  }
};

} // namespace

std::vector<Token> spore::frontend::tokenize(StringRef buffer,
                                             Diagnostics &diags) {
  return Lexer(buffer, diags).run();
}
