#include "poll_handle.h"

#include <dlfcn.h>

#include <mutex>

namespace jail_run {
namespace {

// When a worker thread ends, Node unloads the addons it loaded (dlclose) and
// only then lets its loop run the close callbacks of handles closed during
// the environment's clean-up: our callback below would be unmapped code.
// Loading ourselves once more with RTLD_NODELETE keeps the code mapped for
// the life of the process. Failure only brings the crash back, so it is not
// an error.
void keepCodeLoaded() {
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info self{};
    if (dladdr(reinterpret_cast<void*>(&keepCodeLoaded), &self) != 0 && self.dli_fname != nullptr) {
      dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
  });
}

}  // namespace

int PollHandle::startPolling(napi_env env, int fd) {
  keepCodeLoaded();
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return UV_EINVAL;
  uv_poll_t* handle = new uv_poll_t;
  int result = uv_poll_init(loop, handle, fd);
  if (result != 0) {
    delete handle;
    return result;
  }
  handle->data = this;
  handle_ = handle;
  result = uv_poll_start(handle, UV_READABLE, dispatch);
  if (result != 0) stopPolling();
  return result;
}

void PollHandle::stopPolling() {
  if (handle_ == nullptr) return;
  uv_poll_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* closed) { delete reinterpret_cast<uv_poll_t*>(closed); });
  handle_ = nullptr;
}

void PollHandle::dispatch(uv_poll_t* handle, int status, int /*events*/) {
  if (handle->data != nullptr) static_cast<PollHandle*>(handle->data)->onPoll(status);
}

}  // namespace jail_run
