//===- SporeDialect.h - the spore dialect -----------------------*- C++ -*-===//
//
// Declares the spore dialect and its types.
//
//===----------------------------------------------------------------------===//

#ifndef SPORE_DIALECT_SPOREDIALECT_H
#define SPORE_DIALECT_SPOREDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/spore/SporeDialect.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/spore/SporeTypes.h.inc"

#endif // SPORE_DIALECT_SPOREDIALECT_H
