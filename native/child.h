// The child's side of spawn: everything between fork and execve. Only raw
// pointers prepared by the parent, only async-signal-safe system calls, no
// allocation, no locks: the parent is a multithreaded Node process and its
// other threads' locks are frozen in the copy.
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <sys/types.h>

namespace jail_run {

struct ChildPlan {
  const char* file;
  char* const* argv;
  char* const* envp;
  const char* cwd;           // nullptr: stay where the parent is
  const int* sources;        // per child position: the fd (in the copy) that goes there
  int* scratch;              // positionCount ints the child may overwrite
  int positionCount;
  int statusFd;              // close-on-exec SOCK_SEQPACKET end: failure records, the listener
  const sock_fprog* filters;
  int filterCount;
  int listenerFilterIndex;   // -1: none
  int deathSignal;           // 0: none
  pid_t parentPid;
  bool noNewPrivs;
  unsigned int closeLoopLimit;  // RLIMIT_NOFILE, for kernels without close_range
  const sigset_t* emptyMask;
  const struct sigaction* defaultAction;
};

[[noreturn]] void runChild(const ChildPlan& plan);

}  // namespace jail_run
