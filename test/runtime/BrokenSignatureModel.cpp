//===- BrokenSignatureModel.cpp - A model whose signature is malformed ----===//
//
// For checking that a bad signature surfaces as a clear error through the C
// API and the Python session rather than as a crash. Its entry is never run.
//
//===----------------------------------------------------------------------===//
extern "C" const char onebit_model_signature[] = "in\tx\t99\t2\n"
                                                 "out\ty\t1\t2\n";

extern "C" void onebit_model_entry(void **, void *) {}
