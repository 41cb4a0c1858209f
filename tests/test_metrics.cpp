// test_metrics.cpp — hand-computed cases for methods/eval: classification, open-set, retrieval metrics.
// Every expected value is derived in the comment next to it (or is a test vector quoted from a spec).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/check.h"
#include "methods/eval/classification.h"
#include "methods/eval/open_set.h"
#include "methods/eval/retrieval.h"

using namespace eg::eval;
using I = std::vector<int64_t>;
using F = std::vector<float>;
using Dv = std::vector<double>;

// ---------------------------------------------------------------- classification

TEST_CASE("metrics: argmax breaks ties toward the lower class index") {
  const float inf = std::numeric_limits<float>::infinity();
  // rows: [1,3,3] -> 1 (tie 1/2), [2,2,2] -> 0, [-inf,-inf] padded to K=3 with -inf -> 0, [0,0,5] -> 2
  const F logits = {1, 3, 3, 2, 2, 2, -inf, -inf, -inf, 0, 0, 5};
  CHECK(argmax(logits, 4, 3) == I{1, 0, 0, 2});
}

TEST_CASE("metrics: top-1 and top-k accuracy with tied logits") {
  // One sample, logits [0.5, 0.5, 0.1, 0.5]. Rank of label y = #{larger} + #{equal with lower index}.
  const F row = {0.5f, 0.5f, 0.1f, 0.5f};
  CHECK(top1_accuracy(row, 1, 4, {0}) == 1.0);  // rank 0
  CHECK(top1_accuracy(row, 1, 4, {1}) == 0.0);  // rank 1 (class 0 wins the tie)
  CHECK(topk_accuracy(row, 1, 4, {1}, 2) == 1.0);
  CHECK(topk_accuracy(row, 1, 4, {3}, 2) == 0.0);  // rank 2: classes 0 and 1 tie with it, lower index
  CHECK(topk_accuracy(row, 1, 4, {3}, 3) == 1.0);
  CHECK(topk_accuracy(row, 1, 4, {2}, 3) == 0.0);  // rank 3
  CHECK(topk_accuracy(row, 1, 4, {2}, 4) == 1.0);  // top-K is always 1
  // topk = 1 agrees with top1 on a 3-sample batch: predictions 1, 0, 2 against labels 1, 2, 2 -> 2/3.
  const F l3 = {0, 1, 0, 4, 3, 3, 1, 1, 2};
  CHECK(top1_accuracy(l3, 3, 3, {1, 2, 2}) == doctest::Approx(2.0 / 3.0));
  CHECK(topk_accuracy(l3, 3, 3, {1, 2, 2}, 1) == doctest::Approx(2.0 / 3.0));
  // Sample 1, label 2 (logit 3): class 0 is larger, class 1 ties with a lower index -> rank 2.
  CHECK(topk_accuracy(l3, 3, 3, {1, 2, 2}, 2) == doctest::Approx(2.0 / 3.0));
  CHECK(topk_accuracy(l3, 3, 3, {1, 2, 2}, 3) == 1.0);
}

TEST_CASE("metrics: perfect and worst-case classifiers") {
  const I labels = {0, 1, 2, 2, 1, 0};
  F perfect(labels.size() * 3, 0.f), worst(labels.size() * 3, 1.f);
  for (size_t i = 0; i < labels.size(); ++i) {
    perfect[i * 3 + static_cast<size_t>(labels[i])] = 1.f;
    worst[i * 3 + static_cast<size_t>(labels[i])] = 0.f;  // the true class is the only loser
  }
  CHECK(top1_accuracy(perfect, 6, 3, labels) == 1.0);
  CHECK(top1_accuracy(worst, 6, 3, labels) == 0.0);
  CHECK(topk_accuracy(worst, 6, 3, labels, 2) == 0.0);  // rank 2 for every sample
  CHECK(topk_accuracy(worst, 6, 3, labels, 3) == 1.0);
  const I pp = argmax(perfect, 6, 3), pw = argmax(worst, 6, 3);
  CHECK(balanced_accuracy(pp, labels, 3) == 1.0);
  CHECK(balanced_accuracy(pw, labels, 3) == 0.0);
  const I cm = confusion_matrix(pp, labels, 3);
  CHECK(cm == I{2, 0, 0, 0, 2, 0, 0, 0, 2});
}

