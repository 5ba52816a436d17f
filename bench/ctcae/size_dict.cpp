// The same program plus the embedded dictionary (terms() and find_code()).
#include <cstdio>

#include "pvmon/ctcae.hpp"
int main(int argc, char**) {
  const auto* t = pvmon::ctcae::find_code("10002272");
  std::printf("%d %zu %d\n", argc, pvmon::ctcae::terms().size(), t ? 1 : 0);
  return 0;
}
