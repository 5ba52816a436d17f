// Size baseline: a program that does not link pvmon::ctcae.
#include <cstdio>
int main(int argc, char**) {
  std::printf("%d\n", argc);
  return 0;
}
