//===- Parser.cpp - recursive-descent parser ------------------------------===//
//
// Python 3's expression precedence and statement structure, for the subset
// in language.md. Every function returns null after reporting an error and
// the parse stops there: one precise message beats a cascade.
//
//===----------------------------------------------------------------------===//

#include "compiler/frontend/Parser.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MemoryBuffer.h"
#include <cerrno>
#include <cstdlib>

using namespace spore::frontend;
using namespace spore::frontend::ast;
using llvm::SMLoc;
using llvm::StringRef;

namespace {

/// Deeper nesting than this is refused, so that hostile input cannot
/// overflow the stack.
constexpr unsigned kMaxDepth = 200;

class Parser {
public:
  Parser(std::vector<Token> tokens, Diagnostics &diags)
      : toks(std::move(tokens)), diags(diags) {}

  std::optional<Module> parseModule() {
    Module module;
    while (!cur().is(TokenKind::Eof)) {
      if (cur().is(TokenKind::Newline)) {
        ++idx;
        continue;
      }
      if (cur().is(TokenKind::Indent)) {
        error("unexpected indent");
        return std::nullopt;
      }
      if (!parseStatementInto(module.body))
        return std::nullopt;
    }
    return module;
  }

private:
  std::vector<Token> toks;
  Diagnostics &diags;
  size_t idx = 0;
  unsigned depth = 0;
  bool failed = false;

  struct DepthGuard {
    Parser &p;
    explicit DepthGuard(Parser &p) : p(p) { ++p.depth; }
    ~DepthGuard() { --p.depth; }
  };

  const Token &cur() const { return toks[idx]; }
  const Token &peek(size_t n = 1) const {
    return toks[std::min(idx + n, toks.size() - 1)];
  }
  bool atOp(StringRef s) const { return cur().isOp(s); }
  bool atKeyword(StringRef s) const { return cur().isKeyword(s); }

  std::nullptr_t error(const llvm::Twine &msg) {
    return errorAt(cur().loc, msg);
  }
  std::nullptr_t errorAt(SMLoc loc, const llvm::Twine &msg) {
    if (!failed)
      diags.error(loc, msg);
    failed = true;
    return nullptr;
  }

  std::string describe(const Token &t) {
    switch (t.kind) {
    case TokenKind::Eof:
      return "end of file";
    case TokenKind::Newline:
      return "end of line";
    case TokenKind::Indent:
      return "indent";
    case TokenKind::Dedent:
      return "dedent";
    default:
      return "'" + t.text.str() + "'";
    }
  }

  bool expectOp(StringRef s, StringRef context = "") {
    if (atOp(s)) {
      ++idx;
      return true;
    }
    error("expected '" + s + "'" + (context.empty() ? "" : " " + context) +
          ", found " + describe(cur()));
    return false;
  }

  bool tooDeep() {
    if (depth > kMaxDepth) {
      error("nesting is too deep (more than " + llvm::Twine(kMaxDepth) +
            " levels)");
      return true;
    }
    return false;
  }

  ExprPtr make(ExprKind kind, SMLoc loc) {
    return std::make_unique<Expr>(kind, loc);
  }

  //===--------------------------------------------------------------------===//
  // Statements
  //===--------------------------------------------------------------------===//

  bool parseStatementInto(Body &body) {
    DepthGuard guard(*this);
    if (tooDeep())
      return false;
    const Token &t = cur();
    if (t.kind == TokenKind::Keyword) {
      StringRef k = t.text;
      if (k == "if")
        return push(body, parseIf());
      if (k == "for")
        return push(body, parseFor());
      if (k == "while")
        return push(body, parseWhile());
      if (k == "def")
        return push(body, parseDef({}));
      if (k == "class")
        return push(body, parseClass({}));
      if (k == "with" || k == "try" || k == "async" || k == "except" ||
          k == "finally" || k == "else" || k == "elif")
        return (bool)error(
            "'" + k + "' " +
            (k == "else" || k == "elif" || k == "except" || k == "finally"
                 ? "without a matching statement"
                 : "statements are not part of the Spore "
                   "language"));
    }
    if (atOp("@"))
      return push(body, parseDecorated());
    return parseSimpleLine(body);
  }

