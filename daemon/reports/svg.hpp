// What every SVG chart pvmon draws shares (private to pvmon::reports): the plot area and its
// scales, the opening <svg> with its title and description, axes with ticks. Pure functions;
// any thread. Used by the DSMB report (html.cpp) and the desk's charts (svg.cpp).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pvmon::reports::svg {

/// `x` with `decimals` decimals ("%.*f").
std::string num(double x, int decimals = 1);

struct Plot {
  double w = 640, h = 260, left = 56, right = 16, top = 16, bottom = 40;
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  double X(double x) const { return left + (x - x0) / (x1 - x0 == 0 ? 1 : x1 - x0) * (w - left - right); }
  double Y(double y) const { return h - bottom - (y - y0) / (y1 - y0 == 0 ? 1 : y1 - y0) * (h - top - bottom); }
};

/// `<svg role="img" ...><title>..</title>[<desc>..</desc>][<style>..</style>]`. `below`: room
/// under the plot (p.h) for a table drawn in the same coordinates. `style`: CSS for the chart's
/// classes, for a page that does not carry them itself (the desk).
std::string svg_open(const Plot& p, const std::string& title, const std::string& desc = "", double below = 0,
                     std::string_view style = {});

/// Axes with ticks at `xs` and `ys` and their labels.
std::string axes(const Plot& p, const std::vector<std::pair<double, std::string>>& xs,
                 const std::vector<std::pair<double, std::string>>& ys, const std::string& xlabel,
                 const std::string& ylabel);

/// About `want` whole-number ticks from lo to hi, at steps of 1, 2 or 5 times a power of ten.
std::vector<std::pair<double, std::string>> int_ticks(double lo, double hi, int want = 6);

}  // namespace pvmon::reports::svg
