/* jail_run_preload.so: installs stage B, the program's exact policy, after the
 * dynamic loader has done its work and before main. The launcher put this
 * library first in LD_PRELOAD and the channel fd in JAIL_RUN_STAGE_B_FD; the
 * protocol is in protocol.h and native/README.md.
 *
 * Fail closed: if anything goes wrong the program never reaches main; the
 * preload reports the stage and errno on the channel and exits with 125.
 * After the filter is installed the preload makes only the calls stage B was
 * composed to allow: sendmsg on the channel, then close of the listener (if
 * any) and of the channel. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "protocol.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the channel carries little-endian sock_filter records; this host would need to swap them"
#endif

static int channel_fd = -1;
static unsigned char request[JAIL_RUN_REQUEST_HEADER_SIZE + JAIL_RUN_MAX_INSTRUCTIONS * JAIL_RUN_INSTRUCTION_SIZE + 1];
static struct sock_filter instructions[JAIL_RUN_MAX_INSTRUCTIONS];

static int send_reply(uint32_t stage, int error, int listener_fd) {
  struct jail_run_reply reply;
  memcpy(reply.magic, JAIL_RUN_REPLY_MAGIC, 4);
  reply.stage = stage;
  reply.error = error;
  struct iovec data = {&reply, sizeof reply};
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(int))];
  } control;
  memset(&control, 0, sizeof control);
  struct msghdr message;
  memset(&message, 0, sizeof message);
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  if (listener_fd >= 0) {
    message.msg_control = control.bytes;
    message.msg_controllen = sizeof control.bytes;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &listener_fd, sizeof(int));
  }
  ssize_t sent;
  do sent = sendmsg(channel_fd, &message, MSG_NOSIGNAL);
  while (sent < 0 && errno == EINTR);
  return sent < 0 ? -1 : 0;
}

static void fail(uint32_t stage, int error) __attribute__((noreturn));
static void fail(uint32_t stage, int error) {
  if (channel_fd >= 0) send_reply(stage, error, -1);
  _exit(JAIL_RUN_PRELOAD_EXIT_STATUS);
}

static int parse_fd(const char *text) {
  if (*text == '\0') return -1;
  long value = 0;
  for (const char *digit = text; *digit != '\0'; digit++) {
    if (*digit < '0' || *digit > '9') return -1;
    value = value * 10 + (*digit - '0');
    if (value > INT_MAX - 1) return -1;
  }
  return (int)value;
}

/* Drop what the launcher added: the program and its children see neither our
 * variable nor our library (the first LD_PRELOAD entry; ld.so separates
 * entries with ':' or spaces). The value is edited in place and unsetenv only
 * moves pointers: no allocation, so no system call stage A would have to allow. */
static void forget_environment(void) {
  unsetenv(JAIL_RUN_STAGE_B_FD_VARIABLE);
  char *preload = getenv("LD_PRELOAD");
  if (preload == NULL) return;
  const char *rest = preload + strcspn(preload, ": ");
  rest += strspn(rest, ": ");
  if (*rest == '\0') unsetenv("LD_PRELOAD");
  else memmove(preload, rest, strlen(rest) + 1);
}

static uint32_t read_u32(const unsigned char *bytes) {
  return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 | (uint32_t)bytes[3] << 24;
}

/* Returns the number of instructions; sets *listener from the flags. */
static unsigned short read_filter(int *listener) {
  /* read(2) on a SOCK_SEQPACKET socket takes one whole message; the buffer
   * has a spare byte, so an oversized message shows up as a wrong length. */
  ssize_t length;
  do length = read(channel_fd, request, sizeof request);
  while (length < 0 && errno == EINTR);
  if (length < 0) {
    if (errno == EBADF || errno == ENOTSOCK) channel_fd = -1; /* nowhere to report */
    fail(JAIL_RUN_PRELOAD_READ_FILTER, errno);
  }
  if (length < JAIL_RUN_REQUEST_HEADER_SIZE || memcmp(request, JAIL_RUN_REQUEST_MAGIC, 4) != 0) {
    fail(JAIL_RUN_PRELOAD_READ_FILTER, EPROTO);
  }
  uint32_t flags = read_u32(request + 4);
  uint32_t count = read_u32(request + 8);
  if (count == 0 || count > JAIL_RUN_MAX_INSTRUCTIONS ||
      (size_t)length != JAIL_RUN_REQUEST_HEADER_SIZE + (size_t)count * JAIL_RUN_INSTRUCTION_SIZE ||
      (flags & ~JAIL_RUN_FLAG_LISTENER) != 0) {
    fail(JAIL_RUN_PRELOAD_READ_FILTER, EPROTO);
  }
  memcpy(instructions, request + JAIL_RUN_REQUEST_HEADER_SIZE, (size_t)count * JAIL_RUN_INSTRUCTION_SIZE);
  *listener = (flags & JAIL_RUN_FLAG_LISTENER) != 0;
  return (unsigned short)count;
}

__attribute__((constructor)) static void install_stage_b(void) {
  const char *fd_text = getenv(JAIL_RUN_STAGE_B_FD_VARIABLE);
  if (fd_text == NULL) return; /* not launched by jail-run: nothing to do */
  channel_fd = parse_fd(fd_text);
  if (channel_fd < 0) _exit(JAIL_RUN_PRELOAD_EXIT_STATUS); /* nowhere to report */
  forget_environment();

  int listener = 0;
  struct sock_fprog program = {read_filter(&listener), instructions};
  const int expected_listener_fd = channel_fd + 1;
  /* The kernel gives the listener the lowest free fd and stage B names it in
   * advance: it must be free now. (Were a lower fd free, the listener would
   * land there and the check after installing fails closed.) */
  if (listener && (fcntl(expected_listener_fd, F_GETFD) >= 0 || errno != EBADF)) {
    fail(JAIL_RUN_PRELOAD_LISTENER_FD, EBUSY);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(JAIL_RUN_PRELOAD_NO_NEW_PRIVS, errno);

  /* seccomp(2) in both cases, so stage A allows one call for it. From here on
   * stage B is in force. */
  const unsigned long flags = listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  const int installed = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &program);
  if (installed < 0) fail(JAIL_RUN_PRELOAD_SECCOMP, errno);
  const int listener_fd = listener ? installed : -1;
  if (listener && listener_fd != expected_listener_fd) fail(JAIL_RUN_PRELOAD_LISTENER_FD, EBADFD);
  if (send_reply(JAIL_RUN_PRELOAD_INSTALLED, 0, listener_fd) < 0) _exit(JAIL_RUN_PRELOAD_EXIT_STATUS);
  if (listener_fd >= 0) close(listener_fd);
  close(channel_fd);
  channel_fd = -1;
}
