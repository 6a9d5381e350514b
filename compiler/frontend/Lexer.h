//===- Lexer.h - tokens of the model language -------------------*- C++ -*-===//
//
// Splits Python-syntax model source into tokens, with INDENT/DEDENT tokens
// for indentation and NEWLINE at the end of each logical line.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_FRONTEND_LEXER_H
#define SPORE_FRONTEND_LEXER_H

#include "compiler/frontend/Diagnostics.h"

#include "llvm/ADT/StringRef.h"
#include <string>
#include <vector>

namespace spore::frontend {

enum class TokenKind {
  Eof,
  Newline,
  Indent,
  Dedent,
  Name,
  Int,
  Float,
  String,
  Keyword,
  Op, // operators and punctuation: spelling in `text`
  Error,
};

struct Token {
  TokenKind kind;
  llvm::StringRef text; // the spelling in the source buffer
  llvm::SMLoc loc;
  std::string value; // decoded string literal contents

  bool is(TokenKind k) const { return kind == k; }
  bool isOp(llvm::StringRef spelling) const {
    return kind == TokenKind::Op && text == spelling;
  }
  bool isKeyword(llvm::StringRef word) const {
    return kind == TokenKind::Keyword && text == word;
  }
};

/// Tokenises a whole buffer. Malformed input yields diagnostics and Error
/// tokens, never a crash.
std::vector<Token> tokenize(llvm::StringRef buffer, Diagnostics &diags);

/// Whether `word` is a Python keyword.
bool isKeyword(llvm::StringRef word);

} // namespace spore::frontend

#endif // SPORE_FRONTEND_LEXER_H
