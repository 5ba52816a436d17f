// The same program plus everything pvmon::ctcae has: resolver, synonyms and lab grading.
#include <cstdio>

#include "pvmon/ctcae.hpp"
int main(int argc, char** argv) {
  pvmon::ctcae::Resolver r;
  auto m = r.resolve(argc > 1 ? argv[1] : "ALT");
  pvmon::ctcae::LabInput in;
  in.test = "ALT";
  in.value = 150;
  in.unit = "U/L";
  in.uln = 40;
  auto g = pvmon::ctcae::grade_lab(in);
  std::printf("%d %d %d\n", argc, m.match ? 1 : 0, g.ok() ? g->grade : -1);
  return 0;
}
