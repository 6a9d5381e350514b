//===- AST.h - syntax tree of the model language ----------------*- C++ -*-===//
//
// The parser's output: expressions and statements of the Python subset in
// language.md, each with its source location. The tree owns its children.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_FRONTEND_AST_H
#define SPORE_FRONTEND_AST_H

#include "llvm/Support/SMLoc.h"
#include <memory>
#include <string>
#include <vector>

namespace spore::frontend::ast {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind {
  Name,
  Int,
  Float,
  Bool,
  None,
  String,
  Ellipsis,
  Tuple,
  List,
  Unary,   // op: "-", "+", "~", "not"
  Binary,  // op: "+", "-", "*", "/", "//", "%", "**", "@", "&", "|", "^", "<<",
           // ">>"
  BoolOp,  // op: "and", "or"; operands in `elts`
  Compare, // `elts` are the operands, `ops` the comparison operators
  IfExp,   // a if cond else b: `lhs` = a, `cond`, `rhs` = b
  Call,    // `lhs` is the callee; `elts` positional, `keywords` named
  Attribute, // `lhs`.name
  Subscript, // `lhs`[`rhs`]; a multi-index is a Tuple
  Slice,     // `lhs`:`rhs`:`cond` (each may be null)
  Lambda,    // params and `lhs` as the body
  Starred,   // *`lhs`
};

struct Param {
  std::string name;
  llvm::SMLoc loc;
  ExprPtr annotation;   // may be null
  ExprPtr defaultValue; // may be null
};

struct Keyword {
  std::string name;
  llvm::SMLoc loc;
  ExprPtr value;
};

struct Expr {
  ExprKind kind;
  llvm::SMLoc loc;
  std::string name; // Name, Attribute, String contents, operator spelling
  int64_t intValue = 0;
  double floatValue = 0;
  bool boolValue = false;
  bool intOverflow = false; // an Int literal too large for i64
  ExprPtr lhs, rhs, cond;
  std::vector<ExprPtr> elts;
  std::vector<std::string> ops;
  std::vector<Keyword> keywords;
  /// Lambda: the function it defines, desugared by the parser to a
  /// FunctionDef named "<lambda>" whose body returns the expression.
  std::shared_ptr<Stmt> def;

  Expr(ExprKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
  Expr(const Expr &) = delete;
  Expr &operator=(const Expr &) = delete;
  /// Frees the subtrees without recursion: a line of 500,000 additions is a
  /// tree that deep, and recursive destruction overflowed the stack.
  ~Expr() {
    std::vector<ExprPtr> pending;
    auto detach = [&pending](Expr &e) {
      for (ExprPtr *child : {&e.lhs, &e.rhs, &e.cond})
        if (*child)
          pending.push_back(std::move(*child));
      for (ExprPtr &child : e.elts)
        if (child)
          pending.push_back(std::move(child));
      for (Keyword &k : e.keywords)
        if (k.value)
          pending.push_back(std::move(k.value));
    };
    detach(*this);
    while (!pending.empty()) {
      ExprPtr e = std::move(pending.back());
      pending.pop_back();
      detach(*e);
    } // each `e` is freed here, childless
  }
};

enum class StmtKind {
  Expr,
  Assign,    // targets = value (chained assignment keeps every target)
  AugAssign, // target op= value
  AnnAssign, // target: annotation [= value]
  If,
  For,
  While,
  Break,
  Continue,
  Return,
  Pass,
  Assert,
  FunctionDef,
  ClassDef,
  Import,      // import a.b [as c], ...
  ImportFrom,  // from a import b [as c], ... | *
  Unsupported, // a Python statement outside the language: `keyword` names it
};

struct Stmt {
  StmtKind kind;
  llvm::SMLoc loc;
  std::vector<ExprPtr>
      targets;        // Assign targets; AugAssign/AnnAssign/For target
  ExprPtr value;      // Assign/AugAssign/AnnAssign value; Return value; Expr;
                      // If/While condition; For iterable; Assert condition
  ExprPtr annotation; // AnnAssign
  ExprPtr message;    // Assert message
  std::string op;     // AugAssign operator ("+", ...)
  Body body, orelse;  // If/For/While/FunctionDef/ClassDef bodies
  // FunctionDef / ClassDef
  std::string name;
  std::vector<Param> params;
  ExprPtr returns;
  std::vector<ExprPtr> decorators;
  std::vector<ExprPtr> bases;
  // Import / ImportFrom: module path and imported names
  std::string module;
  std::vector<std::string> names;
  std::string keyword; // Unsupported

  Stmt(StmtKind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}
};

struct Module {
  Body body;
};

} // namespace spore::frontend::ast

#endif // SPORE_FRONTEND_AST_H
