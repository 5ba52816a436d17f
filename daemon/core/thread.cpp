#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "pvmon/core.hpp"

namespace pvmon {

void set_thread_name(const char* name) {
  // Linux keeps 15 bytes and the NUL; longer names make pthread_setname_np fail (ERANGE).
  const std::string cut(name, strnlen(name, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

void set_thread_nice(int nice) {
  // On Linux, PRIO_PROCESS with a thread id sets that thread alone (setpriority(2), BUGS).
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  setpriority(PRIO_PROCESS, tid, nice);
}

}  // namespace pvmon
