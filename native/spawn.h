// The spawn core: a request prepared entirely in the parent (plain C++ data,
// no N-API), and the fork/exec that carries it out. binding.cc converts from
// and to JavaScript; nothing here knows about JavaScript.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace jail_run {

// How one child fd position is set up (stdio and extra inherited fds).
struct FdSource {
  enum class Kind { Inherit, Pipe, Ignore, Fd };
  Kind kind = Kind::Inherit;
  int fd = -1;  // for Kind::Fd: the parent's fd to pass on
};

struct StageB {
  std::vector<sock_filter> filter;
  std::string preloadPath;
  bool listener = false;
};

struct SpawnRequest {
  std::string file;
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::optional<std::string> cwd;
  std::vector<FdSource> stdio;
  std::vector<std::vector<sock_filter>> filters;
  int listenerFilterIndex = -1;
  int deathSignal = 0;
  std::optional<StageB> stageB;
};

struct SpawnResult {
  pid_t pid = -1;
  int pidfd = -1;
  std::vector<int> stdioFds;  // parent's pipe end per position, -1 when none
  int listenerFd = -1;
  int stageBFd = -1;
};

// Where a spawn failed. The numeric values cross the child's status socket.
enum class SpawnStage : int {
  OpenDevNull = 1,
  Pipe,
  StageBChannel,
  Fork,
  Pidfd,
  Signals,
  Chdir,
  Dup2,
  CloseFds,
  Pdeathsig,
  NoNewPrivs,
  Seccomp,
  SendListener,
  Execve,
  Report,
};

const char* stageName(SpawnStage stage);

struct SpawnFailure {
  SpawnStage stage;
  int error;            // errno
  int filterIndex = -1; // for SpawnStage::Seccomp
  std::string path;
};

// Either a running child or the failure; never both, never a half-made child.
struct SpawnOutcome {
  std::optional<SpawnResult> result;
  std::optional<SpawnFailure> failure;
};

SpawnOutcome spawnProcess(const SpawnRequest& request);

// The (stage, errno) record a child sends before _exit(127).
struct ChildFailureRecord {
  int stage;
  int error;
  int filterIndex;
};

}  // namespace jail_run
