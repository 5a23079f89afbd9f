#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"

namespace jail_run {
namespace {

// Report (stage, errno) to the parent and leave. The write is best effort: if
// the filter denies it, the parent sees the child die instead.
[[noreturn]] void fail(int statusFd, SpawnStage stage, int error, int filterIndex = -1) {
  ChildFailureRecord record{static_cast<int>(stage), error, filterIndex};
  while (write(statusFd, &record, sizeof record) < 0 && errno == EINTR) {
  }
  _exit(127);
}

int closeRange(unsigned int first, unsigned int last, unsigned int loopLimit) {
  if (first > last) return 0;
  if (syscall(SYS_close_range, first, last, 0) == 0) return 0;
  if (errno != ENOSYS) return -1;
  // Before Linux 5.9: close one by one up to the fd limit taken in the parent.
  for (unsigned int fd = first; fd <= last && fd < loopLimit; fd++) close(static_cast<int>(fd));
  return 0;
}

// Signals are blocked since before fork. Handlers go back to SIG_DFL first
// (ignored signals would survive execve, and Node ignores SIGPIPE), then the
// mask is emptied. sigaction fails with EINVAL for SIGKILL, SIGSTOP and the
// signals glibc reserves; those need no reset.
void resetSignals(const ChildPlan& plan) {
  for (int signal = 1; signal < _NSIG; signal++) {
    if (signal == SIGKILL || signal == SIGSTOP) continue;
    sigaction(signal, plan.defaultAction, nullptr);
  }
  if (sigprocmask(SIG_SETMASK, plan.emptyMask, nullptr) < 0) fail(plan.statusFd, SpawnStage::Signals, errno);
}

int dup2Retrying(int from, int to) {
  int result;
  do result = dup2(from, to);
  while (result < 0 && errno == EINTR);
  return result;
}

// Put every source at its position. Sources are first copied above the
// position range so that placing one never overwrites another still needed;
// the status socket moves up too. Then the status socket goes to its fixed
// number, right after the positions (statusChildFd in native.ts), so that
// stage A can pin the listener hand-over's sendmsg to it, and every other fd
// is closed. Returns the status fd's number (= positionCount).
int arrangeFds(const ChildPlan& plan) {
  const int count = plan.positionCount;
  int statusFd = fcntl(plan.statusFd, F_DUPFD_CLOEXEC, count + 1);
  if (statusFd < 0) fail(plan.statusFd, SpawnStage::Dup2, errno);
  for (int position = 0; position < count; position++) {
    plan.scratch[position] = fcntl(plan.sources[position], F_DUPFD_CLOEXEC, count);
    if (plan.scratch[position] < 0) fail(statusFd, SpawnStage::Dup2, errno);
  }
  for (int position = 0; position < count; position++) {
    // dup2 clears close-on-exec on the new fd, which is what the program needs.
    if (dup2Retrying(plan.scratch[position], position) < 0) fail(statusFd, SpawnStage::Dup2, errno);
  }
  // dup3 replaces whatever scratch copy sits at `count`; the socket stays
  // close-on-exec, so the program never sees it.
  int fixedStatusFd;
  do fixedStatusFd = dup3(statusFd, count, O_CLOEXEC);
  while (fixedStatusFd < 0 && errno == EINTR);
  if (fixedStatusFd < 0) fail(statusFd, SpawnStage::Dup2, errno);
  if (closeRange(static_cast<unsigned int>(count) + 1, ~0U, plan.closeLoopLimit) < 0) {
    fail(fixedStatusFd, SpawnStage::CloseFds, errno);
  }
  return fixedStatusFd;
}

void sendListener(int statusFd, int listenerFd) {
  ChildFailureRecord record{0, 0, -1};  // stage 0: "here is the listener"
  iovec data{&record, sizeof record};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(header), &listenerFd, sizeof(int));
  ssize_t sent;
  do sent = sendmsg(statusFd, &message, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  if (sent < 0) fail(statusFd, SpawnStage::SendListener, errno);
}

}  // namespace

void runChild(const ChildPlan& plan) {
  resetSignals(plan);
  if (plan.cwd != nullptr && chdir(plan.cwd) < 0) fail(plan.statusFd, SpawnStage::Chdir, errno);
  const int statusFd = arrangeFds(plan);

  if (plan.deathSignal != 0) {
    if (prctl(PR_SET_PDEATHSIG, plan.deathSignal, 0, 0, 0) < 0) fail(statusFd, SpawnStage::Pdeathsig, errno);
    // The launcher may have died between fork and prctl: the signal would
    // never come, so do not run unsupervised.
    if (getppid() != plan.parentPid) _exit(127);
  }
  if (plan.noNewPrivs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(statusFd, SpawnStage::NoNewPrivs, errno);

  int listenerFd = -1;
  for (int index = 0; index < plan.filterCount; index++) {
    const sock_fprog* program = &plan.filters[index];
    if (index == plan.listenerFilterIndex) {
      // The listener flag needs seccomp(2); the kernel makes the fd close-on-exec.
      listenerFd = static_cast<int>(
          syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, program));
      if (listenerFd < 0) fail(statusFd, SpawnStage::Seccomp, errno, index);
    } else if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, program, 0, 0) < 0) {
      fail(statusFd, SpawnStage::Seccomp, errno, index);
    }
  }
  if (listenerFd >= 0) sendListener(statusFd, listenerFd);

  execve(plan.file, plan.argv, plan.envp);
  fail(statusFd, SpawnStage::Execve, errno);
}

}  // namespace jail_run
