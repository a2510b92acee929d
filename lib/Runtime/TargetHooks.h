//===- TargetHooks.h - What a GPU runtime tells the C API -------*- C++ -*-===//
//
// A model.so for a GPU links a target runtime (lib/Runtime/Cuda) beside this
// one; a CPU model.so does not. The C API asks it three things through weak
// references, which stay null (and are skipped) when no target runtime is
// linked in. Hidden, like everything here: the references bind inside the
// model.so at link time, never to another library's symbols.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_LIB_RUNTIME_TARGETHOOKS_H
#define ONEBIT_LIB_RUNTIME_TARGETHOOKS_H

extern "C" {

/// nullptr when the target can run the model, else why not ("this model
/// runs on CUDA, but no CUDA GPU was found"). Initializes the target if
/// needed. The text lives as long as the library. onebit_check_signature
/// and onebit_run report it.
__attribute__((weak, visibility("hidden"))) const char *
onebit_target_check(void);

/// The first error the target hit on the calling thread since the last
/// call (a failed launch, out of memory), else its onebit_target_check
/// error, else nullptr. Called by onebit_run right after the compiled code
/// returns. The text stays valid until the same thread calls this again.
__attribute__((weak, visibility("hidden"))) const char *
onebit_target_take_error(void);

/// The run on the calling thread ended early (a failed check): free the
/// target's buffers it still holds. Called by onebit_run before
/// onebit_target_take_error.
__attribute__((weak, visibility("hidden"))) void
onebit_target_abandon_run(void);

} // extern "C"

#endif // ONEBIT_LIB_RUNTIME_TARGETHOOKS_H
