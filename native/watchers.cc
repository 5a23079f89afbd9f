#include "watchers.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

#include "errors.h"
#include "poll_handle.h"
#include "stage_b_channel.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace jail_run {
namespace {

struct WatchConstructors {
  Napi::FunctionReference exitWatch;
  Napi::FunctionReference notificationListener;
  Napi::FunctionReference confirmationWatch;
};

int fdArgument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an fd number");
  const double value = info[index].As<Napi::Number>().DoubleValue();
  if (value < 0 || value > 0x7fffffff || value != static_cast<int>(value)) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an fd number");
  }
  return static_cast<int>(value);
}

Napi::Function functionArgument(const Napi::CallbackInfo& info, size_t index, const char* what) {
  if (!info[index].IsFunction()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a function");
  return info[index].As<Napi::Function>();
}

// Everything below that runs from a libuv callback uses the C API with its
// status checked, not node-addon-api's throwing wrappers: a worker can be
// terminated from another thread at any moment, after which every call that
// needs JavaScript fails, and node-addon-api aborts the process while
// building the C++ exception for such a failure.

// Sets a property; false when JavaScript can no longer run.
bool put(napi_env env, napi_value object, const char* key, napi_value value) {
  return napi_set_named_property(env, object, key, value) == napi_ok;
}

napi_value text(napi_env env, const std::string& value) {
  napi_value result = nullptr;
  napi_create_string_utf8(env, value.c_str(), value.size(), &result);
  return result;
}

napi_value number(napi_env env, double value) {
  napi_value result = nullptr;
  napi_create_double(env, value, &result);
  return result;
}

napi_value bigint(napi_env env, uint64_t value) {
  napi_value result = nullptr;
  napi_create_bigint_uint64(env, value, &result);
  return result;
}

bool canCallIntoJs(napi_env env);

// Call into JavaScript from a libuv callback, through node::MakeCallback (so
// promise jobs and the async context work as for any Node callback). A
// JavaScript exception in the callback becomes an uncaught exception of the
// process, exactly as one thrown in an fs or timer callback: Node's
// 'uncaughtException' handlers see it, and without one the process ends
// with it. Returns false when the environment is ending (a worker being
// terminated); the callback may or may not have run.
bool callFromLoop(napi_env env, napi_value callback, napi_value receiver, napi_async_context context,
                  const std::initializer_list<napi_value>& arguments) {
  napi_value result;
  const napi_status status =
      napi_make_callback(env, context, receiver, callback, arguments.size(), arguments.begin(), &result);
  if (status == napi_ok) return true;
  napi_value exception = nullptr;
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &exception);
  if (!canCallIntoJs(env)) return false;
  if (exception != nullptr) napi_fatal_exception(env, exception);
  return true;
}

// False once the environment has stopped running JavaScript (a worker being
// terminated: its loop may still turn once before the clean-up hooks run).
// Any node-addon-api call that needs JavaScript would then fail, and building
// the C++ exception for that failure aborts the process, so ask with the C
// API first: a property set on a fresh object fails only in that state.
bool canCallIntoJs(napi_env env) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  napi_value probe;
  bool usable = napi_create_object(env, &probe) == napi_ok && napi_set_named_property(env, probe, "probe", probe) == napi_ok;
  if (!usable) {
    napi_value ignored;
    napi_get_and_clear_last_exception(env, &ignored);
  }
  napi_close_handle_scope(env, scope);
  return usable;
}

// Common shape of the three watches: created from native code, keeps itself
// alive (a strong reference) while it polls, and lets go when it stops.
template <typename Derived>
class Watch : public Napi::ObjectWrap<Derived>, protected PollHandle {
 public:
  explicit Watch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {}
  ~Watch() override {
    unhook();
    closeFd();
  }

 protected:
  void begin(Napi::Env env, int fd, const char* name) {
    fd_ = fd;
    context_ = std::make_unique<Napi::AsyncContext>(env, name);
    const int result = startPolling(env, fd);
    if (result != 0) {
      closeFd();
      throw errnoError(env, std::string("cannot watch fd ") + std::to_string(fd), -result);
    }
    // A worker thread's environment can end while we poll: its loop must not
    // be closed with our handle open (Node aborts or crashes), and nobody
    // would be left to answer for the fd or the program.
    if (napi_add_env_cleanup_hook(env, &Watch::onEnvironmentCleanup, this) == napi_ok) {
      hookEnv_ = env;
    }
    this->Ref();
  }
  // Stop polling; with closeTheFd, close the fd too. Idempotent.
  void finish(bool closeTheFd) {
    if (finished_) return;
    finished_ = true;
    unhook();
    stopPolling();
    if (closeTheFd) closeFd();
    this->Unref();
  }
  // The environment is going away with this watch still active: no more
  // JavaScript, only native clean-up. The JS object (and its strong
  // reference) is finalized later by the environment's own teardown.
  virtual void onEnvironmentEnd() {}
  void closeFd() {
    if (fd_ >= 0 && ownsFd_) close(fd_);
    fd_ = -1;
  }
  // At the top of every poll callback: when JavaScript can no longer run,
  // stop polling (libuv would call again and again) and leave the rest to
  // the environment clean-up hook, which still sees this watch as active.
  bool environmentEnding() {
    if (canCallIntoJs(this->Env())) return false;
    stopPolling();
    return true;
  }
  // False when the environment is ending and the callback did not run.
  bool call(Napi::FunctionReference& callback, const std::initializer_list<napi_value>& arguments) {
    Napi::Env env = this->Env();
    Napi::HandleScope scope(env);
    return callFromLoop(env, callback.Value(), this->Value(), *context_, arguments);
  }