  bool push(Body &body, StmtPtr stmt) {
    if (!stmt)
      return false;
    body.push_back(std::move(stmt));
    return true;
  }

  /// simple_stmt (';' simple_stmt)* NEWLINE
  bool parseSimpleLine(Body &body) {
    while (true) {
      StmtPtr s = parseSimple();
      if (!s)
        return false;
      body.push_back(std::move(s));
      if (atOp(";")) {
        ++idx;
        if (cur().is(TokenKind::Newline))
          break;
        continue;
      }
      break;
    }
    if (cur().is(TokenKind::Eof))
      return true;
    if (!cur().is(TokenKind::Newline)) {
      error("expected end of line, found " + describe(cur()));
      return false;
    }
    ++idx;
    return true;
  }

  StmtPtr parseSimple() {
    const Token &t = cur();
    SMLoc loc = t.loc;
    if (t.kind == TokenKind::Keyword) {
      StringRef k = t.text;
      if (k == "pass" || k == "break" || k == "continue") {
        ++idx;
        return std::make_unique<Stmt>(k == "pass"    ? StmtKind::Pass
                                      : k == "break" ? StmtKind::Break
                                                     : StmtKind::Continue,
                                      loc);
      }
      if (k == "return") {
        ++idx;
        auto s = std::make_unique<Stmt>(StmtKind::Return, loc);
        if (!cur().is(TokenKind::Newline) && !atOp(";") &&
            !cur().is(TokenKind::Eof)) {
          s->value = parseExprList();
          if (!s->value)
            return nullptr;
        }
        return s;
      }
      if (k == "assert") {
        ++idx;
        auto s = std::make_unique<Stmt>(StmtKind::Assert, loc);
        if (!(s->value = parseTest()))
          return nullptr;
        if (atOp(",")) {
          ++idx;
          if (!(s->message = parseTest()))
            return nullptr;
        }
        return s;
      }
      if (k == "import")
        return parseImport();
      if (k == "from")
        return parseFromImport();
      if (k == "del" || k == "global" || k == "nonlocal" || k == "raise" ||
          k == "yield" || k == "await") {
        return error("'" + k +
                     "' statements are not part of the Spore "
                     "language");
      }
    }
    ExprPtr first = parseExprList(/*allowStar=*/true);
    if (!first)
      return nullptr;
    if (atOp("=")) {
      auto s = std::make_unique<Stmt>(StmtKind::Assign, loc);
      s->targets.push_back(std::move(first));
      while (atOp("=")) {
        ++idx;
        ExprPtr next = parseExprList(/*allowStar=*/true);
        if (!next)
          return nullptr;
        s->targets.push_back(std::move(next));
      }
      s->value = std::move(s->targets.back());
      s->targets.pop_back();
      for (auto &target : s->targets)
        if (!checkTarget(*target))
          return nullptr;
      return s;
    }
    if (atOp(":")) {
      ++idx;
      auto s = std::make_unique<Stmt>(StmtKind::AnnAssign, loc);
      if (first->kind != ExprKind::Name)
        return errorAt(first->loc, "only a plain name can be annotated");
      s->targets.push_back(std::move(first));
      if (!(s->annotation = parseTest()))
        return nullptr;
      if (atOp("=")) {
        ++idx;
        if (!(s->value = parseExprList()))
          return nullptr;
      }
      return s;
    }
    static const char *const augOps[] = {
        "+=", "-=", "*=", "/=", "//=", "%=", "**=",
        "@=", "&=", "|=", "^=", "<<=", ">>="};
    for (const char *op : augOps) {
      if (atOp(op)) {
        ++idx;
        auto s = std::make_unique<Stmt>(StmtKind::AugAssign, loc);
        if (first->kind != ExprKind::Name &&
            first->kind != ExprKind::Subscript &&
            first->kind != ExprKind::Attribute)
          return errorAt(first->loc, "illegal target for augmented assignment");
        s->op = StringRef(op).drop_back().str();
        s->targets.push_back(std::move(first));
        if (!(s->value = parseExprList()))
          return nullptr;
        return s;
      }
    }
    if (atOp(":="))
      return error("assignment expressions (':=') are not part of the Spore "
                   "language");
    auto s = std::make_unique<Stmt>(StmtKind::Expr, loc);
    s->value = std::move(first);
    return s;
  }

