// Unit tests of the lexer and parser.
#include "compiler/frontend/Lexer.h"
#include "compiler/frontend/Parser.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"
#include <catch2/catch.hpp>

using namespace spore::frontend;

namespace {
struct Source {
  llvm::SourceMgr sourceMgr;
  Diagnostics diags{sourceMgr};
  unsigned id;
  std::string errors;
  explicit Source(llvm::StringRef text) {
    id = sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(text, "test.py"), llvm::SMLoc());
    sourceMgr.setDiagHandler(
        [](const llvm::SMDiagnostic &d, void *ctx) {
          llvm::raw_string_ostream os(*static_cast<std::string *>(ctx));
          d.print("", os, false);
        },
        &errors);
  }
  std::vector<Token> tokens() {
    return tokenize(sourceMgr.getMemoryBuffer(id)->getBuffer(), diags);
  }
};

std::vector<TokenKind> kinds(const std::vector<Token> &tokens) {
  std::vector<TokenKind> k;
  for (auto &t : tokens)
    k.push_back(t.kind);
  return k;
}
} // namespace

TEST_CASE("indentation produces INDENT and DEDENT") {
  Source s("def f(x):\n    return x\n\n# comment\ny = 1\n");
  auto k = kinds(s.tokens());
  using K = TokenKind;
  std::vector<K> expected = {
      K::Keyword, K::Name,   K::Op,      K::Name,    K::Op,      K::Op,
      K::Newline, K::Indent, K::Keyword, K::Name,    K::Newline, K::Dedent,
      K::Name,    K::Op,     K::Int,     K::Newline, K::Eof};
  CHECK(k == expected);
  CHECK_FALSE(s.diags.hasErrors());
}

TEST_CASE("newlines inside brackets do not end the line") {
  Source s("x = (1,\n     2)\n");
  auto t = s.tokens();
  size_t newlines = 0;
  for (auto &tok : t)
    newlines += tok.is(TokenKind::Newline);
  CHECK(newlines == 1);
}

TEST_CASE("operators are lexed longest first") {
  Source s("a **= b // c -> d ... e\n");
  auto t = s.tokens();
  CHECK(t[1].text == "**=");
  CHECK(t[3].text == "//");
  CHECK(t[5].text == "->");
  CHECK(t[7].text == "...");
}

TEST_CASE("the parser builds precedence-correct trees") {
  Source s("y = -a ** 2 + b @ c * d\n");
  auto module = parseModule(s.id, s.diags);
  REQUIRE(module);
  const ast::Expr &e = *module->body[0]->value;
  REQUIRE(e.kind == ast::ExprKind::Binary);
  CHECK(e.name == "+");
  CHECK(e.lhs->kind == ast::ExprKind::Unary); // -(a ** 2)
  CHECK(e.lhs->lhs->name == "**");
  CHECK(e.rhs->name == "*"); // (b @ c) * d
  CHECK(e.rhs->lhs->name == "@");
}

TEST_CASE("the whole grammar parses, even what sema does not support yet") {
  Source s("from spore import *\n"
           "class Net(Cell):\n"
           "    def __init__(self, n: int):\n"
           "        self.w = Parameter(zeros((n,)), init=ones)\n"
           "@export\n"
           "def f(x: f32[3], k=2) -> f32[3]:\n"
           "    g = lambda y, z=1: y * z\n"
           "    for i in range(0, 10, 2):\n"
           "        if i % 2 == 0 and not False:\n"
           "            continue\n"
           "        elif i > 5:\n"
           "            break\n"
           "        else:\n"
           "            pass\n"
           "    while 0 < k <= 3:\n"
           "        k -= 1\n"
           "    a, (b, c) = x, (x[1:3:2, ..., None], x[-1])\n"
           "    x[0] = 1.0\n"
           "    assert k >= 0, 'negative'\n"
           "    return x if k else -x\n");
  auto module = parseModule(s.id, s.diags);
  CHECK(module);
  CHECK(s.errors.empty());
}

TEST_CASE("syntax errors are located and stop the parse") {
  Source s("def f(:\n    pass\n");
  auto module = parseModule(s.id, s.diags);
  CHECK_FALSE(module);
  CHECK(s.errors.find("test.py:1:7: error: expected a parameter name") !=
        std::string::npos);
}
