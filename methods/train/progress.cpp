// progress.cpp — terminal progress bar (see progress.h).
#include "methods/train/progress.h"

#include <unistd.h>

#include <cstdio>

namespace eg::train {

std::string format_duration(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  long t = (long)(s + 0.5);
  char buf[32];
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

Progress::Progress(std::string label, int64_t total, bool force_plain)
    : label_(std::move(label)), total_(total), tty_(!force_plain && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t done, double loss, int64_t images) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && std::chrono::duration<double>(now - last_draw_).count() < 0.1) return;
  last_draw_ = now;
  double el = elapsed_s();
  int width = 24, filled = total_ > 0 ? (int)(width * done / total_) : 0;
  std::string bar(filled, '=');
  if (filled < width) bar += '>' + std::string(width - filled - 1, ' ');
  double eta = done > 0 ? el * (double)(total_ - done) / (double)done : -1;
  std::fprintf(stderr, "\r%s [%s] %ld/%ld loss %.4f %.0f img/s ETA %s   ", label_.c_str(), bar.c_str(), (long)done,
               (long)total_, loss, el > 0 ? images / el : 0.0, format_duration(eta).c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (tty_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace eg::train
