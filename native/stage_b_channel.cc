#include "stage_b_channel.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

namespace jail_run {
namespace {

void appendLittleEndian32(std::vector<unsigned char>& bytes, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<unsigned char>(value >> shift));
}

}  // namespace

std::vector<unsigned char> encodeStageBRequest(const std::vector<sock_filter>& filter, bool listener) {
  std::vector<unsigned char> bytes(JAIL_RUN_REQUEST_MAGIC, JAIL_RUN_REQUEST_MAGIC + 4);
  appendLittleEndian32(bytes, listener ? JAIL_RUN_FLAG_LISTENER : 0);
  appendLittleEndian32(bytes, static_cast<uint32_t>(filter.size()));
  for (const sock_filter& instruction : filter) {
    bytes.push_back(static_cast<unsigned char>(instruction.code));
    bytes.push_back(static_cast<unsigned char>(instruction.code >> 8));
    bytes.push_back(instruction.jt);
    bytes.push_back(instruction.jf);
    appendLittleEndian32(bytes, instruction.k);
  }
  return bytes;
}

const char* preloadStageName(uint32_t stage) {
  switch (stage) {
    case JAIL_RUN_PRELOAD_ENVIRONMENT: return "environment";
    case JAIL_RUN_PRELOAD_READ_FILTER: return "read-filter";
    case JAIL_RUN_PRELOAD_LISTENER_FD: return "listener-fd";
    case JAIL_RUN_PRELOAD_NO_NEW_PRIVS: return "no-new-privs";
    case JAIL_RUN_PRELOAD_SECCOMP: return "seccomp";
    case JAIL_RUN_PRELOAD_SEND_CONFIRMATION: return "send-confirmation";
    default: return "unknown";
  }
}

PreloadReply decodePreloadReply(const unsigned char* bytes, long length, int receivedFd) {
  PreloadReply reply;
  if (length == 0) {
    if (receivedFd >= 0) close(receivedFd);
    return reply;  // Closed
  }
  jail_run_reply message{};
  if (length != static_cast<long>(sizeof message) || memcmp(bytes, JAIL_RUN_REPLY_MAGIC, 4) != 0) {
    if (receivedFd >= 0) close(receivedFd);
    reply.kind = PreloadReply::Kind::Failed;
    reply.stage = "protocol";
    reply.error = EPROTO;
    return reply;
  }
  memcpy(&message, bytes, sizeof message);
  if (message.stage == JAIL_RUN_PRELOAD_INSTALLED) {
    reply.kind = PreloadReply::Kind::Confirmed;
    reply.listenerFd = receivedFd;
    return reply;
  }
  if (receivedFd >= 0) close(receivedFd);
  reply.kind = PreloadReply::Kind::Failed;
  reply.stage = preloadStageName(message.stage);
  reply.error = message.error;
  return reply;
}

}  // namespace jail_run
