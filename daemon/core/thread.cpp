#include <pthread.h>

#include <cstring>
#include <string>

#include "pvmon/core.hpp"

namespace pvmon {

void set_thread_name(const char* name) {
  // Linux keeps 15 bytes and the NUL; longer names make pthread_setname_np fail (ERANGE).
  const std::string cut(name, strnlen(name, 15));
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace pvmon