TEST_CASE("metrics: confusion matrix, per-class and balanced accuracy, empty class is NaN") {
  const I labels = {0, 0, 1, 2, 2, 2}, preds = {0, 1, 1, 2, 0, 2};
  // rows = true class: class 0 -> {0: 1, 1: 1}; class 1 -> {1: 1}; class 2 -> {0: 1, 2: 2}; class 3 empty.
  CHECK(confusion_matrix(preds, labels, 4) == I{1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0});
  const Dv pc = per_class_accuracy(preds, labels, 4);
  REQUIRE(pc.size() == 4);
  CHECK(pc[0] == 0.5);
  CHECK(pc[1] == 1.0);
  CHECK(pc[2] == doctest::Approx(2.0 / 3.0));
  CHECK(std::isnan(pc[3]));
  CHECK(accuracy(preds, labels, 4) == doctest::Approx(4.0 / 6.0));
  // (1/2 + 1 + 2/3) / 3 = 13/18: the empty class 3 is skipped, so K = 3 and K = 4 agree.
  CHECK(balanced_accuracy(preds, labels, 4) == doctest::Approx(13.0 / 18.0));
  CHECK(balanced_accuracy(preds, labels, 3) == doctest::Approx(13.0 / 18.0));
}

TEST_CASE("metrics: many/medium/few groups by count, by rank and by index") {
  // Defaults: many > 100, few < 20, medium 20..100 inclusive.
  const std::vector<Shot> g = shot_groups_by_count({500, 101, 100, 20, 19, 0});
  CHECK(g == std::vector<Shot>{Shot::Many, Shot::Many, Shot::Medium, Shot::Medium, Shot::Few, Shot::Few});
  const std::vector<Shot> g2 = shot_groups_by_count({500, 101, 100, 20, 19, 0}, {.many_above = 19, .few_below = 20});
  CHECK(g2 == std::vector<Shot>{Shot::Many, Shot::Many, Shot::Many, Shot::Many, Shot::Few, Shot::Few});

  // cb.md §6, FMNIST-LT mu = 100: by rank many = 0-2, medium = 3-6, few = 7-9 (count thresholds would
  // put classes 0-7 in many and none in few).
  const I lt = {6000, 3596, 2156, 1292, 774, 464, 278, 166, 100, 60};
  std::vector<Shot> want(10, Shot::Medium);
  for (int c : {0, 1, 2}) want[static_cast<size_t>(c)] = Shot::Many;
  for (int c : {7, 8, 9}) want[static_cast<size_t>(c)] = Shot::Few;
  CHECK(shot_groups_by_rank(lt) == want);
  CHECK(shot_groups_by_index(10) == want);
  const std::vector<Shot> by_count = shot_groups_by_count(lt);
  CHECK(std::count(by_count.begin(), by_count.end(), Shot::Few) == 0);
  CHECK(std::count(by_count.begin(), by_count.end(), Shot::Many) == 8);

  // Unsorted counts with a tie, K = 6 -> 2 per end. Descending by count, ties to the lower index:
  // 50 (class 1), 50 (3), 40 (5), 30 (2), 10 (0), 5 (4) -> many {1, 3}, medium {5, 2}, few {0, 4}.
  CHECK(shot_groups_by_rank({10, 50, 30, 50, 5, 40}) ==
        std::vector<Shot>{Shot::Few, Shot::Many, Shot::Medium, Shot::Many, Shot::Few, Shot::Medium});
  CHECK(shot_groups_by_rank({7, 3}) == std::vector<Shot>{Shot::Medium, Shot::Medium});  // K < 3
}

