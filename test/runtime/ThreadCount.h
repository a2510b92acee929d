//===- ThreadCount.h - Counting this process's threads in tests -*- C++ -*-===//
//
// The pool tests check that workers start and stop when they should; Linux
// lists a process's threads under /proc/self/task.
//
//===----------------------------------------------------------------------===//
#ifndef ONEBIT_TEST_RUNTIME_THREADCOUNT_H
#define ONEBIT_TEST_RUNTIME_THREADCOUNT_H

#include <dirent.h>

#include <chrono>
#include <thread>

namespace onebit::test {

inline int countThreads() {
  int count = 0;
  if (DIR *tasks = opendir("/proc/self/task")) {
    while (dirent *entry = readdir(tasks))
      count += entry->d_name[0] != '.';
    closedir(tasks);
  }
  return count;
}

/// The threads of this process once the count settles at `expected` (a
/// joined thread may linger in /proc for a moment), or after 5 s.
inline int threadsInProcess(int expected) {
  int count = countThreads();
  for (int i = 0; i < 500 && count != expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    count = countThreads();
  }
  return count;
}

} // namespace onebit::test

#endif // ONEBIT_TEST_RUNTIME_THREADCOUNT_H
