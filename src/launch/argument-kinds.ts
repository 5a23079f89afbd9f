/**
 * What each argument of a syscall means, as far as a denial report can show
 * it without reading the program's memory: descriptors and integers as
 * numbers, flag words and enumerations as the constant names of the arch
 * table, pointers as addresses.
 *
 * Names are looked up in the arch table at report time, so an arch that
 * lacks a constant (PROT_BTI exists on aarch64 only) simply never shows it.
 */

export type ArgumentKind =
  | 'fd'
  /** A descriptor or AT_FDCWD. */
  | 'dirfd'
  /** A C int: signed, low 32 bits. */
  | 'int'
  /** A file offset: signed, the arch's word width. */
  | 'offset'
  /** Unsigned count or size. */
  | 'size'
  /** An address: shown, never followed. */
  | 'pointer'
  /** A value best read in hex (masks, futex words). */
  | 'hex'
  | 'mode'
  | 'pid'
  | 'signal'
  | 'open-flags'
  | 'access-mode'
  | 'at-flags'
  | 'prot'
  | 'map-flags'
  | 'mremap-flags'
  | 'madvise'
  | 'clone-flags'
  | 'fcntl-command'
  | 'ioctl-request'
  | 'prctl-option'
  | 'arch-prctl-code'
  | 'socket-domain'
  | 'socket-type'
  | 'socket-flags'
  | 'message-flags'
  | 'epoll-op'
  | 'sigprocmask-how'
  | 'seek-whence'
  | 'clock'
  | 'resource'
  | 'seccomp-op';

/** Flag words: each name's bits are shown when all of them are set (widest first). */
export const FLAG_NAMES: Partial<Record<ArgumentKind, readonly string[]>> = {
  'open-flags': [
    'O_CREAT', 'O_EXCL', 'O_NOCTTY', 'O_TRUNC', 'O_APPEND', 'O_NONBLOCK', 'O_SYNC', 'O_DSYNC', 'O_ASYNC',
    'O_DIRECT', 'O_LARGEFILE', 'O_TMPFILE', 'O_DIRECTORY', 'O_NOFOLLOW', 'O_NOATIME', 'O_CLOEXEC', 'O_PATH',
  ],
  'at-flags': ['AT_SYMLINK_NOFOLLOW', 'AT_REMOVEDIR', 'AT_SYMLINK_FOLLOW', 'AT_NO_AUTOMOUNT', 'AT_EMPTY_PATH', 'AT_RECURSIVE'],
  prot: ['PROT_READ', 'PROT_WRITE', 'PROT_EXEC', 'PROT_SEM', 'PROT_BTI', 'PROT_MTE', 'PROT_GROWSDOWN', 'PROT_GROWSUP'],
  'map-flags': [
    'MAP_SHARED_VALIDATE', 'MAP_SHARED', 'MAP_PRIVATE', 'MAP_FIXED', 'MAP_ANONYMOUS', 'MAP_32BIT', 'MAP_GROWSDOWN',
    'MAP_DENYWRITE', 'MAP_EXECUTABLE', 'MAP_LOCKED', 'MAP_NORESERVE', 'MAP_POPULATE', 'MAP_NONBLOCK', 'MAP_STACK',
    'MAP_HUGETLB', 'MAP_SYNC', 'MAP_FIXED_NOREPLACE', 'MAP_UNINITIALIZED',
  ],
  'mremap-flags': ['MREMAP_MAYMOVE', 'MREMAP_FIXED', 'MREMAP_DONTUNMAP'],
  'clone-flags': [
    'CLONE_NEWTIME', 'CLONE_VM', 'CLONE_FS', 'CLONE_FILES', 'CLONE_SIGHAND', 'CLONE_PIDFD', 'CLONE_PTRACE', 'CLONE_VFORK',
    'CLONE_PARENT', 'CLONE_THREAD', 'CLONE_NEWNS', 'CLONE_SYSVSEM', 'CLONE_SETTLS', 'CLONE_PARENT_SETTID',
    'CLONE_CHILD_CLEARTID', 'CLONE_DETACHED', 'CLONE_UNTRACED', 'CLONE_CHILD_SETTID', 'CLONE_NEWCGROUP',
    'CLONE_NEWUTS', 'CLONE_NEWIPC', 'CLONE_NEWUSER', 'CLONE_NEWPID', 'CLONE_NEWNET', 'CLONE_IO',
    'CLONE_CLEAR_SIGHAND', 'CLONE_INTO_CGROUP',
  ],
  'socket-flags': ['SOCK_NONBLOCK', 'SOCK_CLOEXEC'],
  'access-mode': ['R_OK', 'W_OK', 'X_OK'],
  'message-flags': [
    'MSG_OOB', 'MSG_PEEK', 'MSG_DONTROUTE', 'MSG_CTRUNC', 'MSG_TRUNC', 'MSG_DONTWAIT', 'MSG_EOR', 'MSG_WAITALL',
    'MSG_NOSIGNAL', 'MSG_MORE', 'MSG_WAITFORONE', 'MSG_CMSG_CLOEXEC',
  ],
};

