//===- OnebitToGPU.cpp - Bandwidth-minded GPU kernels for low-bit layers -===//
//
// ternary_linear and sign_linear become one gpu.launch each, designed for
// memory bandwidth rather than left to the generic one-thread-per-output
// mapping. Block (bx, by) has W warps (4 to 16, so that the blocks cover the
// N channels in about one round of the multiprocessors):
//
//   M >= 16 (prefill): each warp takes a tile of 64 rows and 32 channels on
//   tensor cores, each weight decode shared by the 64 rows
//   (MmaTileKernel.cpp);
//   M < 16 (decode): block row by takes row by alone: the block builds a
//   table of the row's subset sums once, and its warps stride over the
//   channels by lookups (TableGemvKernel.cpp).
//
// One launch, so the host never branches (and never waits) between layers.
// The planes are read as i32 words through a memref.view of the packed i8
// constant (its layout, N x planes x K/8 bytes, is unchanged), so K must be
// a multiple of 32; other layers are left to the reference lowering.
//
// Ownership-based buffer deallocation rejects GPU ops (their memory effects
// are unknown to it), so the lowering happens in two steps around
// bufferization: first the layer becomes a call to a declared kernel
// function, `onebit_gpu_layer_*`, on buffers; after bufferization each call
// is replaced by the launch itself (--onebit-define-gpu-layer-kernels).
//
//===----------------------------------------------------------------------===//

#include "LayerKernels.h"

#include "onebit/Conversion/Passes.h"
#include "onebit/Dialect/OnebitOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/Support/FormatVariadic.h"

namespace onebit {
#define GEN_PASS_DEF_LOWERTOGPUKERNELS
#define GEN_PASS_DEF_DEFINEGPULAYERKERNELS
#include "onebit/ConversionPasses.h.inc"
} // namespace onebit

using namespace mlir;
using namespace onebit;
using namespace onebit::gpu_kernels;

namespace {

/// The single-row schedule of a layer of this shape, or none where the
/// launch does not take it.
std::optional<GemvSchedule> scheduleFor(bool ternary, int64_t inFeatures,
                                        int64_t outFeatures) {
  if (inFeatures % 32 != 0)
    return std::nullopt;
  GpuLayer shape;
  shape.ternary = ternary;
  shape.inFeatures = inFeatures;
  shape.outFeatures = outFeatures;
  return planGemv(shape, warpsPerBlock(outFeatures));
}

/// The launch for all rows: with M >= 16, each warp takes a tile of 64 rows
/// and 32 channels on tensor cores; with fewer, block row by takes row by
/// alone.
void emitKernel(OpBuilder &b, Location loc, const GpuLayer &layer,
                const GemvSchedule &schedule, Value out) {
  Value words = packedWords(b, loc, layer);
  Value rows = memref::DimOp::create(b, loc, layer.x, 0);
  Value one = index(b, loc, 1);
  Value useMma = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rows,
                                       index(b, loc, kMmaMinRows));
  int64_t warps = warpsPerBlock(layer.outFeatures);
  int64_t gridX = llvm::divideCeil(layer.outFeatures, warps);
  Value threads = index(b, loc, kWarpSize * warps);
  Value blocks = index(b, loc, gridX);
  // The tensor-core path's warp tiles, and the block rows that hold a warp
  // for each.
  int64_t channelTiles =
      llvm::divideCeil(layer.outFeatures, kMmaTileChannels);
  Value warpTiles = arith::MulIOp::create(
      b, loc,
      arith::CeilDivUIOp::create(b, loc, rows, index(b, loc, kMmaTileRows)),
      index(b, loc, channelTiles));
  Value mmaRows = arith::CeilDivUIOp::create(b, loc, warpTiles,
                                             index(b, loc, gridX * warps));
  // At least one block row: an empty grid is a launch error; with no rows
  // that block finds nothing to do.
  Value blockRows = arith::MaxUIOp::create(
      b, loc, arith::SelectOp::create(b, loc, useMma, mmaRows, rows), one);
  Value sharedBytes =
      arith::ConstantIntOp::create(b, loc, schedule.sharedBytes, 32);
  auto launch = gpu::LaunchOp::create(b, loc, blocks, blockRows, one, threads,
                                      one, one, sharedBytes);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&launch.getBody().front());
  BlockIds ids;
  ids.warps = warps;
  ids.bx = launch.getBlockIds().x;
  ids.tid = launch.getThreadIds().x;
  ids.lane = arith::RemUIOp::create(b, loc, ids.tid, index(b, loc, kWarpSize));
  ids.warp = arith::DivUIOp::create(b, loc, ids.tid, index(b, loc, kWarpSize));
  ids.n = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, ids.bx, index(b, loc, warps)),
      ids.warp);
  ids.raw = gpu::DynamicSharedMemoryOp::create(
      b, loc,
      MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                      MemRefLayoutAttrInterface(),
                      gpu::AddressSpaceAttr::get(
                          b.getContext(),
                          gpu::GPUDialect::getWorkgroupAddressSpace())));
  Value by = launch.getBlockIds().y;
  // The table's barriers are reached by every thread of a block, and each
  // mma by every lane of a warp.
  auto whereBlockWorks = [&](OpBuilder &nb, Location nl, Value works,
                             llvm::function_ref<void(OpBuilder &, Location)>
                                 body) {
    scf::IfOp::create(nb, nl, works, [&](OpBuilder &wb, Location wl) {
      body(wb, wl);
      scf::YieldOp::create(wb, wl);
    });
  };
  scf::IfOp::create(
      b, loc, useMma,
      [&](OpBuilder &tb, Location tl) {
        // Warp w of block b (in grid order) takes warp tile w B + b of the
        // B blocks: the tiles spread over every block (and multiprocessor)
        // before a block takes a second, and neighbouring blocks take
        // neighbouring channels of the same rows.
        Value gridBlocks = arith::MulIOp::create(
            tb, tl, index(tb, tl, gridX), launch.getGridSize().y);
        Value block = arith::AddIOp::create(
            tb, tl, arith::MulIOp::create(tb, tl, by, index(tb, tl, gridX)),
            ids.bx);
        Value tile = arith::AddIOp::create(
            tb, tl, arith::MulIOp::create(tb, tl, ids.warp, gridBlocks), block);
        Value works = arith::CmpIOp::create(tb, tl, arith::CmpIPredicate::ult,
                                            tile, warpTiles);
        whereBlockWorks(tb, tl, works, [&](OpBuilder &wb, Location wl) {
          Value channelTile = index(wb, wl, channelTiles);
          Value m0 = arith::MulIOp::create(
              wb, wl, arith::DivUIOp::create(wb, wl, tile, channelTile),
              index(wb, wl, kMmaTileRows));
          Value n0 = arith::MulIOp::create(
              wb, wl, arith::RemUIOp::create(wb, wl, tile, channelTile),
              index(wb, wl, kMmaTileChannels));
          emitMmaTile(wb, wl, layer, words, out, ids.lane, m0, n0, rows);
        });
        scf::YieldOp::create(tb, tl);
      },
      [&](OpBuilder &eb, Location el) {
        Value works = arith::AndIOp::create(
            eb, el,
            arith::CmpIOp::create(eb, el, arith::CmpIPredicate::ult, by, rows),
            arith::CmpIOp::create(eb, el, arith::CmpIPredicate::ult, ids.bx,
                                  index(eb, el, schedule.blocks)));
        whereBlockWorks(eb, el, works, [&](OpBuilder &wb, Location wl) {
          emitTableGemv(wb, wl, layer, schedule, words, out, ids, by);
        });
        scf::YieldOp::create(eb, el);
      });
  gpu::TerminatorOp::create(b, loc);
}

