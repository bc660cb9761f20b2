#include "compiler/codegen/out_of_memory.h"

#include <unistd.h>

#include <cstdio>
#include <new>
#include <system_error>

#include "llvm/Support/ErrorHandling.h"
#include "support/memory.h"

namespace loom {
namespace {

const char* tool_name = "loom";

// Called where nothing may allocate (a failed `new`, LLVM's handler): snprintf into a
// static buffer, write(2), _exit.
[[noreturn]] void ExitOutOfMemory(const char* where) {
  static char message[256];
  unsigned long long available = AvailableMemoryBytes();
  int n = std::snprintf(message, sizeof message, "%s: error: out of memory%s (%llu bytes available, %.1f GiB)\n",
                        tool_name, where, available, available / 1073741824.0);
  if (n > 0) (void)!write(2, message, static_cast<size_t>(n) < sizeof message ? n : sizeof message - 1);
  _exit(1);
}

void OnNewFailure() { ExitOutOfMemory(""); }

void OnLlvmOutOfMemory(void*, const char*, bool) { ExitOutOfMemory(" in LLVM"); }

}  // namespace

int RunReportingOutOfMemory(const char* tool, int (*main)(int, char**), int argc, char** argv) {
  tool_name = tool;
  std::set_new_handler(OnNewFailure);
  llvm::install_bad_alloc_error_handler(OnLlvmOutOfMemory);
  try {
    return main(argc, argv);
  } catch (const std::bad_alloc& e) {
    std::fprintf(stderr, "%s: error: %s\n", tool, e.what());
    return 1;
  } catch (const std::system_error& e) {
    // A thread or another resource the system would not give (std::thread's failure).
    std::fprintf(stderr, "%s: error: out of memory or threads: %s\n", tool, e.what());
    return 1;
  }
}

}  // namespace loom
