//===- SignlessIntegers.cpp - Unsigned integer types become signless ------===//
//
// The importer keeps ONNX's unsigned tensors as ui<N> elements so that each
// op picks unsigned arithmetic while it is built; the scalar code already
// works on signless values through unrealized casts. Here the types follow:
// every ui<N> in the module becomes i<N> (values, block arguments, function
// types, constants and resource blobs alike), and the casts, now identities,
// go. The bits never change, only what the types claim about them.
//
//===----------------------------------------------------------------------===//

#include "onebit/Transforms/Passes.h"

#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace onebit {
#define GEN_PASS_DEF_SIGNLESSINTEGERS
#include "onebit/Passes.h.inc"
} // namespace onebit

using namespace mlir;

namespace {

/// `type` with a signless element type, or null when it has no unsigned one.
ShapedType signlessShaped(ShapedType type) {
  auto element = dyn_cast<IntegerType>(type.getElementType());
  if (!element || element.isSignless())
    return {};
  return type.clone(IntegerType::get(type.getContext(), element.getWidth()));
}

struct SignlessIntegers : onebit::impl::SignlessIntegersBase<SignlessIntegers> {
  void runOnOperation() override {
    AttrTypeReplacer replacer;
    replacer.addReplacement([](IntegerType type) -> std::optional<Type> {
      if (type.isSignless())
        return std::nullopt;
      return IntegerType::get(type.getContext(), type.getWidth());
    });
    // Elements attributes hold their type beside raw bytes: the same bytes
    // under the signless type.
    replacer.addReplacement(
        [](DenseIntOrFPElementsAttr attr) -> std::optional<Attribute> {
          if (ShapedType type = signlessShaped(attr.getType()))
            return cast<DenseElementsAttr>(attr).bitcast(type.getElementType());
          return std::nullopt;
        });
    replacer.addReplacement(
        [](DenseResourceElementsAttr attr) -> std::optional<Attribute> {
          if (ShapedType type = signlessShaped(attr.getType()))
            return DenseResourceElementsAttr::get(type, attr.getRawHandle());
          return std::nullopt;
        });
    replacer.recursivelyReplaceElementsIn(getOperation(),
                                          /*replaceAttrs=*/true,
                                          /*replaceLocs=*/false,
                                          /*replaceTypes=*/true);

    getOperation()->walk([](UnrealizedConversionCastOp cast) {
      if (cast->getNumOperands() == 1 && cast->getNumResults() == 1 &&
          cast.getOperand(0).getType() == cast.getResult(0).getType()) {
        cast.getResult(0).replaceAllUsesWith(cast.getOperand(0));
        cast.erase();
      }
    });
  }
};

} // namespace
