//===- DeviceConstants.h - Device copies of constant globals ----*- C++ -*-===//
#ifndef ONEBIT_LIB_RUNTIME_CUDA_DEVICECONSTANTS_H
#define ONEBIT_LIB_RUNTIME_CUDA_DEVICECONSTANTS_H

namespace onebit::cuda {

/// Frees every device constant and clears its slot (at the last module
/// unload, while the slots, globals of the model.so, are still mapped).
void freeDeviceConstants();

} // namespace onebit::cuda

#endif // ONEBIT_LIB_RUNTIME_CUDA_DEVICECONSTANTS_H
