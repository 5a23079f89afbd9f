#include "watchers.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

// Call into JavaScript from a libuv callback: a handle scope, a callback scope
// (so promise jobs run afterwards), and an exception in the callback becomes
// an uncaught exception of the process rather than vanishing.
void callFromLoop(Napi::Env env, Napi::FunctionReference& callback, Napi::Object receiver, Napi::AsyncContext& context,
                  const std::initializer_list<napi_value>& arguments) {
  try {
    callback.MakeCallback(receiver, arguments, context);
  } catch (const Napi::Error& error) {
    napi_fatal_exception(env, error.Value());
  }
}

// Common shape of the three watches: created from native code, keeps itself
// alive (a strong reference) while it polls, and lets go when it stops.
template <typename Derived>
class Watch : public Napi::ObjectWrap<Derived>, protected PollHandle {
 public:
  explicit Watch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Derived>(info) {}
  ~Watch() override { closeFd(); }

 protected:
  void begin(Napi::Env env, int fd, const char* name) {
    fd_ = fd;
    context_ = std::make_unique<Napi::AsyncContext>(env, name);
    const int result = startPolling(env, fd);
    if (result != 0) {
      closeFd();
      throw errnoError(env, std::string("cannot watch fd ") + std::to_string(fd), -result);
    }
    this->Ref();
  }
  // Stop polling; with closeTheFd, close the fd too. Idempotent.
  void finish(bool closeTheFd) {
    if (finished_) return;
    finished_ = true;
    stopPolling();
    if (closeTheFd) closeFd();
    this->Unref();
  }
  void closeFd() {
    if (fd_ >= 0 && ownsFd_) close(fd_);
    fd_ = -1;
  }
  void call(Napi::FunctionReference& callback, const std::initializer_list<napi_value>& arguments) {
    Napi::Env env = this->Env();
    Napi::HandleScope scope(env);
    callFromLoop(env, callback, this->Value(), *context_, arguments);
  }

  int fd_ = -1;
  bool ownsFd_ = true;
  bool finished_ = false;
  std::unique_ptr<Napi::AsyncContext> context_;
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
    call(callback_, {code, signal});
    callback_.Reset();
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
    object.Set("id", Napi::BigInt::New(env, static_cast<uint64_t>(notification.id)));
    object.Set("pid", Napi::Number::New(env, notification.pid));
    object.Set("nr", Napi::Number::New(env, notification.data.nr));
    object.Set("arch", Napi::Number::New(env, notification.data.arch));
    object.Set("instructionPointer", Napi::BigInt::New(env, static_cast<uint64_t>(notification.data.instruction_pointer)));
    Napi::Array args = Napi::Array::New(env, 6);
    for (uint32_t index = 0; index < 6; index++) {
      args.Set(index, Napi::BigInt::New(env, static_cast<uint64_t>(notification.data.args[index])));
    }
    object.Set("args", args);
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
        result.Set("kind", "confirmed");
        if (reply.listenerFd >= 0) result.Set("listenerFd", Napi::Number::New(env, reply.listenerFd));
        break;
      case PreloadReply::Kind::Failed:
        result.Set("kind", "failed");
        result.Set("stage", reply.stage);
        result.Set("errno", Napi::Number::New(env, reply.error));
        result.Set("code", errnoName(reply.error));
        break;
      case PreloadReply::Kind::Closed:
        result.Set("kind", "closed");
        break;
    }
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
