//===- SporeDialect.cpp - the spore dialect -------------------------------===//
//
// Registers the ops and types of the spore dialect (types are all ODS).
//
//===----------------------------------------------------------------------===//

#include "dialects/spore/SporeDialect.h"
#include "dialects/spore/SporeOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace spore;

#include "dialects/spore/SporeDialect.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/spore/SporeTypes.cpp.inc"

void SporeDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/spore/SporeOps.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/spore/SporeTypes.cpp.inc"
      >();
}

Operation *SporeDialect::materializeConstant(OpBuilder &builder,
                                             Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
