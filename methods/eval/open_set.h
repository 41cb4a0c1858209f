// open_set.h — open-set recognition metrics (rpl.md §2 "Metrics"): AUROC, DTACC, AUPR-In, AUPR-Out,
// OSCR, plus sklearn-style average precision.
// Shape letters: Kn known-class test samples with scores s_i, Nu unknown-class test samples with scores
// u_j. Known is the positive class; a higher score means "more known" (e.g. max softmax probability).
// Scores are double (rpl.md §7: build the ROC from double-precision scores so that fewer saturated
// values tie); convert float scores before calling. Every function needs Kn >= 1 and Nu >= 1, rejects
// NaN scores (+-inf is allowed) and throws eg::Error naming itself.
//
// Definitions, following rpl.md exactly:
// - AUROC, half ties: (1/(Kn*Nu)) sum_i sum_j ([s_i > u_j] + 0.5*[s_i == u_j]) (Mann-Whitney U).
//   Official ties (iCGY96/ARPL's sweep removes the known sample first on a tie): ties count 0.
// - The official sweep (used by DTACC, AUPR-In, AUPR-Out): start at (TP, FP) = (Kn, Nu), repeatedly
//   remove the smallest remaining score, the known one first on ties; TP/FP = knowns/unknowns still kept.
//   DTACC = max over states of (TP/Kn + 1 - FP/Nu)/2.
//   AUPR-In = trapezoid integral of precision TP/(TP+FP) over recall TP/Kn from recall 1 to 0, states
//   with TP+FP = 0 skipped, end point (recall 0, precision 0) appended.
//   AUPR-Out (unknown positive) = trapezoid integral of precision (Nu-FP)/((Kn-TP)+(Nu-FP)) over recall
//   (Nu-FP)/Nu, starting from the point (0, 0), states with a zero denominator skipped. (The official
//   code also adds a point at the far end of each curve; it has zero width and changes nothing.)
//   Because of the (0, 0) end points even a perfect separator scores below 1 (e.g. 0.75 for 2 vs 2).
// - average_precision_in/_out: sklearn's average_precision_score, AP = sum_n (R_n - R_{n-1}) P_n over
//   the distinct score thresholds (tied scores form one threshold), in with knowns positive, out with
//   unknowns positive and negated scores. rpl.md's pilot numbers use the sweep AUPR above, not AP.
// - OSCR, exact (rpl.md's definition): area under CCR(t) = #{i correct, s_i > t}/Kn against
//   FPR(t) = #{j : u_j > t}/Nu, equal to (1/(Kn*Nu)) sum_{i correct} sum_j ([s_i>u_j] + 0.5[s_i==u_j]).
//   Official: ARPL's compute_oscr as it is, with its off-by-one (CCR counts strictly higher sorted
//   positions and the last point is dropped), lower by O(1/n); its unspecified order among tied scores
//   is taken as the input order, knowns before unknowns (a stable sort).
// FPR at 95% TPR is not provided: rpl.md does not use it.
#pragma once
#include <cstdint>
#include <vector>

namespace eg::eval {

enum class AurocTies { Half, Official };
enum class OscrVariant { Exact, Official };

double auroc(const std::vector<double>& known_scores, const std::vector<double>& unknown_scores,
             AurocTies ties = AurocTies::Half);

double dtacc(const std::vector<double>& known_scores, const std::vector<double>& unknown_scores);

// rpl.md's sweep AUPR (see above).
double aupr_in(const std::vector<double>& known_scores, const std::vector<double>& unknown_scores);
double aupr_out(const std::vector<double>& known_scores, const std::vector<double>& unknown_scores);

// sklearn's average precision (see above).
double average_precision_in(const std::vector<double>& known_scores,
                            const std::vector<double>& unknown_scores);
double average_precision_out(const std::vector<double>& known_scores,
                             const std::vector<double>& unknown_scores);

// known_correct[i]: whether known sample i was classified correctly (Kn entries).
double oscr(const std::vector<double>& known_scores, const std::vector<bool>& known_correct,
            const std::vector<double>& unknown_scores, OscrVariant variant = OscrVariant::Exact);
// Same, with correctness = (predictions[i] == labels[i]); both Kn entries in [0, K).
double oscr(const std::vector<double>& known_scores, const std::vector<int64_t>& predictions,
            const std::vector<int64_t>& labels, int64_t k, const std::vector<double>& unknown_scores,
            OscrVariant variant = OscrVariant::Exact);

// Everything rpl.md §6 reports, in one call (AUROC with half ties, also the official value; OSCR exact).
struct OpenSetMetrics {
  double auroc = 0, auroc_official = 0, dtacc = 0, aupr_in = 0, aupr_out = 0, oscr = 0;
};
OpenSetMetrics open_set_metrics(const std::vector<double>& known_scores,
                                const std::vector<bool>& known_correct,
                                const std::vector<double>& unknown_scores);

}  // namespace eg::eval
