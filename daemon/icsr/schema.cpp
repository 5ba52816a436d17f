// Placeholder until the helper writing it lands; replaced, never shipped.
#include "pvmon/icsr.hpp"
