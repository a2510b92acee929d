//===- WeightsFile.cpp - Map the side file of a model's weights -----------===//

#include "WeightsFile.h"

#include "onebit/Runtime/ModelABI.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <mutex>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace onebit::runtime {
namespace {

/// The mapping, unmapped when the model.so is unloaded.
struct Mapping {
  void *base = nullptr;
  size_t bytes = 0;
  ~Mapping() {
    if (base)
      munmap(base, bytes);
  }
};

uint64_t readLittleEndian64(const unsigned char *bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = value << 8 | bytes[i];
  return value;
}

/// The file's path: onebit_weights_file in the directory model.so was
/// loaded from.
std::string weightsPath() {
  Dl_info info;
  std::string directory = ".";
  if (dladdr(static_cast<const void *>(onebit_weights_table), &info) &&
      info.dli_fname) {
    std::string library = info.dli_fname;
    size_t slash = library.rfind('/');
    if (slash != std::string::npos)
      directory = library.substr(0, slash);
  }
  return directory + "/" + onebit_weights_file;
}

std::string mapWeights(Mapping &mapping) {
  const uint64_t id = onebit_weights_table[0];
  const uint64_t expected = onebit_weights_table[1];
  const uint64_t count = onebit_weights_table[2];
  std::string path = weightsPath();
  std::string where = "the weights file '" + path + "' ";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return where + "cannot be opened (" + std::strerror(errno) +
           "): onebit-compile writes it beside the model.so, and the two "
           "go together";
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int error = errno;
    close(fd);
    return where + "cannot be read (" + std::strerror(error) + ")";
  }
  if (static_cast<uint64_t>(st.st_size) != expected) {
    close(fd);
    // snprintf, not std::to_string: that one's digit table is a unique
    // global, which would be exported and keep the model.so from unloading.
    char sizes[96];
    std::snprintf(sizes, sizeof(sizes),
                  "has %llu bytes, but the model expects %llu",
                  static_cast<unsigned long long>(st.st_size),
                  static_cast<unsigned long long>(expected));
    return where + sizes + " (truncated, or of another build)";
  }
  void *base = mmap(nullptr, expected, PROT_READ, MAP_PRIVATE, fd, 0);
  int error = errno;
  close(fd);
  if (base == MAP_FAILED)
    return where + "cannot be mapped (" + std::strerror(error) + ")";
  mapping.base = base;
  mapping.bytes = expected;
  auto *bytes = static_cast<const unsigned char *>(base);
  if (std::memcmp(bytes, abi::kWeightsMagic, sizeof(abi::kWeightsMagic)) != 0)
    return where + "is not an onebit weights file";
  if (readLittleEndian64(bytes + sizeof(abi::kWeightsMagic)) != id)
    return where + "belongs to another build of the model (its id "
                   "differs): compile the model again";
  for (uint64_t i = 0; i < count; ++i)
    onebit_weights_slots[i] =
        const_cast<unsigned char *>(bytes) + onebit_weights_table[3 + i];
  return "";
}

} // namespace

const std::string &weightsFileError() {
  static std::once_flag mapped;
  static Mapping mapping;
  static std::string error;
  std::call_once(mapped, [] {
    if (onebit_weights_table != nullptr)
      error = mapWeights(mapping);
  });
  return error;
}

} // namespace onebit::runtime
