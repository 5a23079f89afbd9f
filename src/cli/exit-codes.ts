/** Exit statuses of the tool subcommands (compile, disasm, check, lint, ...). */
export const EXIT_OK = 0;
export const EXIT_POLICY_ERROR = 1;
export const EXIT_USAGE_ERROR = 2;

/** Exit statuses of the launcher, as for env(1)/timeout(1): the program's own status otherwise. */
export const EXIT_LAUNCHER_FAILURE = 125;
export const EXIT_NOT_EXECUTABLE = 126;
export const EXIT_NOT_FOUND = 127;
export const EXIT_SIGNAL_BASE = 128;
