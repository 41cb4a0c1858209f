// interrupt.cpp — signal flag (see interrupt.h). A signal handler may only touch a lock-free atomic.
#include "methods/train/interrupt.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace eg::train {

static std::atomic<int> g_signals{0};

static void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);
  const char msg[] = "\ninterrupt: finishing this step, saving a checkpoint (press again to quit now)\n";
  (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
}

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() { return g_signals.load() > 0; }
void clear_interrupt() { g_signals.store(0); }

}  // namespace eg::train