TEST_CASE("metrics: many/medium/few accuracy on a toy count vector") {
  // Train counts -> groups [Many, Many, Medium, Medium, Few, Few].
  const std::vector<Shot> g = shot_groups_by_count({500, 150, 60, 30, 10, 5});
  // Test: class 0: 2 samples, 2 right; class 1: 2, 1 right; class 2: none; class 3: 4, 1 right;
  // class 4: 1, 0 right; class 5: 4, 3 right.
  const I labels = {0, 0, 1, 1, 3, 3, 3, 3, 4, 5, 5, 5, 5};
  const I preds = {0, 0, 1, 0, 3, 0, 0, 0, 0, 5, 5, 5, 1};
  const ShotAccuracy s = shot_accuracy(preds, labels, g);
  CHECK(s.many == doctest::Approx((1.0 + 0.5) / 2));  // classes 0, 1
  CHECK(s.medium == doctest::Approx(0.25));           // class 3 only: class 2 untested
  CHECK(s.few == doctest::Approx((0.0 + 0.75) / 2));  // classes 4, 5
  CHECK(s.many_classes == 2);
  CHECK(s.medium_classes == 1);
  CHECK(s.few_classes == 2);
  // A group with no tested class reports NaN.
  const ShotAccuracy e = shot_accuracy(Dv{1.0, std::nan(""), 0.5}, {Shot::Many, Shot::Medium, Shot::Few});
  CHECK(e.many == 1.0);
  CHECK(std::isnan(e.medium));
  CHECK(e.few == 0.5);
}

TEST_CASE("metrics: classification errors name the function and what was found") {
  CHECK_THROWS_AS(argmax(F{1, 2, 3}, 2, 2), eg::Error);             // 3 values, need 4
  CHECK_THROWS_AS(argmax(F{}, 0, 2), eg::Error);                     // N = 0
  CHECK_THROWS_AS(argmax(F{1, std::nanf("")}, 1, 2), eg::Error);     // NaN logit
  CHECK_THROWS_WITH_AS(top1_accuracy(F{1, 2, 3, 4}, 2, 2, {0, 2}), doctest::Contains("top1_accuracy"),
                       eg::Error);                                   // label 2 >= K
  CHECK_THROWS_AS(top1_accuracy(F{1, 2, 3, 4}, 2, 2, {0, -1}), eg::Error);
  CHECK_THROWS_AS(top1_accuracy(F{1, 2, 3, 4}, 2, 2, {0}), eg::Error);  // 1 label for N = 2
  CHECK_THROWS_AS(topk_accuracy(F{1, 2}, 1, 2, {0}, 0), eg::Error);
  CHECK_THROWS_AS(topk_accuracy(F{1, 2}, 1, 2, {0}, 3), eg::Error);
  CHECK_THROWS_WITH_AS(accuracy({0, 1}, {0}, 2), doctest::Contains("predictions"), eg::Error);
  CHECK_THROWS_AS(accuracy({}, {}, 2), eg::Error);
  CHECK_THROWS_AS(confusion_matrix({0, 3}, {0, 1}, 3), eg::Error);  // prediction 3 >= K
  CHECK_THROWS_AS(per_class_accuracy({0}, {0}, 0), eg::Error);
  CHECK_THROWS_AS(shot_groups_by_count({10, -1}), eg::Error);
  CHECK_THROWS_AS(shot_groups_by_count({}), eg::Error);
  CHECK_THROWS_WITH_AS(shot_groups_by_count({10}, {.many_above = 10, .few_below = 20}),
                       doctest::Contains("overlap"), eg::Error);
  CHECK_THROWS_AS(shot_accuracy(Dv{1.0, 0.5}, {Shot::Many}), eg::Error);
  CHECK_THROWS_AS(shot_accuracy(Dv{1.5}, {Shot::Many}), eg::Error);
  CHECK_THROWS_AS(shot_accuracy(I{0, 1}, I{0, 3}, {Shot::Many, Shot::Few}), eg::Error);
  CHECK_THROWS_AS(shot_groups_by_index(0), eg::Error);
}

// ---------------------------------------------------------------- open set

namespace {
// rpl.md §2 metric test vectors.
const Dv kKnown = {0.9, 0.8, 0.8, 0.3}, kUnknown = {0.8, 0.2, 0.1};
}  // namespace

