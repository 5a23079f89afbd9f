// The parent's side of spawn: prepare everything, fork, wait for the child to
// exec or to report the stage that failed, and clean up on every path.
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "stage_b_channel.h"
#include "unique_fd.h"

namespace jail_run {

const char* stageName(SpawnStage stage) {
  switch (stage) {
    case SpawnStage::OpenDevNull: return "open-devnull";
    case SpawnStage::Pipe: return "pipe";
    case SpawnStage::StageBChannel: return "stage-b-channel";
    case SpawnStage::Fork: return "fork";
    case SpawnStage::Pidfd: return "pidfd";
    case SpawnStage::Signals: return "signals";
    case SpawnStage::Chdir: return "chdir";
    case SpawnStage::Dup2: return "dup2";
    case SpawnStage::CloseFds: return "close-fds";
    case SpawnStage::Pdeathsig: return "pdeathsig";
    case SpawnStage::NoNewPrivs: return "no-new-privs";
    case SpawnStage::Seccomp: return "seccomp";
    case SpawnStage::SendListener: return "send-listener";
    case SpawnStage::Execve: return "execve";
    case SpawnStage::Report: return "report";
  }
  return "unknown";
}

namespace {

// How long spawn waits for the listener from a child that has not exec'd yet.
constexpr int kListenerTimeoutMilliseconds = 10'000;

std::vector<char*> cStringArray(const std::vector<std::string>& strings) {
  std::vector<char*> array;
  array.reserve(strings.size() + 1);
  for (const std::string& value : strings) array.push_back(const_cast<char*>(value.c_str()));
  array.push_back(nullptr);
  return array;
}

// The environment the program gets: the caller's, plus the stage-B variables
// (native/README.md). Our preload goes first so that it runs before any other.
std::vector<std::string> programEnvironment(const SpawnRequest& request, int channelPosition) {
  std::vector<std::string> environment;
  environment.reserve(request.envp.size() + 2);
  static const std::string preloadKey = "LD_PRELOAD=";
  static const std::string channelKey = std::string(kStageBFdVariable) + "=";
  bool preloadPlaced = false;
  for (const std::string& entry : request.envp) {
    if (!request.stageB) {
      environment.push_back(entry);
    } else if (entry.compare(0, channelKey.size(), channelKey) == 0) {
      continue;  // ours is authoritative
    } else if (entry.compare(0, preloadKey.size(), preloadKey) == 0 && !preloadPlaced) {
      const std::string previous = entry.substr(preloadKey.size());
      environment.push_back(preloadKey + request.stageB->preloadPath + (previous.empty() ? "" : ":" + previous));
      preloadPlaced = true;
    } else {
      environment.push_back(entry);
    }
  }
  if (request.stageB) {
    if (!preloadPlaced) environment.push_back(preloadKey + request.stageB->preloadPath);
    environment.push_back(channelKey + std::to_string(channelPosition));
  }
  return environment;
}

SpawnFailure failure(SpawnStage stage, int error, const std::string& path, int filterIndex = -1) {
  return SpawnFailure{stage, error, filterIndex, path};
}

void reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

void killAndReap(int pidfd, pid_t pid) {
  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
  reap(pid);
}

// Read the child's status socket until execve closes it (success) or a
// failure record arrives. A listener arrives first when one was asked for;
// from then on a pending notification before execve completes means the
// filter sent one of the child's own pre-exec calls to a listener nobody can
// answer yet: fail instead of waiting forever.
std::optional<SpawnFailure> awaitExec(int statusFd, int& listenerFd, bool listenerExpected, const std::string& path) {
  for (;;) {
    if (listenerExpected && listenerFd < 0) {
      // The child is at most a few system calls away from sending the
      // listener. If the listener filter holds back that sendmsg itself, the
      // child waits on a listener we do not have yet: give up rather than
      // block the event loop for ever.
      pollfd watched{statusFd, POLLIN, 0};
      int ready = poll(&watched, 1, kListenerTimeoutMilliseconds);
      if (ready < 0) {
        if (errno == EINTR) continue;
        return failure(SpawnStage::Report, errno, path);
      }
      if (ready == 0) return failure(SpawnStage::SendListener, ETIMEDOUT, path);
    }
    if (listenerFd >= 0) {
      pollfd watched[2] = {{statusFd, POLLIN, 0}, {listenerFd, POLLIN, 0}};
      int ready = poll(watched, 2, -1);
      if (ready < 0) {
        if (errno == EINTR) continue;
        return failure(SpawnStage::Report, errno, path);
      }
      if (watched[0].revents == 0 && (watched[1].revents & POLLIN)) return failure(SpawnStage::Seccomp, EDEADLK, path);
    }
    ChildFailureRecord record{};
    iovec data{&record, sizeof record};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t received = recvmsg(statusFd, &message, MSG_CMSG_CLOEXEC);
    if (received < 0) {
      if (errno == EINTR) continue;
      return failure(SpawnStage::Report, errno, path);
    }
    if (received == 0) return std::nullopt;  // execve closed the socket (or the child died: its exit says how)
    if (received != sizeof record) return failure(SpawnStage::Report, EPROTO, path);
    if (record.stage == 0) {
      cmsghdr* header = CMSG_FIRSTHDR(&message);
      if (header == nullptr || header->cmsg_type != SCM_RIGHTS || listenerFd >= 0) {
        return failure(SpawnStage::Report, EPROTO, path);
      }
      memcpy(&listenerFd, CMSG_DATA(header), sizeof(int));
      continue;
    }
    return failure(static_cast<SpawnStage>(record.stage), record.error, path, record.filterIndex);
  }
}

}  // namespace

SpawnOutcome spawnProcess(const SpawnRequest& request) {
  const std::string& path = request.file;
  const int stdioCount = static_cast<int>(request.stdio.size());
  const int positionCount = stdioCount + (request.stageB ? 1 : 0);

  // Every fd the parent makes lives in a UniqueFd until it is handed out.
  UniqueFd devNull;
  std::vector<UniqueFd> childEnds(positionCount);
  std::vector<UniqueFd> parentEnds(stdioCount);
  std::vector<int> sources(positionCount, -1);

  for (int position = 0; position < stdioCount; position++) {
    const FdSource& source = request.stdio[position];
    switch (source.kind) {
      case FdSource::Kind::Inherit:
        sources[position] = position;
        break;
      case FdSource::Kind::Fd:
        sources[position] = source.fd;
        break;
      case FdSource::Kind::Ignore:
        if (!devNull.valid()) {
          devNull.reset(open("/dev/null", O_RDWR | O_CLOEXEC));
          if (!devNull.valid()) return {std::nullopt, failure(SpawnStage::OpenDevNull, errno, path)};
        }
        sources[position] = devNull.get();
        break;
      case FdSource::Kind::Pipe: {
        int ends[2];
        if (pipe2(ends, O_CLOEXEC) < 0) return {std::nullopt, failure(SpawnStage::Pipe, errno, path)};
        // Position 0 is the program's input: it reads, we write.
        const bool childReads = position == 0;
        childEnds[position].reset(childReads ? ends[0] : ends[1]);
        parentEnds[position].reset(childReads ? ends[1] : ends[0]);
        sources[position] = childEnds[position].get();
        break;
      }
    }
  }

  UniqueFd stageBParentEnd;
  if (request.stageB) {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) < 0) {
      return {std::nullopt, failure(SpawnStage::StageBChannel, errno, path)};
    }
    stageBParentEnd.reset(ends[0]);
    childEnds[stdioCount].reset(ends[1]);
    sources[stdioCount] = ends[1];
    // Written before fork: the socket buffer holds the whole filter, so this
    // never waits for the program.
    const std::vector<unsigned char> message =
        encodeStageBRequest(request.stageB->filter, request.stageB->listener);
    if (send(stageBParentEnd.get(), message.data(), message.size(), MSG_NOSIGNAL) < 0) {
      return {std::nullopt, failure(SpawnStage::StageBChannel, errno, path)};
    }
  }

  int statusEnds[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, statusEnds) < 0) {
    return {std::nullopt, failure(SpawnStage::Pipe, errno, path)};
  }
  UniqueFd statusParentEnd(statusEnds[0]);
  UniqueFd statusChildEnd(statusEnds[1]);

  std::vector<char*> argv = cStringArray(request.argv);
  const std::vector<std::string> environment = programEnvironment(request, stdioCount);
  std::vector<char*> envp = cStringArray(environment);
  std::vector<sock_fprog> filters;
  for (const std::vector<sock_filter>& filter : request.filters) {
    filters.push_back(sock_fprog{static_cast<unsigned short>(filter.size()), const_cast<sock_filter*>(filter.data())});
  }
  std::vector<int> scratch(positionCount, -1);
  rlimit fileLimit{};
  getrlimit(RLIMIT_NOFILE, &fileLimit);
  sigset_t emptyMask;
  sigemptyset(&emptyMask);
  struct sigaction defaultAction {};
  defaultAction.sa_handler = SIG_DFL;
  sigemptyset(&defaultAction.sa_mask);

  ChildPlan plan{};
  plan.file = request.file.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.cwd = request.cwd ? request.cwd->c_str() : nullptr;
  plan.sources = sources.data();
  plan.scratch = scratch.data();
  plan.positionCount = positionCount;
  plan.statusFd = statusChildEnd.get();
  plan.filters = filters.data();
  plan.filterCount = static_cast<int>(filters.size());
  plan.listenerFilterIndex = request.listenerFilterIndex;
  plan.deathSignal = request.deathSignal;
  plan.parentPid = getpid();
  plan.noNewPrivs = !request.filters.empty() || request.stageB.has_value();
  plan.closeLoopLimit = fileLimit.rlim_cur == RLIM_INFINITY || fileLimit.rlim_cur > 1u << 20
                            ? 1u << 20
                            : static_cast<unsigned int>(fileLimit.rlim_cur);
  plan.emptyMask = &emptyMask;
  plan.defaultAction = &defaultAction;

  // A raw clone rather than fork(): no pthread_atfork handlers run in the
  // child (they are not async-signal-safe), and CLONE_PIDFD hands us the
  // pidfd with no window where the pid could be reused. Signals stay blocked
  // across it so that no Node handler runs in the child before the reset.
  sigset_t allSignals, previousMask;
  sigfillset(&allSignals);
  pthread_sigmask(SIG_SETMASK, &allSignals, &previousMask);
  int pidfd = -1;
  const long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, nullptr, &pidfd, nullptr, nullptr);
  if (pid == 0) runChild(plan);
  const int cloneError = errno;
  pthread_sigmask(SIG_SETMASK, &previousMask, nullptr);
  if (pid < 0) return {std::nullopt, failure(SpawnStage::Fork, cloneError, path)};
  UniqueFd pidfdOwner(pidfd);

  // The child holds its own copies now.
  statusChildEnd.reset();
  devNull.reset();
  for (UniqueFd& end : childEnds) end.reset();

  int listenerFd = -1;
  std::optional<SpawnFailure> failed = awaitExec(statusParentEnd.get(), listenerFd, request.listenerFilterIndex >= 0, path);
  UniqueFd listenerOwner(listenerFd);
  if (failed) {
    if (failed->stage == SpawnStage::Chdir && request.cwd) failed->path = *request.cwd;
    killAndReap(pidfd, static_cast<pid_t>(pid));
    return {std::nullopt, failed};
  }

  SpawnResult result;
  result.pid = static_cast<pid_t>(pid);
  result.pidfd = pidfdOwner.release();
  for (UniqueFd& end : parentEnds) result.stdioFds.push_back(end.release());
  result.listenerFd = listenerOwner.release();
  result.stageBFd = stageBParentEnd.release();
  return {result, std::nullopt};
}

}  // namespace jail_run
