//===- Parser.h - recursive-descent parser ----------------------*- C++ -*-===//
//
// Parses the whole grammar of language.md into an AST. Constructs that the
// later stages do not support yet still parse; syntax errors are reported
// with their location and parsing stops at the first one.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_FRONTEND_PARSER_H
#define SPORE_FRONTEND_PARSER_H

#include "compiler/frontend/AST.h"
#include "compiler/frontend/Diagnostics.h"
#include "compiler/frontend/Lexer.h"

#include <optional>

namespace spore::frontend {

/// Parses the buffer of `bufferId` in the diagnostics' SourceMgr. Returns
/// nothing after reporting an error.
std::optional<ast::Module> parseModule(unsigned bufferId, Diagnostics &diags);

} // namespace spore::frontend

#endif // SPORE_FRONTEND_PARSER_H