  int fd_ = -1;
  bool ownsFd_ = true;
  bool finished_ = false;
  std::unique_ptr<Napi::AsyncContext> context_;

 private:
  void unhook() {
    if (hookEnv_ == nullptr) return;
    napi_remove_env_cleanup_hook(hookEnv_, &Watch::onEnvironmentCleanup, this);
    hookEnv_ = nullptr;
  }
  static void onEnvironmentCleanup(void* data) {
    Watch* self = static_cast<Watch*>(data);
    self->hookEnv_ = nullptr;  // Node drops the hook itself once it has run
    self->finished_ = true;
    self->stopPolling();
    self->onEnvironmentEnd();
    self->closeFd();
  }

  napi_env hookEnv_ = nullptr;
};

// ---- exit --------------------------------------------------------------

class ExitWatch : public Watch<ExitWatch> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "ExitWatch", {InstanceMethod<&ExitWatch::close>("close")});
  }
  explicit ExitWatch(const Napi::CallbackInfo& info) : Watch<ExitWatch>(info) {}

  void start(Napi::Env env, int pidfd, Napi::Function callback) {
    ownsFd_ = false;  // the caller keeps the pidfd for sendSignal
    callback_ = Napi::Persistent(callback);
    begin(env, pidfd, "jail-run:exit");
  }

 private:
  Napi::Value close(const Napi::CallbackInfo& info) {
    finish(false);
    return info.Env().Undefined();
  }

  void onPoll(int status) override {
    if (environmentEnding()) return;
    Napi::HandleScope scope(Env());
    [[maybe_unused]] Napi::Object self = Value();  // alive until we return, whatever finish() lets go of
    siginfo_t child{};
    int result;
    do result = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd_), &child, WEXITED | WNOHANG);
    while (result < 0 && errno == EINTR);
    if (result == 0 && child.si_pid == 0 && status == 0) return;  // woken early: not exited yet

    finish(false);
    Napi::Env env = Env();
    Napi::Value code = env.Null();
    Napi::Value signal = env.Null();
    if (result == 0 && child.si_pid != 0) {
      if (child.si_code == CLD_EXITED) {
        code = Napi::Number::New(env, child.si_status);
      } else {
        signal = Napi::Number::New(env, child.si_status);
      }
    }
    // Otherwise (ECHILD: somebody else reaped it) both stay null.
    // A false return (the worker was terminated meanwhile) does not tell
    // whether the callback ran and closed the pidfd: never close it here.
    call(callback_, {code, signal});
    callback_.Reset();
  }

  // The launching environment (a worker thread) ends before the program:
  // nobody is left to report its exit or answer its denials, so it is killed
  // and reaped here (no zombie), and its pidfd, whose JavaScript owner is
  // gone, is closed. PR_SET_PDEATHSIG would kill it a moment later anyway,
  // when the thread that cloned it exits, but would leave it unreaped.
  void onEnvironmentEnd() override {
    if (fd_ < 0) return;
    syscall(SYS_pidfd_send_signal, fd_, SIGKILL, nullptr, 0);
    // libuv made the pidfd non-blocking (waitid would say EAGAIN): wait for
    // it to become readable, which it does once the program has exited.
    pollfd exited{fd_, POLLIN, 0};
    while (poll(&exited, 1, -1) < 0 && errno == EINTR) {
    }
    siginfo_t child{};
    while (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd_), &child, WEXITED | WNOHANG) < 0 && errno == EINTR) {
    }
    ownsFd_ = true;
  }

  Napi::FunctionReference callback_;
};

// ---- USER_NOTIF ---------------------------------------------------------