/** What a flag word of no bits is called. */
export const ZERO_NAMES: Partial<Record<ArgumentKind, string>> = {
  prot: 'PROT_NONE',
  'access-mode': 'F_OK',
};

/** Socket types: one base type (low bits) plus SOCK_NONBLOCK / SOCK_CLOEXEC. */
export const SOCKET_TYPE_NAMES: readonly string[] = [
  'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET', 'SOCK_DCCP', 'SOCK_PACKET',
];

/** Enumerations: the value is exactly one of these names. */
export const ENUM_NAMES: Partial<Record<ArgumentKind, readonly string[]>> = {
  madvise: [
    'MADV_NORMAL', 'MADV_RANDOM', 'MADV_SEQUENTIAL', 'MADV_WILLNEED', 'MADV_DONTNEED', 'MADV_FREE', 'MADV_REMOVE',
    'MADV_DONTFORK', 'MADV_DOFORK', 'MADV_MERGEABLE', 'MADV_UNMERGEABLE', 'MADV_HUGEPAGE', 'MADV_NOHUGEPAGE',
    'MADV_DONTDUMP', 'MADV_DODUMP', 'MADV_WIPEONFORK', 'MADV_KEEPONFORK', 'MADV_COLD', 'MADV_PAGEOUT',
    'MADV_POPULATE_READ', 'MADV_POPULATE_WRITE', 'MADV_HWPOISON',
  ],
  'fcntl-command': [
    'F_DUPFD', 'F_GETFD', 'F_SETFD', 'F_GETFL', 'F_SETFL', 'F_GETLK', 'F_SETLK', 'F_SETLKW', 'F_SETOWN', 'F_GETOWN',
    'F_SETSIG', 'F_GETSIG', 'F_SETOWN_EX', 'F_GETOWN_EX', 'F_OFD_GETLK', 'F_OFD_SETLK', 'F_OFD_SETLKW', 'F_SETLEASE',
    'F_GETLEASE', 'F_NOTIFY', 'F_DUPFD_CLOEXEC', 'F_SETPIPE_SZ', 'F_GETPIPE_SZ', 'F_ADD_SEALS', 'F_GET_SEALS',
  ],
  'prctl-option': [
    'PR_SET_PDEATHSIG', 'PR_GET_PDEATHSIG', 'PR_GET_DUMPABLE', 'PR_SET_DUMPABLE', 'PR_SET_NAME', 'PR_GET_NAME',
    'PR_GET_SECCOMP', 'PR_SET_SECCOMP', 'PR_CAPBSET_READ', 'PR_CAPBSET_DROP', 'PR_SET_NO_NEW_PRIVS',
    'PR_GET_NO_NEW_PRIVS', 'PR_SET_MM', 'PR_SET_CHILD_SUBREAPER', 'PR_GET_CHILD_SUBREAPER', 'PR_SET_TIMERSLACK',
    'PR_GET_TIMERSLACK', 'PR_SET_KEEPCAPS', 'PR_GET_KEEPCAPS', 'PR_SET_SECUREBITS', 'PR_GET_SECUREBITS',
    'PR_CAP_AMBIENT', 'PR_SET_VMA', 'PR_SET_PTRACER', 'PR_SET_THP_DISABLE', 'PR_GET_THP_DISABLE',
  ],
  'arch-prctl-code': ['ARCH_SET_GS', 'ARCH_SET_FS', 'ARCH_GET_FS', 'ARCH_GET_GS', 'ARCH_GET_CPUID', 'ARCH_SET_CPUID'],
  'socket-domain': ['AF_UNSPEC', 'AF_UNIX', 'AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_PACKET', 'AF_VSOCK', 'AF_ALG'],
  'epoll-op': ['EPOLL_CTL_ADD', 'EPOLL_CTL_DEL', 'EPOLL_CTL_MOD'],
  'sigprocmask-how': ['SIG_BLOCK', 'SIG_UNBLOCK', 'SIG_SETMASK'],
  'seek-whence': ['SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE'],
  clock: [
    'CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID', 'CLOCK_MONOTONIC_RAW',
    'CLOCK_REALTIME_COARSE', 'CLOCK_MONOTONIC_COARSE', 'CLOCK_BOOTTIME', 'CLOCK_REALTIME_ALARM',
    'CLOCK_BOOTTIME_ALARM', 'CLOCK_TAI',
  ],
  resource: [
    'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_DATA', 'RLIMIT_STACK', 'RLIMIT_CORE', 'RLIMIT_RSS', 'RLIMIT_NPROC',
    'RLIMIT_NOFILE', 'RLIMIT_MEMLOCK', 'RLIMIT_AS', 'RLIMIT_LOCKS', 'RLIMIT_SIGPENDING', 'RLIMIT_MSGQUEUE',
    'RLIMIT_NICE', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME',
  ],
  'seccomp-op': [
    'SECCOMP_SET_MODE_STRICT', 'SECCOMP_SET_MODE_FILTER', 'SECCOMP_GET_ACTION_AVAIL', 'SECCOMP_GET_NOTIF_SIZES',
  ],
  signal: [
    'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1',
    'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP',
    'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR',
    'SIGSYS',
  ],
};

