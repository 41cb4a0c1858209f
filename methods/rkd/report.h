// report.h — the --quick verdicts of train_rkd (rkd.md §6): the spec's three pass conditions and the
// paper's claims (held / not held, with the numbers), from the recorded runs, means over seeds.
// Runs are the names: teacher, triplet, rkd_da, rkd_d, rkd_a; metrics recall_at_1 (unseen
// classes), recall_at_1_seen, loss_{d,a}_{first,last}.
#pragma once
#include <string>
#include <vector>

#include "methods/train/run_dir.h"

namespace eg::rkd {

struct Verdict {
  std::string text;  // "PASS 1. ..." / "FAIL ..." lines, or "- held: ..." / "- not held: ..." lines
  bool all_pass = true;
};

// The pass conditions of rkd.md §6 (fractions in the records, percent in the text); a missing run is a FAIL.
Verdict quick_pass_conditions(const std::vector<train::RunRecord>& runs);

// The paper's claims on this data: RKD-DA student > triplet student beyond the seed spread, the student
// close to the teacher (reported: the gap), RKD-DA >= RKD-D and RKD-A. Only claims whose runs exist.
std::string claims(const std::vector<train::RunRecord>& runs);

// A markdown table of the unweighted RKD terms (loss_{d,a}_{first,last}, mean ± std over seeds, 4 decimals)
// for the runs that have them, in the order they first appear.
std::string loss_table(const std::vector<train::RunRecord>& runs);

}  // namespace eg::rkd
