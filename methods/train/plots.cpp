// plots.cpp — gnuplot-driven figures and stb image grids (see plots.h).
#include "methods/train/plots.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb_image_write.h>

#include "methods/train/distributed.h"

namespace eg::train {

bool gnuplot_available() {
  static const bool ok = std::system("command -v gnuplot > /dev/null 2>&1") == 0;
  return ok;
}

// A gnuplot string literal. Labels (not file names) turn '_' into ' ': gnuplot reads '_' as a subscript.
static std::string quote(const std::string& s, bool label = true) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += (label && c == '_') ? ' ' : c;
  }
  return q + "\"";
}

// Runs a gnuplot script; returns false (after one warning) when gnuplot is absent or fails.
static bool run_gnuplot(const std::string& script, const std::string& png) {
  if (!dist::is_root()) return true;  // under mpirun rank 0 draws
  if (!gnuplot_available()) {
    static bool warned = false;
    if (!warned) std::fprintf(stderr, "warning: gnuplot not found; figures are skipped (apt-get install gnuplot-nox)\n");
    warned = true;
    return false;
  }
  FILE* p = ::popen("gnuplot 2>/dev/null", "w");
  if (!p) return false;
  std::fputs(script.c_str(), p);
  int rc = ::pclose(p);
  if (rc != 0) std::fprintf(stderr, "warning: gnuplot failed drawing %s\n", png.c_str());
  return rc == 0;
}

static std::string header(const std::string& png, int w, int h) {
  std::ostringstream os;
  os << "set terminal pngcairo size " << w << "," << h << " font 'Sans,10'\nset output " << quote(png, false) << "\n";
  return os.str();
}

bool plot_curves(const std::string& csv, const std::vector<std::vector<std::string>>& panels, const std::string& png,
                 const std::string& title) {
  std::ostringstream s;
  s << header(png, 520 * (int)panels.size(), 400) << "set datafile separator ','\nset key autotitle columnhead\n"
    << "set multiplot layout 1," << panels.size() << " title " << quote(title) << "\nset grid\nset xlabel 'epoch'\n";
  for (auto& cols : panels) {
    s << "plot ";
    for (size_t i = 0; i < cols.size(); ++i)
      s << (i ? ", " : "") << quote(csv, false) << " using 'epoch':'" << cols[i] << "' with linespoints title " << quote(cols[i]);
    s << "\n";
  }
  s << "unset multiplot\n";
  return run_gnuplot(s.str(), png);
}

bool plot_confusion(const std::vector<int64_t>& cm, int64_t k, const std::vector<std::string>& names,
                    const std::string& png, const std::string& title) {
  std::ostringstream s;
  s << header(png, 640, 560) << "set title " << quote(title) << "\nset xlabel 'predicted'\nset ylabel 'true'\n"
    << "set cbrange [0:1]\nset palette defined (0 'white', 1 '#08306b')\nset yrange [" << k - 0.5 << ":-0.5]\n"
    << "set xrange [-0.5:" << k - 0.5 << "]\nset xtics rotate by 45 right\n";
  auto label = [&](int64_t i) { return i < (int64_t)names.size() ? names[(size_t)i] : std::to_string(i); };
  s << "set xtics (";
  for (int64_t i = 0; i < k; ++i) s << (i ? ", " : "") << quote(label(i)) << " " << i;
  s << ")\nset ytics (";
  for (int64_t i = 0; i < k; ++i) s << (i ? ", " : "") << quote(label(i)) << " " << i;
  s << ")\nplot '-' matrix with image notitle\n";
  for (int64_t r = 0; r < k; ++r) {
    int64_t total = 0;
    for (int64_t c = 0; c < k; ++c) total += cm[(size_t)(r * k + c)];
    for (int64_t c = 0; c < k; ++c) s << (c ? " " : "") << (total ? (double)cm[(size_t)(r * k + c)] / (double)total : 0.0);
    s << "\n";
  }
  s << "e\n";
  return run_gnuplot(s.str(), png);
}