  bool checkTarget(const Expr &e) {
    switch (e.kind) {
    case ExprKind::Name:
    case ExprKind::Subscript:
    case ExprKind::Attribute:
      return true;
    case ExprKind::Tuple:
    case ExprKind::List:
      for (auto &elt : e.elts)
        if (!checkTarget(*elt))
          return false;
      return true;
    case ExprKind::Starred:
      return checkTarget(*e.lhs);
    default:
      errorAt(e.loc, "cannot assign to this expression");
      return false;
    }
  }

  std::string dottedName() {
    std::string name;
    while (true) {
      if (!cur().is(TokenKind::Name)) {
        error("expected a module name, found " + describe(cur()));
        return "";
      }
      name += cur().text.str();
      ++idx;
      if (!atOp("."))
        return name;
      name += ".";
      ++idx;
    }
  }

  bool optionalAlias() {
    if (!atKeyword("as"))
      return true;
    ++idx;
    if (!cur().is(TokenKind::Name)) {
      error("expected a name after 'as'");
      return false;
    }
    ++idx;
    return true;
  }

  StmtPtr parseImport() {
    auto s = std::make_unique<Stmt>(StmtKind::Import, cur().loc);
    ++idx;
    while (true) {
      std::string name = dottedName();
      if (name.empty() || !optionalAlias())
        return nullptr;
      s->names.push_back(name);
      if (!atOp(","))
        return s;
      ++idx;
    }
  }

  StmtPtr parseFromImport() {
    auto s = std::make_unique<Stmt>(StmtKind::ImportFrom, cur().loc);
    ++idx;
    s->module = dottedName();
    if (s->module.empty())
      return nullptr;
    if (!atKeyword("import"))
      return error("expected 'import', found " + describe(cur()));
    ++idx;
    if (atOp("*")) {
      ++idx;
      s->names.push_back("*");
      return s;
    }
    bool paren = atOp("(");
    if (paren)
      ++idx;
    while (true) {
      if (!cur().is(TokenKind::Name))
        return error("expected a name to import, found " + describe(cur()));
      s->names.push_back(cur().text.str());
      ++idx;
      if (!optionalAlias())
        return nullptr;
      if (!atOp(","))
        break;
      ++idx;
      if (paren && atOp(")"))
        break;
    }
    if (paren && !expectOp(")"))
      return nullptr;
    return s;
  }

  /// ':' NEWLINE INDENT stmt+ DEDENT, or ':' simple statements on one line.
  bool parseBlock(Body &body, StringRef what) {
    if (!expectOp(":", "after " + what.str()))
      return false;
    if (!cur().is(TokenKind::Newline))
      return parseSimpleLine(body);
    ++idx;
    if (!cur().is(TokenKind::Indent)) {
      error("expected an indented block after " + what);
      return false;
    }
    ++idx;
    while (!cur().is(TokenKind::Dedent) && !cur().is(TokenKind::Eof)) {
      if (cur().is(TokenKind::Indent)) {
        error("unexpected indent");
        return false;
      }
      if (!parseStatementInto(body))
        return false;
    }
    if (cur().is(TokenKind::Dedent))
      ++idx;
    return true;
  }

  StmtPtr parseIf() {
    auto s = std::make_unique<Stmt>(StmtKind::If, cur().loc);
    ++idx;
    if (!(s->value = parseNamedTest()) || !parseBlock(s->body, "'if'"))
      return nullptr;
    if (atKeyword("elif")) {
      // elif becomes a nested if in the else branch.
      StmtPtr nested = parseIf();
      if (!nested)
        return nullptr;
      s->orelse.push_back(std::move(nested));
    } else if (atKeyword("else")) {
      ++idx;
      if (!parseBlock(s->orelse, "'else'"))
        return nullptr;
    }
    return s;
  }

