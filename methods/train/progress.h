// progress.h — training progress: on a terminal, one redrawn line with a bar, loss, images/s and ETA;
// otherwise (CI, files) nothing per step and one plain line per epoch from the caller.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace eg::train {

class Progress {
 public:
  Progress(std::string label, int64_t total_steps, bool force_plain = false);
  // Redraws (at most ~10 times a second) after step `done` of total, with a running loss and images seen.
  void update(int64_t done, double loss, int64_t images);
  void finish();  // ends the line on a terminal
  double elapsed_s() const;
  bool is_tty() const { return tty_; }

 private:
  std::string label_;
  int64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::string format_duration(double seconds);  // "1:02:03" or "2:03"

}  // namespace eg::train
