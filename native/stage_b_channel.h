// The launcher's side of the stage-B channel (native/preload/protocol.h).
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

extern "C" {
#include "preload/protocol.h"
}

namespace jail_run {

inline constexpr const char* kStageBFdVariable = JAIL_RUN_STAGE_B_FD_VARIABLE;

std::vector<unsigned char> encodeStageBRequest(const std::vector<sock_filter>& filter, bool listener);

// What the preload said, or that it said nothing.
struct PreloadReply {
  enum class Kind { Confirmed, Failed, Closed };
  Kind kind = Kind::Closed;
  std::string stage;  // for Failed
  int error = 0;      // for Failed
  int listenerFd = -1;
};

const char* preloadStageName(uint32_t stage);

// Decode one received message (length and the SCM_RIGHTS fd, -1 when none).
PreloadReply decodePreloadReply(const unsigned char* bytes, long length, int receivedFd);

}  // namespace jail_run
