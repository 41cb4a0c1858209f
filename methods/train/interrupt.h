// interrupt.h — Ctrl-C (SIGINT) and SIGTERM handling for trainers: the first signal sets a flag that the
// loop checks after each step (it then saves a checkpoint and exits cleanly); a second one exits at once.
#pragma once

namespace eg::train {

void install_interrupt_handler();
bool interrupted();
void clear_interrupt();  // for tests

}  // namespace eg::train