class NotificationListener : public Watch<NotificationListener> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NotificationListener",
                       {InstanceMethod<&NotificationListener::respond>("respond"),
                        InstanceMethod<&NotificationListener::close>("close")});
  }
  explicit NotificationListener(const Napi::CallbackInfo& info) : Watch<NotificationListener>(info) {}

  void start(Napi::Env env, int listenerFd, Napi::Function onNotification, Napi::Function onEnd) {
    onNotification_ = Napi::Persistent(onNotification);
    onEnd_ = Napi::Persistent(onEnd);
    begin(env, listenerFd, "jail-run:notification");
  }

 private:
  Napi::Value close(const Napi::CallbackInfo& info) {
    finish(true);
    return info.Env().Undefined();
  }

  Napi::Value respond(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsBigInt()) throw Napi::TypeError::New(env, "respond: id must be a bigint");
    if (!info[1].IsObject()) throw Napi::TypeError::New(env, "respond: response must be an object");
    bool lossless = true;
    seccomp_notif_resp response{};
    response.id = info[0].As<Napi::BigInt>().Uint64Value(&lossless);
    Napi::Object fields = info[1].As<Napi::Object>();
    if (fields.Has("error") && !fields.Get("error").IsUndefined()) {
      const double error = fields.Get("error").ToNumber().DoubleValue();
      if (error < 0 || error > 4095 || error != static_cast<int>(error)) {
        throw Napi::TypeError::New(env, "respond: error must be an errno number (0..4095)");
      }
      response.error = -static_cast<int>(error);
    }
    if (fields.Has("value") && !fields.Get("value").IsUndefined()) {
      if (!fields.Get("value").IsBigInt()) throw Napi::TypeError::New(env, "respond: value must be a bigint");
      response.val = fields.Get("value").As<Napi::BigInt>().Int64Value(&lossless);
    }
    if (fields.Has("continue") && fields.Get("continue").ToBoolean().Value()) {
      if (response.error != 0 || response.val != 0) {
        throw Napi::TypeError::New(env, "respond: continue cannot come with an error or a value");
      }
      response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    }
    if (fd_ < 0) return Napi::Boolean::New(env, false);
    int result;
    do result = ioctl(fd_, SECCOMP_IOCTL_NOTIF_SEND, &response);
    while (result < 0 && errno == EINTR);
    if (result == 0) return Napi::Boolean::New(env, true);
    if (errno == ENOENT) return Napi::Boolean::New(env, false);  // the caller is gone
    throw errnoError(env, "SECCOMP_IOCTL_NOTIF_SEND", errno);
  }

  // libuv says "readable" for pending notifications and for the hang-up when
  // the last process using the filter is gone; poll(2) tells them apart, and
  // RECV is only called when one is pending (it would block otherwise).
  void onPoll(int /*status*/) override {
    if (environmentEnding()) return;
    Napi::HandleScope scope(Env());
    [[maybe_unused]] Napi::Object self = Value();  // alive until we return, even if a callback closes us
    while (!finished_) {
      pollfd state{fd_, POLLIN, 0};
      const int ready = poll(&state, 1, 0);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || (state.revents & (POLLERR | POLLNVAL))) return end();
      if (state.revents & POLLIN) {
        seccomp_notif notification;
        memset(&notification, 0, sizeof notification);  // the kernel insists on a zeroed buffer
        if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_RECV, &notification) < 0) {
          if (errno == EINTR || errno == ENOENT) continue;  // ENOENT: the caller died meanwhile
          return end();
        }
        deliver(notification);
        continue;
      }
      if (state.revents & POLLHUP) return end();
      return;
    }
  }

  void deliver(const seccomp_notif& notification) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    Napi::Object object = Napi::Object::New(env);
    put(env, object, "id", bigint(env, static_cast<uint64_t>(notification.id)));
    put(env, object, "pid", number(env, notification.pid));
    put(env, object, "nr", number(env, notification.data.nr));
    put(env, object, "arch", number(env, notification.data.arch));
    put(env, object, "instructionPointer", bigint(env, static_cast<uint64_t>(notification.data.instruction_pointer)));
    napi_value args = nullptr;
    napi_create_array_with_length(env, 6, &args);
    for (uint32_t index = 0; index < 6 && args != nullptr; index++) {
      napi_set_element(env, args, index, bigint(env, static_cast<uint64_t>(notification.data.args[index])));
    }
    put(env, object, "args", args);
    call(onNotification_, {object});
  }

  void end() {
    finish(true);
    call(onEnd_, {});
    onNotification_.Reset();
    onEnd_.Reset();
  }

  Napi::FunctionReference onNotification_;
  Napi::FunctionReference onEnd_;
};

// ---- preload confirmation -------------------------------------------------