TEST_CASE("metrics: AUROC with half and official ties (rpl.md vector)") {
  // Pairs: 0.9 beats 3; each 0.8 beats 0.2, 0.1 and ties 0.8 (2.5 each); 0.3 beats 2 -> 10/12 half,
  // 9/12 when ties count 0.
  CHECK(auroc(kKnown, kUnknown) == doctest::Approx(10.0 / 12.0));
  CHECK(auroc(kKnown, kUnknown, AurocTies::Official) == doctest::Approx(0.75));
  // known [1, 1] vs unknown [1, 0]: each known ties one and beats one -> 3/4 half, 2/4 official.
  CHECK(auroc({1, 1}, {1, 0}) == doctest::Approx(0.75));
  CHECK(auroc({1, 1}, {1, 0}, AurocTies::Official) == doctest::Approx(0.5));
}

TEST_CASE("metrics: AUROC is 0.5 for identical scores, 1 and 0 for perfect and inverted scores") {
  const Dv same(5, 0.42);
  CHECK(auroc(same, Dv(3, 0.42)) == 0.5);
  CHECK(auroc(same, Dv(3, 0.42), AurocTies::Official) == 0.0);
  CHECK(auroc({3, 4}, {1, 2}) == 1.0);
  CHECK(auroc({1, 2}, {3, 4}) == 0.0);
  CHECK(dtacc({3, 4}, {1, 2}) == 1.0);
  CHECK(dtacc({1, 2}, {3, 4}) == 0.5);  // best state is a trivial threshold
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(auroc({inf, 0}, {-inf, 0}) == doctest::Approx(0.875));  // 1 + 1 + 1 + 0.5 over 4
}

TEST_CASE("metrics: DTACC and sweep AUPR-In / AUPR-Out (rpl.md vector)") {
  // Sweep states (TP, FP), known removed first on the 0.8 tie:
  // (4,3) (4,2) (4,1) (3,1) (2,1) (1,1) (1,0) (0,0).
  // DTACC: best at (4,1): (1 + 1 - 1/3)/2 = 5/6.
  CHECK(dtacc(kKnown, kUnknown) == doctest::Approx(5.0 / 6.0));
  // AUPR-In, points (recall, precision): (1,4/7) (1,4/6) (1,.8) (.75,.75) (.5,2/3) (.25,.5) (.25,1), then
  // (0,0) appended. Trapezoids: .25*(.8+.75)/2 + .25*(.75+2/3)/2 + .25*(2/3+.5)/2 + .25*(1+0)/2
  // = .19375 + .177083 + .145833 + .125 = 77/120 = 0.641667 (rpl.md: 0.6417).
  CHECK(aupr_in(kKnown, kUnknown) == doctest::Approx(77.0 / 120.0));
  // AUPR-Out, from (0,0); states as (recall (3-FP)/3, precision (3-FP)/((4-TP)+(3-FP))), (4,3) skipped:
  // (1/3,1) (2/3,1) (2/3,2/3) (2/3,1/2) (2/3,2/5) (1,1/2) (1,3/7).
  // Area: 1/3*(0+1)/2 + 1/3*1 + 1/3*(2/5+1/2)/2 = 1/6 + 1/3 + 3/20 = 0.65 (rpl.md: 0.65).
  CHECK(aupr_out(kKnown, kUnknown) == doctest::Approx(0.65));
}

TEST_CASE("metrics: sweep AUPR of a perfect separator is 0.75, not 1 (the official end points)") {
  // known [3,4], unknown [1,2]: states (2,2) (2,1) (2,0) (1,0) (0,0).
  // In: (1,1/2) (1,2/3) (1,1) (1/2,1), (0,0) skipped, (0,0) appended: 1/2*1 + 1/2*(1+0)/2 = 0.75.
  CHECK(aupr_in({3, 4}, {1, 2}) == doctest::Approx(0.75));
  // Out from (0,0): (1/2,1) (1,1) (1,2/3) (1,1/2): 1/2*(0+1)/2 + 1/2*1 = 0.75.
  CHECK(aupr_out({3, 4}, {1, 2}) == doctest::Approx(0.75));
  // Average precision has no such end points: 1 for a perfect separator.
  CHECK(average_precision_in({3, 4}, {1, 2}) == 1.0);
  CHECK(average_precision_out({3, 4}, {1, 2}) == 1.0);
}