/**
 * Ioctl requests are recognised by the prefixes of the families jail-run's
 * device policies use; a request with no such name is shown in hex.
 */
export const IOCTL_NAME_PATTERN =
  /^(FIO|FIC|FID|TC|TIOC|KVM_|VHOST_|VFIO_|BLK|FS_IOC|SIOC|TUN|UDMABUF_|DMA_BUF_|SYNC_IOC_|USBDEVFS_|UFFDIO|LOOP_|RND|FDGET|FS_IOC)/;

type Signature = readonly ArgumentKind[];

/**
 * Argument kinds per syscall name. Where arches differ only in the name
 * (mmap/mmap2, fstatat64/newfstatat) both names are listed; a syscall missing
 * here is shown with its six raw words.
 */
export const SYSCALL_SIGNATURES: Readonly<Record<string, Signature>> = {
  read: ['fd', 'pointer', 'size'],
  write: ['fd', 'pointer', 'size'],
  pread64: ['fd', 'pointer', 'size', 'offset'],
  pwrite64: ['fd', 'pointer', 'size', 'offset'],
  readv: ['fd', 'pointer', 'int'],
  writev: ['fd', 'pointer', 'int'],
  preadv: ['fd', 'pointer', 'int', 'hex', 'hex'],
  pwritev: ['fd', 'pointer', 'int', 'hex', 'hex'],
  close: ['fd'],
  close_range: ['fd', 'fd', 'hex'],
  open: ['pointer', 'open-flags', 'mode'],
  openat: ['dirfd', 'pointer', 'open-flags', 'mode'],
  openat2: ['dirfd', 'pointer', 'pointer', 'size'],
  creat: ['pointer', 'mode'],
  mmap: ['pointer', 'size', 'prot', 'map-flags', 'fd', 'hex'],
  mmap2: ['pointer', 'size', 'prot', 'map-flags', 'fd', 'hex'],
  mprotect: ['pointer', 'size', 'prot'],
  pkey_mprotect: ['pointer', 'size', 'prot', 'int'],
  munmap: ['pointer', 'size'],
  mremap: ['pointer', 'size', 'size', 'mremap-flags', 'pointer'],
  madvise: ['pointer', 'size', 'madvise'],
  brk: ['pointer'],
  ioctl: ['fd', 'ioctl-request', 'hex'],
  fcntl: ['fd', 'fcntl-command', 'hex'],
  fcntl64: ['fd', 'fcntl-command', 'hex'],
  dup: ['fd'],
  dup2: ['fd', 'fd'],
  dup3: ['fd', 'fd', 'open-flags'],
  pipe2: ['pointer', 'open-flags'],
  socket: ['socket-domain', 'socket-type', 'int'],
  socketpair: ['socket-domain', 'socket-type', 'int', 'pointer'],
  connect: ['fd', 'pointer', 'size'],
  bind: ['fd', 'pointer', 'size'],
  listen: ['fd', 'int'],
  accept: ['fd', 'pointer', 'pointer'],
  accept4: ['fd', 'pointer', 'pointer', 'socket-flags'],
  sendmsg: ['fd', 'pointer', 'message-flags'],
  recvmsg: ['fd', 'pointer', 'message-flags'],
  sendto: ['fd', 'pointer', 'size', 'message-flags', 'pointer', 'size'],
  recvfrom: ['fd', 'pointer', 'size', 'message-flags', 'pointer', 'pointer'],
  shutdown: ['fd', 'int'],
  clone: ['clone-flags', 'pointer', 'pointer', 'pointer', 'pointer'],
  clone3: ['pointer', 'size'],
  execve: ['pointer', 'pointer', 'pointer'],
  execveat: ['dirfd', 'pointer', 'pointer', 'pointer', 'at-flags'],
  kill: ['pid', 'signal'],
  tkill: ['pid', 'signal'],
  tgkill: ['pid', 'pid', 'signal'],
  pidfd_send_signal: ['fd', 'signal', 'pointer', 'hex'],
  rt_sigaction: ['signal', 'pointer', 'pointer', 'size'],
  rt_sigprocmask: ['sigprocmask-how', 'pointer', 'pointer', 'size'],
  prctl: ['prctl-option', 'hex', 'hex', 'hex', 'hex'],
  arch_prctl: ['arch-prctl-code', 'pointer'],
  fstat: ['fd', 'pointer'],
  fstat64: ['fd', 'pointer'],
  newfstatat: ['dirfd', 'pointer', 'pointer', 'at-flags'],
  fstatat64: ['dirfd', 'pointer', 'pointer', 'at-flags'],
  statx: ['dirfd', 'pointer', 'at-flags', 'hex', 'pointer'],
  stat: ['pointer', 'pointer'],
  lstat: ['pointer', 'pointer'],
  access: ['pointer', 'access-mode'],
  faccessat: ['dirfd', 'pointer', 'access-mode'],
  faccessat2: ['dirfd', 'pointer', 'access-mode', 'at-flags'],
  readlink: ['pointer', 'pointer', 'size'],
  readlinkat: ['dirfd', 'pointer', 'pointer', 'size'],
  unlink: ['pointer'],
  unlinkat: ['dirfd', 'pointer', 'at-flags'],
  mkdirat: ['dirfd', 'pointer', 'mode'],
  renameat2: ['dirfd', 'pointer', 'dirfd', 'pointer', 'hex'],
  getdents64: ['fd', 'pointer', 'size'],
  lseek: ['fd', 'offset', 'seek-whence'],
  ftruncate: ['fd', 'offset'],
  fallocate: ['fd', 'hex', 'offset', 'offset'],
  fsync: ['fd'],
  fdatasync: ['fd'],
  epoll_create1: ['open-flags'],
  epoll_ctl: ['fd', 'epoll-op', 'fd', 'pointer'],
  epoll_wait: ['fd', 'pointer', 'int', 'int'],
  epoll_pwait: ['fd', 'pointer', 'int', 'int', 'pointer', 'size'],
  eventfd2: ['int', 'open-flags'],
  timerfd_create: ['clock', 'open-flags'],
  timerfd_settime: ['fd', 'hex', 'pointer', 'pointer'],
  memfd_create: ['pointer', 'hex'],
  futex: ['pointer', 'hex', 'hex', 'pointer', 'pointer', 'hex'],
  getrandom: ['pointer', 'size', 'hex'],
  prlimit64: ['pid', 'resource', 'pointer', 'pointer'],
  getrlimit: ['resource', 'pointer'],
  ugetrlimit: ['resource', 'pointer'],
  setrlimit: ['resource', 'pointer'],
  wait4: ['pid', 'pointer', 'hex', 'pointer'],
  waitid: ['int', 'int', 'pointer', 'hex', 'pointer'],
  exit: ['int'],
  exit_group: ['int'],
  nanosleep: ['pointer', 'pointer'],
  clock_nanosleep: ['clock', 'hex', 'pointer', 'pointer'],
  clock_gettime: ['clock', 'pointer'],
  poll: ['pointer', 'size', 'int'],
  ppoll: ['pointer', 'size', 'pointer', 'pointer', 'size'],
  set_tid_address: ['pointer'],
  set_robust_list: ['pointer', 'size'],
  rseq: ['pointer', 'size', 'hex', 'hex'],
  seccomp: ['seccomp-op', 'hex', 'pointer'],
  sched_setaffinity: ['pid', 'size', 'pointer'],
  sched_getaffinity: ['pid', 'size', 'pointer'],
  sigaltstack: ['pointer', 'pointer'],
  uname: ['pointer'],
  chdir: ['pointer'],
  fchdir: ['fd'],
  getppid: [],
  getpid: [],
  gettid: [],
  getuid: [],
  geteuid: [],
  getgid: [],
  getegid: [],
  sched_yield: [],
  restart_syscall: [],
};
