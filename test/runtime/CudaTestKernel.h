//===- CudaTestKernel.h - A PTX kernel for the CUDA runtime tests -*- C++ -*-=//
//
// add_constant(x, c, y, n): y[i] = x[i] + c[0] for i < n, one thread per
// element. Hand-written PTX for sm_52 and up, so the driver JIT-compiles it
// for whatever GPU runs the tests and they need no CUDA toolkit to build.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_TEST_RUNTIME_CUDATESTKERNEL_H
#define ONEBIT_TEST_RUNTIME_CUDATESTKERNEL_H

namespace onebit::test {

constexpr char kAddConstantPtx[] = R"(
.version 7.0
.target sm_52
.address_size 64

.visible .entry add_constant(
	.param .u64 x,
	.param .u64 c,
	.param .u64 y,
	.param .u64 n
)
{
	.reg .pred p;
	.reg .b32 r<5>;
	.reg .b64 rd<12>;
	.reg .f32 f<4>;
	ld.param.u64 rd1, [x];
	ld.param.u64 rd2, [c];
	ld.param.u64 rd3, [y];
	ld.param.u64 rd4, [n];
	mov.u32 r1, %ctaid.x;
	mov.u32 r2, %ntid.x;
	mov.u32 r3, %tid.x;
	mad.lo.s32 r4, r1, r2, r3;
	cvt.u64.u32 rd5, r4;
	setp.ge.u64 p, rd5, rd4;
	@p bra DONE;
	cvta.to.global.u64 rd6, rd1;
	cvta.to.global.u64 rd7, rd2;
	cvta.to.global.u64 rd8, rd3;
	shl.b64 rd9, rd5, 2;
	add.s64 rd10, rd6, rd9;
	add.s64 rd11, rd8, rd9;
	ld.global.f32 f1, [rd10];
	ld.global.f32 f2, [rd7];
	add.f32 f3, f1, f2;
	st.global.f32 [rd11], f3;
DONE:
	ret;
}
)";

constexpr const char *kAddConstantName = "add_constant";

} // namespace onebit::test

#endif // ONEBIT_TEST_RUNTIME_CUDATESTKERNEL_H