  StmtPtr parseFor() {
    auto s = std::make_unique<Stmt>(StmtKind::For, cur().loc);
    ++idx;
    ExprPtr target = parseTargetList();
    if (!target || !checkTarget(*target))
      return nullptr;
    s->targets.push_back(std::move(target));
    if (!atKeyword("in"))
      return error("expected 'in' in 'for' statement, found " +
                   describe(cur()));
    ++idx;
    if (!(s->value = parseExprList()) || !parseBlock(s->body, "'for'"))
      return nullptr;
    if (atKeyword("else"))
      return error("'for ... else' is not part of the Spore language");
    return s;
  }

  StmtPtr parseWhile() {
    auto s = std::make_unique<Stmt>(StmtKind::While, cur().loc);
    ++idx;
    if (!(s->value = parseNamedTest()) || !parseBlock(s->body, "'while'"))
      return nullptr;
    if (atKeyword("else"))
      return error("'while ... else' is not part of the Spore language");
    return s;
  }

  StmtPtr parseDecorated() {
    std::vector<ExprPtr> decorators;
    while (atOp("@")) {
      ++idx;
      ExprPtr d = parseTest();
      if (!d)
        return nullptr;
      decorators.push_back(std::move(d));
      if (!cur().is(TokenKind::Newline))
        return error("expected end of line after decorator, found " +
                     describe(cur()));
      ++idx;
    }
    if (atKeyword("def"))
      return parseDef(std::move(decorators));
    if (atKeyword("class"))
      return parseClass(std::move(decorators));
    return error("expected 'def' or 'class' after a decorator, found " +
                 describe(cur()));
  }

  bool parseParams(std::vector<Param> &params, StringRef close,
                   bool annotations) {
    bool seenDefault = false;
    while (!atOp(close)) {
      Param p;
      p.loc = cur().loc;
      if (atOp("*") || atOp("**")) {
        error("variadic parameters ('*args', '**kwargs') are not part of the "
              "Spore language");
        return false;
      }
      if (!cur().is(TokenKind::Name)) {
        error("expected a parameter name, found " + describe(cur()));
        return false;
      }
      p.name = cur().text.str();
      ++idx;
      for (auto &other : params)
        if (other.name == p.name) {
          errorAt(p.loc, "duplicate parameter '" + p.name + "'");
          return false;
        }
      if (annotations && atOp(":")) {
        ++idx;
        if (!(p.annotation = parseTest()))
          return false;
      }
      if (atOp("=")) {
        ++idx;
        if (!(p.defaultValue = parseTest()))
          return false;
        seenDefault = true;
      } else if (seenDefault) {
        errorAt(p.loc, "parameter without a default follows a parameter "
                       "with a default");
        return false;
      }
      params.push_back(std::move(p));
      if (!atOp(","))
        break;
      ++idx;
    }
    return true;
  }

  StmtPtr parseDef(std::vector<ExprPtr> decorators) {
    auto s = std::make_unique<Stmt>(StmtKind::FunctionDef, cur().loc);
    s->decorators = std::move(decorators);
    ++idx;
    if (!cur().is(TokenKind::Name))
      return error("expected a function name, found " + describe(cur()));
    s->name = cur().text.str();
    s->loc = cur().loc;
    ++idx;
    if (!expectOp("(", "after the function name") ||
        !parseParams(s->params, ")", /*annotations=*/true) || !expectOp(")"))
      return nullptr;
    if (atOp("->")) {
      ++idx;
      if (!(s->returns = parseTest()))
        return nullptr;
    }
    if (!parseBlock(s->body, "the function definition"))
      return nullptr;
    return s;
  }

  StmtPtr parseClass(std::vector<ExprPtr> decorators) {
    auto s = std::make_unique<Stmt>(StmtKind::ClassDef, cur().loc);
    s->decorators = std::move(decorators);
    ++idx;
    if (!cur().is(TokenKind::Name))
      return error("expected a class name, found " + describe(cur()));
    s->name = cur().text.str();
    s->loc = cur().loc;
    ++idx;
    if (atOp("(")) {
      ++idx;
      while (!atOp(")")) {
        ExprPtr base = parseTest();
        if (!base)
          return nullptr;
        s->bases.push_back(std::move(base));
        if (!atOp(","))
          break;
        ++idx;
      }
      if (!expectOp(")"))
        return nullptr;
    }
    if (!parseBlock(s->body, "the class definition"))
      return nullptr;
    return s;
  }

