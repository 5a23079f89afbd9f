/* The stage-B channel, shared by the addon (C++) and the preload (C).
 * native/README.md describes it in prose; this header is the one definition. */
#ifndef JAIL_RUN_PRELOAD_PROTOCOL_H
#define JAIL_RUN_PRELOAD_PROTOCOL_H

#include <stdint.h>

/* The environment variable holding the child's channel fd number. */
#define JAIL_RUN_STAGE_B_FD_VARIABLE "JAIL_RUN_STAGE_B_FD"

/* Launcher → preload: magic, flags, instruction count (u32 LE each), records. */
#define JAIL_RUN_REQUEST_MAGIC "JRB1"
#define JAIL_RUN_REQUEST_HEADER_SIZE 12
#define JAIL_RUN_FLAG_LISTENER 1u
#define JAIL_RUN_MAX_INSTRUCTIONS 4096
#define JAIL_RUN_INSTRUCTION_SIZE 8

/* Preload → launcher: one 12-byte message, plus the listener as SCM_RIGHTS. */
#define JAIL_RUN_REPLY_MAGIC "JRC1"
struct jail_run_reply {
  char magic[4];
  uint32_t stage; /* 0: installed, else enum jail_run_preload_stage */
  int32_t error;  /* errno, 0 when installed */
};

enum jail_run_preload_stage {
  JAIL_RUN_PRELOAD_INSTALLED = 0,
  JAIL_RUN_PRELOAD_ENVIRONMENT = 1,
  JAIL_RUN_PRELOAD_READ_FILTER = 2,
  JAIL_RUN_PRELOAD_LISTENER_FD = 3,
  JAIL_RUN_PRELOAD_NO_NEW_PRIVS = 4,
  JAIL_RUN_PRELOAD_SECCOMP = 5,
  JAIL_RUN_PRELOAD_SEND_CONFIRMATION = 6
};

/* The preload's exit status when it cannot install stage B. */
#define JAIL_RUN_PRELOAD_EXIT_STATUS 125

#endif
