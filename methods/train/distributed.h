// distributed.h — data-parallel training over several processes (and machines) with Open MPI. A trainer
// started by `mpirun -np N` runs as N ranks of MPI_COMM_WORLD; started alone (or built without MPI,
// -DENGINE_MPI=OFF) it is rank 0 of a world of size 1 and every call below is a cheap no-op.
// MPI is initialized only when a launcher (mpirun, srun) started the process: a plain run never pays for
// it. The world is process-wide state by nature (MPI_COMM_WORLD exists once per process); the one setting
// kept here besides it is --sync-bn, applied with --threads by apply_common_flags.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace eg::train::dist {

bool compiled();      // this build has MPI (ENGINE_MPI found Open MPI)
bool launched();      // an MPI launcher started this process (its environment says so)
int rank();           // this process in MPI_COMM_WORLD: 0 without MPI
int size();           // processes in MPI_COMM_WORLD: 1 without MPI
int local_size();     // of them, on this machine (shares its cores)
inline bool is_root() { return rank() == 0; }  // writes logs, checkpoints, figures and metrics

// RAII: MPI_Init_thread (main thread only: FUNNELED) when launched(), MPI_Finalize at the end. Refuses a
// launch with N > 1 in a build without MPI (the N copies would each train alone and overwrite each other).
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

// Stops every rank (MPI_Abort) after this rank has printed why; in a world of size 1, std::exit(code).
[[noreturn]] void abort_all(int code);

// Collectives over MPI_COMM_WORLD, in place; every rank must call them in the same order with the same n.
void all_reduce_sum(float* data, int64_t n);
void all_reduce_sum(double* data, int64_t n);
void all_reduce_max(double* data, int64_t n);
void broadcast(void* data, int64_t bytes, int root = 0);
void barrier();
// Every rank's vector, concatenated in rank order (sizes may differ), on every rank.
std::vector<float> all_gather(const std::vector<float>& local);
std::vector<int64_t> all_gather(const std::vector<int64_t>& local);

// [begin, end) of this rank's contiguous share of n items (the first n % size ranks get one more).
std::pair<int64_t, int64_t> shard_range(int64_t n, int r = rank(), int world = size());

// For what does not run data-parallel yet: throws "<what> cannot run under mpirun with more than one
// process (<why>)..." when size() > 1.
void refuse_distributed(const std::string& what, const std::string& why);

// --sync-bn: BatchNorm layers use the global batch's statistics (see nn::BatchNorm2d::cross_replica_sum).
void set_sync_batchnorm(bool on);
bool sync_batchnorm();

}  // namespace eg::train::dist