  //===--------------------------------------------------------------------===//
  // Expressions
  //===--------------------------------------------------------------------===//

  /// Whether the current token can start an expression.
  bool startsExpr() {
    const Token &t = cur();
    switch (t.kind) {
    case TokenKind::Name:
    case TokenKind::Int:
    case TokenKind::Float:
    case TokenKind::String:
      return true;
    case TokenKind::Keyword:
      return t.text == "True" || t.text == "False" || t.text == "None" ||
             t.text == "not" || t.text == "lambda";
    case TokenKind::Op:
      return t.text == "(" || t.text == "[" || t.text == "-" || t.text == "+" ||
             t.text == "~" || t.text == "..." || t.text == "*" || t.text == "{";
    default:
      return false;
    }
  }

  /// test (',' test)* [','] — a bare tuple when there is a comma.
  ExprPtr parseExprList(bool allowStar = false) {
    SMLoc loc = cur().loc;
    ExprPtr first = allowStar && atOp("*") ? parseStarred() : parseTest();
    if (!first || !atOp(","))
      return first;
    auto tuple = make(ExprKind::Tuple, loc);
    tuple->elts.push_back(std::move(first));
    while (atOp(",")) {
      ++idx;
      if (!startsExpr())
        break;
      ExprPtr next = allowStar && atOp("*") ? parseStarred() : parseTest();
      if (!next)
        return nullptr;
      tuple->elts.push_back(std::move(next));
    }
    return tuple;
  }

  ExprPtr parseStarred() {
    auto e = make(ExprKind::Starred, cur().loc);
    ++idx;
    if (!(e->lhs = parseOr()))
      return nullptr;
    return e;
  }

  /// The target of a `for`: or-expressions separated by commas (stops at in).
  ExprPtr parseTargetList() {
    SMLoc loc = cur().loc;
    ExprPtr first = parseBitOr();
    if (!first || !atOp(","))
      return first;
    auto tuple = make(ExprKind::Tuple, loc);
    tuple->elts.push_back(std::move(first));
    while (atOp(",")) {
      ++idx;
      if (atKeyword("in"))
        break;
      ExprPtr next = parseBitOr();
      if (!next)
        return nullptr;
      tuple->elts.push_back(std::move(next));
    }
    return tuple;
  }

  ExprPtr parseNamedTest() {
    ExprPtr e = parseTest();
    if (e && atOp(":="))
      return error("assignment expressions (':=') are not part of the Spore "
                   "language");
    return e;
  }

  /// test: lambda | or_test ['if' or_test 'else' test]
  ExprPtr parseTest() {
    DepthGuard guard(*this);
    if (tooDeep())
      return nullptr;
    if (atKeyword("lambda"))
      return parseLambda();
    ExprPtr e = parseOr();
    if (!e || !atKeyword("if"))
      return e;
    auto ifExp = make(ExprKind::IfExp, cur().loc);
    ++idx;
    ifExp->lhs = std::move(e);
    if (!(ifExp->cond = parseOr()))
      return nullptr;
    if (!atKeyword("else"))
      return error("expected 'else' in conditional expression, found " +
                   describe(cur()));
    ++idx;
    if (!(ifExp->rhs = parseTest()))
      return nullptr;
    return ifExp;
  }

  ExprPtr parseLambda() {
    auto e = make(ExprKind::Lambda, cur().loc);
    auto def = std::make_shared<Stmt>(StmtKind::FunctionDef, cur().loc);
    def->name = "<lambda>";
    ++idx;
    if (!parseParams(def->params, ":", /*annotations=*/false) ||
        !expectOp(":", "in lambda"))
      return nullptr;
    auto ret = std::make_unique<Stmt>(StmtKind::Return, cur().loc);
    if (!(ret->value = parseTest()))
      return nullptr;
    def->body.push_back(std::move(ret));
    e->def = std::move(def);
    return e;
  }