TEST_CASE("metrics: average precision (sklearn) with tied scores") {
  // In, thresholds descending: 0.9 -> TP 1, FP 0 (R .25, P 1); 0.8 (two knowns + one unknown, one
  // threshold) -> TP 3, FP 1 (R .75, P .75); 0.3 -> TP 4, FP 1 (R 1, P .8); 0.2, 0.1 add no recall.
  // AP = .25*1 + .5*.75 + .25*.8 = 0.825.
  CHECK(average_precision_in(kKnown, kUnknown) == doctest::Approx(0.825));
  // Out: unknown positive, negated scores, descending: -0.1 (R 1/3, P 1); -0.2 (R 2/3, P 1);
  // -0.3 (FP 1); -0.8 (one unknown + two knowns) -> TP 3, FP 3 (R 1, P .5).
  // AP = 1/3 + 1/3 + 1/3*.5 = 5/6.
  CHECK(average_precision_out(kKnown, kUnknown) == doctest::Approx(5.0 / 6.0));
  // Identical scores: one threshold, precision = positive fraction.
  CHECK(average_precision_in(Dv(2, 0.5), Dv(6, 0.5)) == doctest::Approx(0.25));
  CHECK(average_precision_out(Dv(2, 0.5), Dv(6, 0.5)) == doctest::Approx(0.75));
}

TEST_CASE("metrics: OSCR exact and official (rpl.md vector)") {
  const Dv known = {0.9, 0.7, 0.6, 0.3}, unknown = {0.8, 0.2, 0.1};
  const std::vector<bool> correct = {true, true, false, true};
  // Correct knowns: 0.9 beats 3, 0.7 beats 2, 0.3 beats 2 -> 7 / (4*3) = 7/12.
  CHECK(oscr(known, correct, unknown) == doctest::Approx(7.0 / 12.0));
  // Official compute_oscr, ascending order u.1 u.2 k.3 k.6(wrong) k.7 u.8 k.9, n = 7:
  // (FPR, CCR) for r = 0..5: (1,.75) (2/3,.75) (1/3,.5) (1/3,.5) (1/3,.25) (1/3,.25), plus (0,0) (0,0) (1,1).
  // Sorted descending, trapezoids: 1/3*.75 + 1/3*(.75+.5)/2 + 1/3*(.25+0)/2 = .25 + .208333 + .041667 = 0.5.
  CHECK(oscr(known, correct, unknown, OscrVariant::Official) == doctest::Approx(0.5));
  // The predictions + labels overload gives the same.
  const I preds = {1, 0, 2, 3}, labels = {1, 0, 0, 3};
  CHECK(oscr(known, preds, labels, 4, unknown) == doctest::Approx(7.0 / 12.0));
  // All correct: OSCR equals AUROC.
  CHECK(oscr(kKnown, std::vector<bool>(4, true), kUnknown) == doctest::Approx(auroc(kKnown, kUnknown)));
  CHECK(oscr(kKnown, std::vector<bool>(4, false), kUnknown) == 0.0);
}

TEST_CASE("metrics: OSCR with scores tied across known and unknown") {
  // known [0.5 correct, 0.5 wrong], unknown [0.5]: the correct known ties the unknown -> 0.5/(2*1).
  CHECK(oscr({0.5, 0.5}, {true, false}, {0.5}) == doctest::Approx(0.25));
  // Official: stable order k0 k1 u; points (1,0) (1,0) (0,0) (0,0) (1,1): every trapezoid has
  // CCR 0 on the left or zero width -> 0 (a tie counts 0, like official AUROC).
  CHECK(oscr({0.5, 0.5}, {true, false}, {0.5}, OscrVariant::Official) == 0.0);
  // known [0.7 correct, 0.5 correct], unknown [0.5, 0.1]: 0.7 beats 2; 0.5 ties 1 and beats 1 -> 3.5/4.
  CHECK(oscr({0.7, 0.5}, {true, true}, {0.5, 0.1}) == doctest::Approx(0.875));
}

