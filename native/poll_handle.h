// A libuv poll handle on one fd, owned by a C++ object. The uv_poll_t lives on
// the heap and is freed in its close callback, so the owner may go away as soon
// as it has called stop().
#pragma once

#include <node_api.h>
#include <uv.h>

namespace jail_run {

class PollHandle {
 public:
  PollHandle() = default;
  PollHandle(const PollHandle&) = delete;
  PollHandle& operator=(const PollHandle&) = delete;
  virtual ~PollHandle() { stopPolling(); }

 protected:
  // Starts watching fd for readability (libuv makes it non-blocking). Returns a
  // libuv error code (negative errno) or 0.
  int startPolling(napi_env env, int fd);
  // Idempotent; no callback comes after it.
  void stopPolling();
  bool polling() const { return handle_ != nullptr; }
  // status < 0: libuv saw an error on the fd (POLLERR).
  virtual void onPoll(int status) = 0;

 private:
  static void dispatch(uv_poll_t* handle, int status, int events);
  uv_poll_t* handle_ = nullptr;
};

}  // namespace jail_run
