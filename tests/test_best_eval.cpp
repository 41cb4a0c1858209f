// test_best_eval.cpp — model selection on a validation split (methods/train/best_eval.h): the highest
// score wins, a tie goes to the later epoch, NaN never wins, the best survives a resume through its file.
#include <cmath>
#include <filesystem>
#include <fstream>

#include "methods/train/best_eval.h"
#include "tests/test_util.h"

using namespace eg;
using namespace eg::train;

static BestEval at(int64_t epoch, double score) {
  BestEval e;
  e.epoch = epoch, e.score = score;
  e.metrics = {{"test_acc", 0.5 + epoch / 100.0}, {"few_acc", NAN}};
  e.per_class = {0.25 * (double)epoch, NAN};
  e.confusion = {epoch, 1, 2, 3};
  return e;
}

TEST_CASE("best_eval: highest validation score wins, ties go to the later epoch, the file resumes it") {
  namespace fs = std::filesystem;
  fs::path dir = test::temp_dir("eg_test_best_eval");
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::string path = (dir / "best_eval.json").string();
  {
    BestEvalTracker t(path, /*resume=*/false);
    CHECK_FALSE(t.any());
    CHECK_FALSE(t.offer(at(0, NAN)));
    CHECK(t.offer(at(0, 0.6)));
    CHECK(t.offer(at(1, 0.8)));
    CHECK_FALSE(t.offer(at(2, 0.7)));
    CHECK(t.offer(at(3, 0.8)));  // tie: the later epoch
    CHECK_FALSE(t.offer(at(4, NAN)));
    CHECK(t.best().epoch == 3);
    CHECK(t.best().metrics.at("test_acc") == doctest::Approx(0.53));
  }
  BestEvalTracker fresh(path, /*resume=*/false);  // a fresh run ignores an old file
  CHECK_FALSE(fresh.any());
  BestEvalTracker resumed(path, /*resume=*/true);
  REQUIRE(resumed.any());
  CHECK(resumed.best().epoch == 3);
  CHECK(resumed.best().score == doctest::Approx(0.8));
  CHECK(resumed.best().metrics.count("few_acc") == 0);  // NaN metrics are left out of the file
  REQUIRE(resumed.best().per_class.size() == 2);
  CHECK(resumed.best().per_class[0] == 0.75);
  CHECK(std::isnan(resumed.best().per_class[1]));
  CHECK(resumed.best().confusion == std::vector<int64_t>{3, 1, 2, 3});
  CHECK_FALSE(resumed.offer(at(5, 0.79)));
  std::ofstream(path) << "{\"epoch\": 1}";
  CHECK_THROWS_WITH_AS(BestEvalTracker(path, true), doctest::Contains("not a best-evaluation file"), eg::Error);
  fs::remove_all(dir);
}