bool plot_bars(const std::vector<std::vector<double>>& values, const std::vector<std::string>& series,
               const std::vector<std::string>& labels, const std::string& png, const std::string& title,
               const std::string& ylabel, bool key_outside) {
  std::ostringstream s;
  s << header(png, 720, 420) << (key_outside ? "set key outside right top\n" : "") << "set title " << quote(title) << "\nset ylabel " << quote(ylabel)
    << "\nset style data histograms\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
    << "set grid ytics\nset xtics rotate by 45 right\nset yrange [0:*]\nplot ";
  for (size_t j = 0; j < values.size(); ++j)
    s << (j ? ", " : "") << "'-' using 2:xtic(1) title " << quote(j < series.size() ? series[j] : "");
  s << "\n";
  for (size_t j = 0; j < values.size(); ++j) {
    for (size_t i = 0; i < values[j].size(); ++i)
      s << quote(i < labels.size() ? labels[i] : std::to_string(i)) << " " << values[j][i] << "\n";
    s << "e\n";
  }
  return run_gnuplot(s.str(), png);
}

bool plot_scatter(const std::vector<std::vector<double>>& xs, const std::vector<std::vector<double>>& ys,
                  const std::vector<std::string>& series, const std::string& png, const std::string& title) {
  ENGINE_CHECK(xs.size() == ys.size(), "plot_scatter: ", xs.size(), " x series but ", ys.size(), " y series");
  std::ostringstream s;
  s << header(png, 640, 600) << "set title " << quote(title) << "\nset grid\nset key outside right\nplot ";
  for (size_t j = 0; j < xs.size(); ++j)
    s << (j ? ", " : "") << "'-' using 1:2 with points pt 7 ps 0.3 title " << quote(j < series.size() ? series[j] : "");
  s << "\n";
  for (size_t j = 0; j < xs.size(); ++j) {
    ENGINE_CHECK(xs[j].size() == ys[j].size(), "plot_scatter: series ", j, " has ", xs[j].size(), " x and ",
                 ys[j].size(), " y values");
    // An empty series still needs one (off-screen-safe) point so gnuplot's inline data stays aligned.
    if (xs[j].empty()) s << "NaN NaN\n";
    for (size_t i = 0; i < xs[j].size(); ++i) s << xs[j][i] << " " << ys[j][i] << "\n";
    s << "e\n";
  }
  return run_gnuplot(s.str(), png);
}

void save_image_grid(const Tensor& x_in, const std::string& png, int64_t nrow) {
  if (!dist::is_root()) return;
  Tensor x = x_in.to(Device::CPU).to(DType::F32);
  ENGINE_CHECK(x.dim() == 4 && (x.size(1) == 1 || x.size(1) == 3), "save_image_grid: expected [N, 1|3, H, W], got ",
               shape_str(x.shape()));
  int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), pad = 2;
  nrow = std::max<int64_t>(1, std::min(nrow, n));
  int64_t rows = (n + nrow - 1) / nrow, W = nrow * (w + pad) + pad, H = rows * (h + pad) + pad;
  std::vector<uint8_t> img((size_t)(W * H * c), 255);
  const float* p = x.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    int64_t oy = pad + (i / nrow) * (h + pad), ox = pad + (i % nrow) * (w + pad);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t xx = 0; xx < w; ++xx) {
          float v = p[((i * c + ch) * h + y) * w + xx];
          v = v < 0 ? 0 : (v > 1 ? 1 : v);
          img[(size_t)(((oy + y) * W + ox + xx) * c + ch)] = (uint8_t)(v * 255 + 0.5f);
        }
  }
  ENGINE_CHECK(stbi_write_png(png.c_str(), (int)W, (int)H, (int)c, img.data(), (int)(W * c)), "save_image_grid: cannot write '",
               png, "'");
}

}  // namespace eg::train
