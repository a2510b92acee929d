// Every committed export (test/models, made by scripts/export_models.py)
// imports with dynamic batch and sequence, verifies, and has one
// onebit.linear per weight matmul (the count in its manifest.json).

// RUN: onebit-translate --import-onnx %S/../models/bert-dynamo/model.onnx | onebit-opt | FileCheck %s --check-prefix=BERT_DYNAMO
// BERT_DYNAMO-LABEL: func.func @main
// BERT_DYNAMO-COUNT-13: onebit.linear
// BERT_DYNAMO-NOT: onebit.linear

// RUN: onebit-translate --import-onnx %S/../models/bert-torchscript/model.onnx | onebit-opt | FileCheck %s --check-prefix=BERT_TORCHSCRIPT
// BERT_TORCHSCRIPT-LABEL: func.func @main
// BERT_TORCHSCRIPT-COUNT-13: onebit.linear
// BERT_TORCHSCRIPT-NOT: onebit.linear

// RUN: onebit-translate --import-onnx %S/../models/bitnet-dynamo/model.onnx | onebit-opt | FileCheck %s --check-prefix=BITNET_DYNAMO
// BITNET_DYNAMO-LABEL: func.func @main
// BITNET_DYNAMO-COUNT-13: onebit.linear
// BITNET_DYNAMO-NOT: onebit.linear

// RUN: onebit-translate --import-onnx %S/../models/bitnet-torchscript/model.onnx | onebit-opt | FileCheck %s --check-prefix=BITNET_TORCHSCRIPT
// BITNET_TORCHSCRIPT-LABEL: func.func @main
// BITNET_TORCHSCRIPT-COUNT-13: onebit.linear
// BITNET_TORCHSCRIPT-NOT: onebit.linear

// RUN: onebit-translate --import-onnx %S/../models/gpt2-dynamo/model.onnx | onebit-opt | FileCheck %s --check-prefix=GPT2_DYNAMO
// GPT2_DYNAMO-LABEL: func.func @main
// GPT2_DYNAMO-COUNT-9: onebit.linear
// GPT2_DYNAMO-NOT: onebit.linear

// RUN: onebit-translate --import-onnx %S/../models/gpt2-torchscript/model.onnx | onebit-opt | FileCheck %s --check-prefix=GPT2_TORCHSCRIPT
// GPT2_TORCHSCRIPT-LABEL: func.func @main
// GPT2_TORCHSCRIPT-COUNT-9: onebit.linear
// GPT2_TORCHSCRIPT-NOT: onebit.linear

// RUN: onebit-translate --import-onnx %S/../models/llama-dynamo/model.onnx | onebit-opt | FileCheck %s --check-prefix=LLAMA_DYNAMO
// LLAMA_DYNAMO-LABEL: func.func @main
// LLAMA_DYNAMO-COUNT-15: onebit.linear
// LLAMA_DYNAMO-NOT: onebit.linear

// RUN: onebit-translate --import-onnx %S/../models/llama-torchscript/model.onnx | onebit-opt | FileCheck %s --check-prefix=LLAMA_TORCHSCRIPT
// LLAMA_TORCHSCRIPT-LABEL: func.func @main
// LLAMA_TORCHSCRIPT-COUNT-15: onebit.linear
// LLAMA_TORCHSCRIPT-NOT: onebit.linear
