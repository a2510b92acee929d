// A linear layer is named after its weight initializer, unless the exporter
// made that name up (TorchScript's onnx::MatMul_N, dynamo's val_N): then
// after the module path the exporter recorded, in the node name
// (TorchScript) or in the node's pkg.torch.onnx.name_scopes metadata
// (dynamo). Checked on the committed exports.
// RUN: onebit-translate --import-onnx %S/../models/gpt2-torchscript/model.onnx | FileCheck %s --check-prefix=KEPT
// RUN: onebit-translate --import-onnx %S/../models/bitnet-dynamo/model.onnx | FileCheck %s --check-prefix=DYNAMO
// RUN: onebit-translate --import-onnx %S/../models/llama-torchscript/model.onnx | FileCheck %s --check-prefix=TORCHSCRIPT

// GPT-2's Conv1D weights are stored in x out: the initializer keeps its name.
// KEPT: layer_name = "model.transformer.h.0.attn.c_attn.weight"
// KEPT: layer_name = "model.transformer.h.0.mlp.c_fc.weight"

// DYNAMO: layer_name = "blocks.0.q"
// DYNAMO: layer_name = "blocks.1.down"
// DYNAMO: layer_name = "head"
// DYNAMO-NOT: layer_name = "val_

// TORCHSCRIPT: layer_name = "model.model.layers.0.self_attn.q_proj"
// TORCHSCRIPT: layer_name = "model.lm_head"
// TORCHSCRIPT-NOT: layer_name = "onnx::