TEST_CASE("metrics: open_set_metrics bundles the rpl.md numbers") {
  const OpenSetMetrics m = open_set_metrics(kKnown, {true, true, false, true}, kUnknown);
  CHECK(m.auroc == doctest::Approx(10.0 / 12.0));
  CHECK(m.auroc_official == doctest::Approx(0.75));
  CHECK(m.dtacc == doctest::Approx(5.0 / 6.0));
  CHECK(m.aupr_in == doctest::Approx(77.0 / 120.0));
  CHECK(m.aupr_out == doctest::Approx(0.65));
  // Correct knowns 0.9 (3), 0.8 (2.5), 0.3 (2) -> 7.5/12.
  CHECK(m.oscr == doctest::Approx(7.5 / 12.0));
}

TEST_CASE("metrics: open-set errors name the function and what was found") {
  CHECK_THROWS_WITH_AS(auroc({}, {0.1}), doctest::Contains("auroc"), eg::Error);
  CHECK_THROWS_AS(auroc({0.1}, {}), eg::Error);
  CHECK_THROWS_WITH_AS(aupr_in({0.1, std::nan("")}, {0.2}), doctest::Contains("known_scores[1]"), eg::Error);
  CHECK_THROWS_WITH_AS(aupr_out({0.1}, {std::nan("")}), doctest::Contains("unknown_scores[0]"), eg::Error);
  CHECK_THROWS_AS(dtacc({}, {}), eg::Error);
  CHECK_THROWS_AS(average_precision_in({}, {0.1}), eg::Error);
  CHECK_THROWS_AS(average_precision_out({0.1}, {}), eg::Error);
  CHECK_THROWS_WITH_AS(oscr({0.1, 0.2}, std::vector<bool>{true}, {0.1}), doctest::Contains("known_correct"),
                       eg::Error);
  CHECK_THROWS_AS(oscr({0.1}, I{0}, I{0, 1}, 2, {0.1}), eg::Error);  // labels size
  CHECK_THROWS_AS(oscr({0.1}, I{0}, I{2}, 2, {0.1}), eg::Error);     // label >= K
  CHECK_THROWS_AS(oscr({0.1}, I{-1}, I{0}, 2, {0.1}), eg::Error);    // prediction < 0
}

// ---------------------------------------------------------------- retrieval

TEST_CASE("metrics: Recall@K on a hand-made 2-D point set, query excluded") {
  // p0 (0,0) y0 | p1 (1,0) y1 | p2 (3,0) y0 | p3 (0,10) y1 | p4 (0,11) y1 | p5 (20,0) y2 (alone)
  // Squared distances and the rank of each query's nearest same-label point:
  // p0: p1 1, p2 9, ...            -> p2 at rank 1
  // p1: p0 1, p2 4, p3 101, p4 122 -> p3 at rank 2
  // p2: p1 4, p0 9, ...            -> p0 at rank 1
  // p3: p4 1                        -> rank 0
  // p4: p3 1                        -> rank 0
  // p5: no other y2                 -> miss at every K
  // Hits: R@1 {p3,p4} = 2/6, R@2 + {p0,p2} = 4/6, R@4 + {p1} = 5/6, R@8 = 5/6.
  const F x = {0, 0, 1, 0, 3, 0, 0, 10, 0, 11, 20, 0};
  const I y = {0, 1, 0, 1, 1, 2};
  const Dv r = recall_at_k(x, 6, 2, y, {1, 2, 4, 8});
  REQUIRE(r.size() == 4);
  CHECK(r[0] == doctest::Approx(2.0 / 6.0));
  CHECK(r[1] == doctest::Approx(4.0 / 6.0));
  CHECK(r[2] == doctest::Approx(5.0 / 6.0));
  CHECK(r[3] == doctest::Approx(5.0 / 6.0));
  // K order is the caller's.
  CHECK(recall_at_k(x, 6, 2, y, {4, 1}) == Dv{r[2], r[0]});
  // Identical points of one class: the query (distance 0 to itself) is excluded, the duplicate is found.
  CHECK(recall_at_k(F{1, 1, 1, 1}, 2, 2, {7, 7}, {1}) == Dv{1.0});
}