//===----------------------------------------------------------------------===//
// The kernel as a call, until bufferization is done
//===----------------------------------------------------------------------===//

constexpr llvm::StringLiteral kKernelAttr = "onebit.gpu_layer";

/// Calls a declared kernel function with the layer's buffers (x, the packed
/// planes, then scale, bias and row divisor where present, then the output);
/// the declaration's `onebit.gpu_layer` attribute says which is which.
void emitKernelCall(OpBuilder &b, Location loc, const GpuLayer &layer,
                    Value out) {
  SmallVector<Value> operands = {layer.x, layer.packed};
  for (Value optional : {layer.scale, layer.bias, layer.rowDivisor})
    if (optional)
      operands.push_back(optional);
  operands.push_back(out);
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  std::string name = llvm::formatv(
      "onebit_gpu_layer_{0}_{1}x{2}{3}{4}{5}", layer.ternary ? "ternary" : "sign",
      layer.outFeatures, layer.inFeatures, layer.scale ? "_scale" : "",
      layer.bias ? "_bias" : "", layer.rowDivisor ? "_int8" : "");
  auto type = b.getFunctionType(ValueRange(operands).getTypes(), {});
  auto callee = module.lookupSymbol<func::FuncOp>(name);
  if (!callee) {
    // Through `b` (the rewriter, in a pattern), at the end of the module.
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(module.getBody());
    callee = func::FuncOp::create(b, loc, name, type);
    callee.setPrivate();
    callee->setAttr(
        kKernelAttr,
        b.getDictionaryAttr({
            b.getNamedAttr("ternary", b.getBoolAttr(layer.ternary)),
            b.getNamedAttr("in_features", b.getI64IntegerAttr(layer.inFeatures)),
            b.getNamedAttr("out_features",
                           b.getI64IntegerAttr(layer.outFeatures)),
            b.getNamedAttr("scale", b.getBoolAttr(bool(layer.scale))),
            b.getNamedAttr("bias", b.getBoolAttr(bool(layer.bias))),
            b.getNamedAttr("row_divisor",
                           b.getBoolAttr(bool(layer.rowDivisor))),
        }));
  }
  func::CallOp::create(b, loc, callee, operands);
}