  ExprPtr parseBoolOp(StringRef keyword, ExprPtr (Parser::*next)()) {
    ExprPtr first = (this->*next)();
    if (!first || !atKeyword(keyword))
      return first;
    auto e = make(ExprKind::BoolOp, first->loc);
    e->name = keyword.str();
    e->elts.push_back(std::move(first));
    while (atKeyword(keyword)) {
      ++idx;
      ExprPtr operand = (this->*next)();
      if (!operand)
        return nullptr;
      e->elts.push_back(std::move(operand));
    }
    return e;
  }

  ExprPtr parseOr() { return parseBoolOp("or", &Parser::parseAnd); }
  ExprPtr parseAnd() { return parseBoolOp("and", &Parser::parseNot); }

  ExprPtr parseNot() {
    if (!atKeyword("not"))
      return parseComparison();
    DepthGuard guard(*this);
    if (tooDeep())
      return nullptr;
    auto e = make(ExprKind::Unary, cur().loc);
    e->name = "not";
    ++idx;
    if (!(e->lhs = parseNot()))
      return nullptr;
    return e;
  }

  /// The comparison operator at the cursor (consumed), or "".
  std::string comparisonOp() {
    for (StringRef op : {"<", ">", "==", ">=", "<=", "!="})
      if (atOp(op)) {
        ++idx;
        return op.str();
      }
    if (atKeyword("in")) {
      ++idx;
      return "in";
    }
    if (atKeyword("not") && peek().isKeyword("in")) {
      idx += 2;
      return "not in";
    }
    if (atKeyword("is")) {
      ++idx;
      if (atKeyword("not")) {
        ++idx;
        return "is not";
      }
      return "is";
    }
    return "";
  }

  ExprPtr parseComparison() {
    ExprPtr first = parseBitOr();
    if (!first)
      return nullptr;
    SMLoc loc = cur().loc;
    std::string op = comparisonOp();
    if (op.empty())
      return first;
    auto e = make(ExprKind::Compare, loc);
    e->elts.push_back(std::move(first));
    while (!op.empty()) {
      e->ops.push_back(op);
      ExprPtr next = parseBitOr();
      if (!next)
        return nullptr;
      e->elts.push_back(std::move(next));
      op = comparisonOp();
    }
    return e;
  }

  ExprPtr parseBinaryLevel(std::initializer_list<StringRef> ops,
                           ExprPtr (Parser::*next)()) {
    ExprPtr lhs = (this->*next)();
    while (lhs) {
      StringRef matched;
      for (StringRef op : ops)
        if (atOp(op))
          matched = op;
      if (matched.empty())
        return lhs;
      auto e = make(ExprKind::Binary, cur().loc);
      e->name = matched.str();
      ++idx;
      e->lhs = std::move(lhs);
      if (!(e->rhs = (this->*next)()))
        return nullptr;
      lhs = std::move(e);
    }
    return lhs;
  }

  ExprPtr parseBitOr() { return parseBinaryLevel({"|"}, &Parser::parseBitXor); }
  ExprPtr parseBitXor() {
    return parseBinaryLevel({"^"}, &Parser::parseBitAnd);
  }
  ExprPtr parseBitAnd() { return parseBinaryLevel({"&"}, &Parser::parseShift); }
  ExprPtr parseShift() {
    return parseBinaryLevel({"<<", ">>"}, &Parser::parseArith);
  }
  ExprPtr parseArith() {
    return parseBinaryLevel({"+", "-"}, &Parser::parseTerm);
  }
  ExprPtr parseTerm() {
    return parseBinaryLevel({"*", "/", "//", "%", "@"}, &Parser::parseFactor);
  }

  ExprPtr parseFactor() {
    if (atOp("-") || atOp("+") || atOp("~")) {
      DepthGuard guard(*this);
      if (tooDeep())
        return nullptr;
      auto e = make(ExprKind::Unary, cur().loc);
      e->name = cur().text.str();
      ++idx;
      if (!(e->lhs = parseFactor()))
        return nullptr;
      return e;
    }
    return parsePower();
  }

  ExprPtr parsePower() {
    ExprPtr base = parsePrimary();
    if (!base || !atOp("**"))
      return base;
    auto e = make(ExprKind::Binary, cur().loc);
    e->name = "**";
    ++idx;
    e->lhs = std::move(base);
    if (!(e->rhs =
              parseFactor())) // right-associative, binds unary on the right
      return nullptr;
    return e;
  }

