// pvmon::safety — the pure safety logic: AE classification (seriousness, causality,
// expectedness, SUSAR), reporting clocks, subject events and surgical safety figures.
// No I/O and no clock reads anywhere in the module; callable from any thread. Input-driven
// failures are Result values or FieldError lists, never exceptions.
#pragma once

#include "pvmon/safety/classification.hpp"
#include "pvmon/safety/course.hpp"
#include "pvmon/safety/endpoints.hpp"
#include "pvmon/safety/response.hpp"
#include "pvmon/safety/clocks.hpp"
#include "pvmon/safety/events.hpp"
#include "pvmon/safety/rules.hpp"
#include "pvmon/safety/surgical.hpp"