TEST_CASE("metrics: Recall@K breaks distance ties toward the lower index") {
  // p0 (0,0), p1 (1,0), p2 (-1,0): for p0, p1 and p2 tie at distance 1 and p1 comes first.
  const F x = {0, 0, 1, 0, -1, 0};
  // Labels 0,1,0: p0 gets p1 (wrong), p1 has no positive, p2 gets p0 -> R@1 = 1/3; R@2: p0 hits -> 2/3.
  CHECK(recall_at_k(x, 3, 2, {0, 1, 0}, {1, 2}) == Dv{1.0 / 3.0, 2.0 / 3.0});
  // Labels 0,0,1: p0 gets p1 (right), p1 gets p0, p2 has no positive -> R@1 = 2/3.
  CHECK(recall_at_k(x, 3, 2, {0, 0, 1}, {1}) == Dv{2.0 / 3.0});
}

TEST_CASE("metrics: Recall@K blocked parallel loop equals a naive ranking") {
  // N = 301 spans several query blocks (16) and candidate tiles (256); coarse coordinates make ties.
  const int64_t n = 301, d = 3;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coord(0, 3), cls(0, 6);
  F x(static_cast<size_t>(n * d));
  I y(static_cast<size_t>(n));
  for (auto& v : x) v = static_cast<float>(coord(rng));
  for (auto& v : y) v = cls(rng);
  const I ks = {1, 2, 4, 8, 16};
  Dv want(ks.size(), 0.0);
  for (int64_t q = 0; q < n; ++q) {
    std::vector<std::pair<double, int64_t>> order;
    for (int64_t j = 0; j < n; ++j) {
      if (j == q) continue;
      double s = 0;
      for (int64_t f = 0; f < d; ++f) s += std::pow(x[q * d + f] - x[j * d + f], 2);
      order.emplace_back(s, j);
    }
    std::sort(order.begin(), order.end());
    for (size_t t = 0; t < ks.size(); ++t)
      for (int64_t r = 0; r < ks[t]; ++r)
        if (y[static_cast<size_t>(order[static_cast<size_t>(r)].second)] == y[static_cast<size_t>(q)]) {
          want[t] += 1.0 / static_cast<double>(n);
          break;
        }
  }
  const Dv got = recall_at_k(x, n, d, y, ks);
  for (size_t t = 0; t < ks.size(); ++t) CHECK(got[t] == doctest::Approx(want[t]));
  CHECK(got[0] < got[4]);  // the case is not trivial
}

TEST_CASE("metrics: Recall@K errors name the function and what was found") {
  const F x = {0, 0, 1, 1, 2, 2};
  CHECK_THROWS_WITH_AS(recall_at_k(x, 3, 3, {0, 1, 0}, {1}), doctest::Contains("recall_at_k"), eg::Error);
  CHECK_THROWS_AS(recall_at_k(x, 3, 2, {0, 1}, {1}), eg::Error);       // labels size
  CHECK_THROWS_AS(recall_at_k(x, 3, 2, {0, 1, 0}, {}), eg::Error);     // no K
  CHECK_THROWS_AS(recall_at_k(x, 3, 2, {0, 1, 0}, {1, 0}), eg::Error); // K = 0
  CHECK_THROWS_AS(recall_at_k(F{0, 0}, 1, 2, {0}, {1}), eg::Error);    // N = 1
  CHECK_THROWS_AS(recall_at_k(F{}, 0, 2, {}, {1}), eg::Error);
  CHECK_THROWS_AS(recall_at_k(x, 3, 0, {0, 1, 0}, {1}), eg::Error);
  CHECK_THROWS_AS(recall_at_k(F{0, 0, std::nanf(""), 1}, 2, 2, {0, 0}, {1}), eg::Error);
  CHECK_THROWS_AS(recall_at_k(F{0, 0, std::numeric_limits<float>::infinity(), 1}, 2, 2, {0, 0}, {1}),
                  eg::Error);
}