  ExprPtr parsePrimary() {
    ExprPtr e = parseAtom();
    while (e) {
      if (atOp("(")) {
        e = parseCall(std::move(e));
      } else if (atOp("[")) {
        auto sub = make(ExprKind::Subscript, cur().loc);
        ++idx;
        sub->lhs = std::move(e);
        if (!(sub->rhs = parseSubscriptList()) || !expectOp("]"))
          return nullptr;
        e = std::move(sub);
      } else if (atOp(".")) {
        ++idx;
        if (!cur().is(TokenKind::Name))
          return error("expected an attribute name after '.', found " +
                       describe(cur()));
        auto attr = make(ExprKind::Attribute, cur().loc);
        attr->name = cur().text.str();
        ++idx;
        attr->lhs = std::move(e);
        e = std::move(attr);
      } else {
        break;
      }
    }
    return e;
  }

  ExprPtr parseCall(ExprPtr callee) {
    DepthGuard guard(*this);
    if (tooDeep())
      return nullptr;
    // A call is located at its callee, where the reader's eye starts.
    auto call = make(ExprKind::Call, callee->loc);
    ++idx;
    call->lhs = std::move(callee);
    while (!atOp(")")) {
      if (atOp("**"))
        return error("'**' argument unpacking is not part of the Spore "
                     "language");
      if (cur().is(TokenKind::Name) && peek().isOp("=")) {
        Keyword kw;
        kw.name = cur().text.str();
        kw.loc = cur().loc;
        idx += 2;
        for (auto &other : call->keywords)
          if (other.name == kw.name)
            return errorAt(kw.loc,
                           "keyword argument '" + kw.name + "' repeated");
        if (!(kw.value = parseTest()))
          return nullptr;
        call->keywords.push_back(std::move(kw));
      } else {
        if (!call->keywords.empty())
          return error("positional argument follows keyword argument");
        ExprPtr arg = atOp("*") ? parseStarred() : parseTest();
        if (!arg)
          return nullptr;
        call->elts.push_back(std::move(arg));
      }
      if (!atOp(","))
        break;
      ++idx;
    }
    if (!expectOp(")", "to close the call"))
      return nullptr;
    return call;
  }

  /// One subscript item: an expression or a slice `a:b:c`.
  ExprPtr parseSubscriptItem() {
    SMLoc loc = cur().loc;
    ExprPtr start;
    if (!atOp(":")) {
      if (!(start = parseTest()))
        return nullptr;
      if (!atOp(":"))
        return start;
    }
    auto slice = make(ExprKind::Slice, loc);
    slice->lhs = std::move(start);
    ++idx; // ':'
    if (!atOp(":") && !atOp("]") && !atOp(",")) {
      if (!(slice->rhs = parseTest()))
        return nullptr;
    }
    if (atOp(":")) {
      ++idx;
      if (!atOp("]") && !atOp(",")) {
        if (!(slice->cond = parseTest()))
          return nullptr;
      }
    }
    return slice;
  }

  ExprPtr parseSubscriptList() {
    SMLoc loc = cur().loc;
    if (atOp("]"))
      return error("expected an index inside '[]'");
    ExprPtr first = parseSubscriptItem();
    if (!first || !atOp(","))
      return first;
    auto tuple = make(ExprKind::Tuple, loc);
    tuple->elts.push_back(std::move(first));
    while (atOp(",")) {
      ++idx;
      if (atOp("]"))
        break;
      ExprPtr next = parseSubscriptItem();
      if (!next)
        return nullptr;
      tuple->elts.push_back(std::move(next));
    }
    return tuple;
  }

