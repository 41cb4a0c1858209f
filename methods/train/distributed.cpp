// distributed.cpp — the MPI world of a data-parallel training (see distributed.h). Built against Open MPI
// when CMake found it (ENGINE_HAS_MPI), else a world of one process.
#include "methods/train/distributed.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/check.h"

#ifdef ENGINE_HAS_MPI
#define OMPI_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace eg::train::dist {

namespace {

// Filled once by Session; the defaults describe a process that runs alone.
struct World {
  int rank = 0, size = 1, local_size = 1;
  bool initialized = false;  // by this process's Session
  bool sync_bn = false;
};
World& world() {
  static World w;
  return w;
}

#ifdef ENGINE_HAS_MPI
void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  ENGINE_FAIL("MPI ", what, " failed on rank ", world().rank, ": ", std::string(msg, (size_t)len));
}
bool active() { return world().initialized && world().size > 1; }
#else
int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : 0;
}
#endif

}  // namespace

#ifdef ENGINE_HAS_MPI
bool compiled() { return true; }
#else
bool compiled() { return false; }
#endif

bool launched() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_SIZE");
}
int rank() { return world().rank; }
int size() { return world().size; }
int local_size() { return world().local_size; }
void set_sync_batchnorm(bool on) { world().sync_bn = on; }
bool sync_batchnorm() { return world().sync_bn; }

std::pair<int64_t, int64_t> shard_range(int64_t n, int r, int w) {
  int64_t base = n / w, extra = n % w;
  int64_t begin = r * base + std::min<int64_t>(r, extra);
  return {begin, begin + base + (r < extra ? 1 : 0)};
}

void refuse_distributed(const std::string& what, const std::string& why) {
  ENGINE_CHECK(size() == 1, what, " cannot run under mpirun with more than one process (", why,
               "); run it as one process");
}

Session::Session(int& argc, char**& argv) {
  if (!launched()) return;
#ifdef ENGINE_HAS_MPI
  int provided = 0;
  check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  World& w = world();
  w.initialized = true;
  // Errors come back as codes (and become eg::Error) instead of killing the job without a message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &w.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &w.size);
  MPI_Comm local;
  check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, w.rank, MPI_INFO_NULL, &local), "split by node");
  MPI_Comm_size(local, &w.local_size);
  MPI_Comm_free(&local);
#else
  (void)argc, (void)argv;
  int n = std::max({env_int("OMPI_COMM_WORLD_SIZE"), env_int("PMI_SIZE"), env_int("PMIX_SIZE")});
  ENGINE_CHECK(n <= 1, "this build has no MPI (configured with -DENGINE_MPI=OFF or without Open MPI: install "
               "libopenmpi-dev and rebuild with -DENGINE_MPI=ON), so mpirun -np ", n, " would start ", n, " separate trainings; run it alone");
#endif
}

Session::~Session() {
#ifdef ENGINE_HAS_MPI
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (world().initialized && !finalized) MPI_Finalize();
#endif
}

void abort_all(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
#ifdef ENGINE_HAS_MPI
  if (active()) MPI_Abort(MPI_COMM_WORLD, code);
#endif
  std::exit(code);
}

#ifdef ENGINE_HAS_MPI
// MPI counts are ints: large buffers go in chunks (the same chunks on every rank).
template <typename T>
static void all_reduce(T* data, int64_t n, MPI_Datatype type, MPI_Op op) {
  if (!active()) return;
  constexpr int64_t kChunk = int64_t{1} << 28;
  for (int64_t i = 0; i < n; i += kChunk)
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + i, (int)std::min(kChunk, n - i), type, op, MPI_COMM_WORLD),
              "MPI_Allreduce");
}
void all_reduce_sum(float* d, int64_t n) { all_reduce(d, n, MPI_FLOAT, MPI_SUM); }
void all_reduce_sum(double* d, int64_t n) { all_reduce(d, n, MPI_DOUBLE, MPI_SUM); }
void all_reduce_max(double* d, int64_t n) { all_reduce(d, n, MPI_DOUBLE, MPI_MAX); }

void broadcast(void* data, int64_t bytes, int root) {
  if (!active()) return;
  constexpr int64_t kChunk = int64_t{1} << 30;
  char* p = static_cast<char*>(data);
  for (int64_t i = 0; i < bytes; i += kChunk)
    check_mpi(MPI_Bcast(p + i, (int)std::min(kChunk, bytes - i), MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
}

void barrier() {
  if (active()) check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
}

template <typename T>
static std::vector<T> gather_all(const std::vector<T>& local, MPI_Datatype type) {
  if (!active()) return local;
  int n = (int)local.size(), w = world().size;
  std::vector<int> counts((size_t)w), displs((size_t)w);
  check_mpi(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD), "MPI_Allgather (sizes)");
  int64_t total = 0;
  for (int r = 0; r < w; ++r) displs[(size_t)r] = (int)total, total += counts[(size_t)r];
  ENGINE_CHECK(total < (int64_t{1} << 31), "all_gather: ", total, " values exceed MPI's int counts");
  std::vector<T> out((size_t)total);
  check_mpi(MPI_Allgatherv(local.data(), n, type, out.data(), counts.data(), displs.data(), type, MPI_COMM_WORLD),
            "MPI_Allgatherv");
  return out;
}
std::vector<float> all_gather(const std::vector<float>& l) { return gather_all(l, MPI_FLOAT); }
std::vector<int64_t> all_gather(const std::vector<int64_t>& l) { return gather_all(l, MPI_INT64_T); }
#else
void all_reduce_sum(float*, int64_t) {}
void all_reduce_sum(double*, int64_t) {}
void all_reduce_max(double*, int64_t) {}
void broadcast(void*, int64_t, int) {}
void barrier() {}
std::vector<float> all_gather(const std::vector<float>& l) { return l; }
std::vector<int64_t> all_gather(const std::vector<int64_t>& l) { return l; }
#endif

}  // namespace eg::train::dist