/// The layer a kernel call stands for, with its operands (now buffers).
GpuLayer layerOfCall(func::CallOp call, DictionaryAttr kernel) {
  GpuLayer layer;
  layer.ternary = kernel.getAs<BoolAttr>("ternary").getValue();
  layer.inFeatures = kernel.getAs<IntegerAttr>("in_features").getInt();
  layer.outFeatures = kernel.getAs<IntegerAttr>("out_features").getInt();
  auto operands = call.getOperands();
  unsigned next = 0;
  layer.x = operands[next++];
  layer.packed = operands[next++];
  if (kernel.getAs<BoolAttr>("scale").getValue())
    layer.scale = operands[next++];
  if (kernel.getAs<BoolAttr>("bias").getValue())
    layer.bias = operands[next++];
  if (kernel.getAs<BoolAttr>("row_divisor").getValue())
    layer.rowDivisor = operands[next++];
  return layer;
}

/// Runs the kernel on the layer's buffers and returns the [M, N] tensor.
Value emitLayer(OpBuilder &b, Location loc, GpuLayer layer) {
  int64_t staticRows = cast<MemRefType>(layer.x.getType()).getDimSize(0);
  auto outType =
      MemRefType::get({staticRows, layer.outFeatures}, b.getF32Type());
  SmallVector<Value> dynamicRows;
  if (ShapedType::isDynamic(staticRows))
    dynamicRows.push_back(memref::DimOp::create(b, loc, layer.x, 0));
  Value out = memref::AllocOp::create(b, loc, outType, dynamicRows);
  emitKernelCall(b, loc, layer, out);
  return bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(outType.getShape(), b.getF32Type()), out,
      /*restrict=*/b.getUnitAttr(), /*writable=*/b.getUnitAttr());
}

/// ternary_linear and sign_linear alike: the shared operands, read as
/// buffers, then the launch (as a call until bufferization is done).
template <typename LayerOp>
struct LowBitLayerToGPU : OpConversionPattern<LayerOp> {
  using OpConversionPattern<LayerOp>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(LayerOp op, typename LayerOp::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!scheduleFor(std::is_same_v<LayerOp, TernaryLinearOp>,
                     op.getInFeatures(), op.getOutFeatures()))
      return rewriter.notifyMatchFailure(
          op, "the launch reads 32-bit words (K a multiple of 32) and needs "
              "a table of K's subset sums in shared memory");
    Location loc = op.getLoc();
    GpuLayer layer = readBuffers(
        rewriter, loc,
        prepareLowBitLayer(rewriter, op, adaptor.getInput(), adaptor.getBias()));
    Value y = emitLayer(rewriter, loc, layer);
    rewriter.replaceOp(op, restoreBatchDims(rewriter, loc, y,
                                            adaptor.getInput(), op.getType()));
    return success();
  }
};

struct LowerToGPUKernelsPass
    : onebit::impl::LowerToGPUKernelsBase<LowerToGPUKernelsPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    // Layers the launch does not take stay for the reference lowering.
    target.addDynamicallyLegalOp<TernaryLinearOp>([](TernaryLinearOp op) {
      return !scheduleFor(true, op.getInFeatures(), op.getOutFeatures());
    });
    target.addDynamicallyLegalOp<SignLinearOp>([](SignLinearOp op) {
      return !scheduleFor(false, op.getInFeatures(), op.getOutFeatures());
    });
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    patterns.add<LowBitLayerToGPU<TernaryLinearOp>, LowBitLayerToGPU<SignLinearOp>>(
        &getContext());
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

struct DefineGPULayerKernelsPass
    : onebit::impl::DefineGPULayerKernelsBase<DefineGPULayerKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> kernels;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(kKernelAttr))
        kernels.push_back(func);
    for (func::FuncOp kernel : kernels) {
      auto attrs = kernel->getAttrOfType<DictionaryAttr>(kKernelAttr);
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(kernel, module);
      if (uses)
        for (const SymbolTable::SymbolUse &use : *uses) {
          auto call = dyn_cast<func::CallOp>(use.getUser());
          if (!call) {
            use.getUser()->emitOpError("uses a GPU layer kernel other than by "
                                       "calling it");
            return signalPassFailure();
          }
          if (!llvm::all_of(call.getOperandTypes(), llvm::IsaPred<MemRefType>)) {
            call.emitOpError("needs buffers: run it after bufferization");
            return signalPassFailure();
          }
          OpBuilder b(call);
          GpuLayer layer = layerOfCall(call, attrs);
          std::optional<GemvSchedule> schedule = scheduleFor(
              layer.ternary, layer.inFeatures, layer.outFeatures);
          if (!schedule) {
            call.emitOpError("calls a GPU layer kernel that no launch takes");
            return signalPassFailure();
          }
          emitKernel(b, call.getLoc(), layer, *schedule,
                     call.getOperands().back());
          call.erase();
        }
      kernel.erase();
    }
  }
};

} // namespace