  ExprPtr parseAtom() {
    DepthGuard guard(*this);
    if (tooDeep())
      return nullptr;
    const Token &t = cur();
    switch (t.kind) {
    case TokenKind::Name: {
      auto e = make(ExprKind::Name, t.loc);
      e->name = t.text.str();
      ++idx;
      return e;
    }
    case TokenKind::Int: {
      auto e = make(ExprKind::Int, t.loc);
      std::string digits;
      for (char c : t.text)
        if (c != '_')
          digits += c;
      StringRef text(digits);
      unsigned radix = 10;
      if (text.size() > 1 && text[0] == '0' && std::isalpha(text[1])) {
        char r = std::tolower(text[1]);
        radix = r == 'x' ? 16 : r == 'o' ? 8 : 2;
        text = text.drop_front(2);
      } else if (text.size() > 1 && text[0] == '0' &&
                 text.find_first_not_of('0') != StringRef::npos) {
        return error("leading zeros in a decimal integer literal are not "
                     "permitted; use an 0o prefix for octal");
      }
      uint64_t value = 0;
      if (text.empty() || text.getAsInteger(radix, value) ||
          value > (uint64_t)INT64_MAX)
        e->intOverflow = true;
      e->intValue = (int64_t)value;
      e->name = t.text.str();
      ++idx;
      return e;
    }
    case TokenKind::Float: {
      auto e = make(ExprKind::Float, t.loc);
      std::string digits;
      for (char c : t.text)
        if (c != '_')
          digits += c;
      e->floatValue = std::strtod(digits.c_str(), nullptr);
      e->name = t.text.str();
      ++idx;
      return e;
    }
    case TokenKind::String: {
      auto e = make(ExprKind::String, t.loc);
      e->name = t.value;
      ++idx;
      // Adjacent string literals concatenate.
      while (cur().is(TokenKind::String)) {
        e->name += cur().value;
        ++idx;
      }
      return e;
    }
    case TokenKind::Keyword:
      if (t.text == "True" || t.text == "False") {
        auto e = make(ExprKind::Bool, t.loc);
        e->boolValue = t.text == "True";
        ++idx;
        return e;
      }
      if (t.text == "None") {
        ++idx;
        return make(ExprKind::None, t.loc);
      }
      return error("expected an expression, found keyword '" + t.text + "'");
    case TokenKind::Op:
      if (t.text == "...") {
        ++idx;
        return make(ExprKind::Ellipsis, t.loc);
      }
      if (t.text == "(")
        return parseParenthesized();
      if (t.text == "[")
        return parseList();
      if (t.text == "{")
        return error("dict and set displays are not part of the Spore "
                     "language");
      return error("expected an expression, found " + describe(t));
    case TokenKind::Error:
      failed = true; // the lexer reported it
      return nullptr;
    default:
      return error("expected an expression, found " + describe(t));
    }
  }

  ExprPtr parseParenthesized() {
    SMLoc loc = cur().loc;
    ++idx;
    if (atOp(")")) {
      ++idx;
      return make(ExprKind::Tuple, loc);
    }
    ExprPtr first = atOp("*") ? parseStarred() : parseTest();
    if (!first)
      return nullptr;
    if (atKeyword("for"))
      return error("comprehensions are not part of the Spore language");
    if (atOp(")")) {
      ++idx;
      return first;
    }
    auto tuple = make(ExprKind::Tuple, loc);
    tuple->elts.push_back(std::move(first));
    while (atOp(",")) {
      ++idx;
      if (atOp(")"))
        break;
      ExprPtr next = atOp("*") ? parseStarred() : parseTest();
      if (!next)
        return nullptr;
      tuple->elts.push_back(std::move(next));
    }
    if (!expectOp(")", "to close the parenthesis"))
      return nullptr;
    return tuple;
  }

  ExprPtr parseList() {
    auto list = make(ExprKind::List, cur().loc);
    ++idx;
    while (!atOp("]")) {
      ExprPtr elt = atOp("*") ? parseStarred() : parseTest();
      if (!elt)
        return nullptr;
      if (atKeyword("for"))
        return error("comprehensions are not part of the Spore language");
      list->elts.push_back(std::move(elt));
      if (!atOp(","))
        break;
      ++idx;
    }
    if (!expectOp("]", "to close the list"))
      return nullptr;
    return list;
  }
};

} // namespace

std::optional<Module> spore::frontend::parseModule(unsigned bufferId,
                                                   Diagnostics &diags) {
  StringRef buffer =
      diags.getSourceMgr().getMemoryBuffer(bufferId)->getBuffer();
  std::vector<Token> tokens = tokenize(buffer, diags);
  if (diags.hasErrors())
    return std::nullopt;
  return Parser(std::move(tokens), diags).parseModule();
}