class ConfirmationWatch : public Watch<ConfirmationWatch> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "ConfirmationWatch", {InstanceMethod<&ConfirmationWatch::close>("close")});
  }
  explicit ConfirmationWatch(const Napi::CallbackInfo& info) : Watch<ConfirmationWatch>(info) {}

  void start(Napi::Env env, int channelFd, Napi::Function callback) {
    callback_ = Napi::Persistent(callback);
    begin(env, channelFd, "jail-run:preload-confirmation");
  }

 private:
  Napi::Value close(const Napi::CallbackInfo& info) {
    finish(true);
    return info.Env().Undefined();
  }

  void onPoll(int /*status*/) override {
    if (environmentEnding()) return;
    Napi::HandleScope scope(Env());
    [[maybe_unused]] Napi::Object self = Value();  // alive until we return, whatever finish() lets go of
    unsigned char bytes[64];
    iovec data{bytes, sizeof bytes};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t received = recvmsg(fd_, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (received < 0 && (errno == EAGAIN || errno == EINTR)) return;

    PreloadReply reply;
    if (received < 0 && errno == ECONNRESET) {
      // The program's end closed with our request still unread: the preload never ran.
      reply.kind = PreloadReply::Kind::Closed;
    } else if (received < 0) {
      reply.kind = PreloadReply::Kind::Failed;
      reply.stage = "receive";
      reply.error = errno;
    } else {
      int receivedFd = -1;
      cmsghdr* header = CMSG_FIRSTHDR(&message);
      if (header != nullptr && header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_RIGHTS) {
        memcpy(&receivedFd, CMSG_DATA(header), sizeof(int));
      }
      reply = decodePreloadReply(bytes, static_cast<long>(received), receivedFd);
    }
    finish(true);

    Napi::Env env = Env();
    Napi::Object result = Napi::Object::New(env);
    switch (reply.kind) {
      case PreloadReply::Kind::Confirmed:
        put(env, result, "kind", text(env, "confirmed"));
        if (reply.listenerFd >= 0) put(env, result, "listenerFd", number(env, reply.listenerFd));
        break;
      case PreloadReply::Kind::Failed:
        put(env, result, "kind", text(env, "failed"));
        put(env, result, "stage", text(env, reply.stage));
        put(env, result, "errno", number(env, reply.error));
        put(env, result, "code", text(env, errnoName(reply.error)));
        break;
      case PreloadReply::Kind::Closed:
        put(env, result, "kind", text(env, "closed"));
        break;
    }
    // Not closing the listener when the call fails: a worker terminated
    // mid-callback may already have handed it to watchNotifications.
    call(callback_, {result});
    callback_.Reset();
  }

  Napi::FunctionReference callback_;
};

template <typename Wrap>
Wrap* construct(Napi::Env env, Napi::FunctionReference WatchConstructors::*which) {
  WatchConstructors* constructors = env.GetInstanceData<WatchConstructors>();
  Napi::Object object = (constructors->*which).New({});
  return Wrap::Unwrap(object);
}

}  // namespace

void defineWatchClasses(Napi::Env env) {
  auto* constructors = new WatchConstructors;
  constructors->exitWatch = Napi::Persistent(ExitWatch::define(env));
  constructors->notificationListener = Napi::Persistent(NotificationListener::define(env));
  constructors->confirmationWatch = Napi::Persistent(ConfirmationWatch::define(env));
  env.SetInstanceData(constructors);
}

Napi::Value watchExit(const Napi::CallbackInfo& info) {
  const int pidfd = fdArgument(info, 0, "watchExit: pidfd");
  Napi::Function callback = functionArgument(info, 1, "watchExit: callback");
  ExitWatch* watch = construct<ExitWatch>(info.Env(), &WatchConstructors::exitWatch);
  watch->start(info.Env(), pidfd, callback);
  return watch->Value();
}

Napi::Value watchNotifications(const Napi::CallbackInfo& info) {
  const int listenerFd = fdArgument(info, 0, "watchNotifications: listenerFd");
  Napi::Function onNotification = functionArgument(info, 1, "watchNotifications: onNotification");
  Napi::Function onEnd = functionArgument(info, 2, "watchNotifications: onEnd");
  NotificationListener* listener = construct<NotificationListener>(info.Env(), &WatchConstructors::notificationListener);
  listener->start(info.Env(), listenerFd, onNotification, onEnd);
  return listener->Value();
}

Napi::Value watchPreloadConfirmation(const Napi::CallbackInfo& info) {
  const int channelFd = fdArgument(info, 0, "watchPreloadConfirmation: stageBFd");
  Napi::Function callback = functionArgument(info, 1, "watchPreloadConfirmation: callback");
  ConfirmationWatch* watch = construct<ConfirmationWatch>(info.Env(), &WatchConstructors::confirmationWatch);
  watch->start(info.Env(), channelFd, callback);
  return watch->Value();
}

}  // namespace jail_run
