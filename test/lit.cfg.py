# lit configuration for the onebit test suite.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "onebit"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.onebit_obj_root, "test")
config.excludes = ["unit", "Inputs", "models", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# The runner libraries for end-to-end numeric tests through mlir-runner.
config.substitutions.append(
    ("%mlir_runner_utils",
     os.path.join(config.llvm_lib_dir, "libmlir_runner_utils.so")))
config.substitutions.append(
    ("%mlir_c_runner_utils",
     os.path.join(config.llvm_lib_dir, "libmlir_c_runner_utils.so")))

llvm_config.add_tool_substitutions(
    ["onebit-opt", "onebit-compile", "onebit-translate", "mlir-runner"],
    [config.onebit_tools_dir, config.llvm_tools_dir])

# The host's byte-shuffle ISAs, for the kernels whose end-to-end tests can
# only run where the instructions exist (mlir-runner compiles for the host).
def host_cpu_flags():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()

for flag in sorted({"avx2", "avx512bw"} & host_cpu_flags()):
    config.available_features.add("cpu-" + flag)
