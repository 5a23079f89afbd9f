// The thin N-API layer: JavaScript values in, checked and copied into plain
// C++ requests; results and failures back out. The work happens in spawn.cc
// and watchers.cc. src/launch/native.ts declares these functions' types.
#include <napi.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "spawn.h"
#include "stage_b_channel.h"
#include "watchers.h"

namespace jail_run {
namespace {

[[noreturn]] void badRequest(Napi::Env env, const std::string& field, const std::string& expectation) {
  throw Napi::TypeError::New(env, "spawn: request." + field + " " + expectation);
}

std::string stringWithoutNul(Napi::Env env, Napi::Value value, const std::string& field) {
  if (!value.IsString()) badRequest(env, field, "must be a string");
  std::string text = value.As<Napi::String>().Utf8Value();
  if (text.find('\0') != std::string::npos) badRequest(env, field, "must not contain a NUL character");
  return text;
}

std::vector<std::string> stringArray(Napi::Env env, Napi::Value value, const std::string& field) {
  if (!value.IsArray()) badRequest(env, field, "must be an array of strings");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> strings;
  for (uint32_t index = 0; index < array.Length(); index++) {
    strings.push_back(stringWithoutNul(env, array.Get(index), field + "[" + std::to_string(index) + "]"));
  }
  return strings;
}

int integerIn(Napi::Env env, Napi::Value value, const std::string& field, int low, int high) {
  if (!value.IsNumber()) badRequest(env, field, "must be an integer");
  const double number = value.As<Napi::Number>().DoubleValue();
  if (number != static_cast<double>(static_cast<long long>(number)) || number < low || number > high) {
    badRequest(env, field, "must be an integer from " + std::to_string(low) + " to " + std::to_string(high));
  }
  return static_cast<int>(number);
}

// 8-byte little-endian sock_filter records, as encodeProgram writes them.
std::vector<sock_filter> filterProgram(Napi::Env env, Napi::Value value, const std::string& field) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    badRequest(env, field, "must be a Uint8Array of sock_filter records");
  }
  Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
  const size_t length = bytes.ByteLength();
  if (length == 0 || length % 8 != 0) badRequest(env, field, "must hold a whole, non-zero number of 8-byte records");
  if (length / 8 > 0xffff) badRequest(env, field, "has more instructions than a sock_fprog can count");
  std::vector<sock_filter> program(length / 8);
  const uint8_t* data = bytes.Data();
  for (size_t index = 0; index < program.size(); index++) {
    const uint8_t* record = data + index * 8;
    program[index].code = static_cast<uint16_t>(record[0] | record[1] << 8);
    program[index].jt = record[2];
    program[index].jf = record[3];
    program[index].k = static_cast<uint32_t>(record[4]) | static_cast<uint32_t>(record[5]) << 8 |
                       static_cast<uint32_t>(record[6]) << 16 | static_cast<uint32_t>(record[7]) << 24;
  }
  return program;
}

FdSource fdSource(Napi::Env env, Napi::Value value, const std::string& field) {
  FdSource source;
  if (value.IsString()) {
    const std::string kind = value.As<Napi::String>().Utf8Value();
    if (kind == "inherit") source.kind = FdSource::Kind::Inherit;
    else if (kind == "pipe") source.kind = FdSource::Kind::Pipe;
    else if (kind == "ignore") source.kind = FdSource::Kind::Ignore;
    else badRequest(env, field, "must be 'inherit', 'pipe', 'ignore' or an fd number");
    return source;
  }
  if (!value.IsNumber()) badRequest(env, field, "must be 'inherit', 'pipe', 'ignore' or an fd number");
  source.kind = FdSource::Kind::Fd;
  source.fd = integerIn(env, value, field, 0, 0x7fffffff);
  return source;
}

bool present(Napi::Object object, const char* key) {
  return object.Has(key) && !object.Get(key).IsUndefined() && !object.Get(key).IsNull();
}

SpawnRequest spawnRequest(Napi::Env env, Napi::Value value) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "spawn: the request must be an object");
  Napi::Object object = value.As<Napi::Object>();
  SpawnRequest request;
  request.file = stringWithoutNul(env, object.Get("file"), "file");
  if (request.file.empty()) badRequest(env, "file", "must not be empty");
  request.argv = stringArray(env, object.Get("argv"), "argv");
  request.envp = stringArray(env, object.Get("envp"), "envp");
  if (present(object, "cwd")) request.cwd = stringWithoutNul(env, object.Get("cwd"), "cwd");

  if (!object.Get("stdio").IsArray()) badRequest(env, "stdio", "must be an array");
  Napi::Array stdio = object.Get("stdio").As<Napi::Array>();
  if (stdio.Length() < 3 || stdio.Length() > 1024) badRequest(env, "stdio", "must have from 3 to 1024 entries");
  for (uint32_t index = 0; index < stdio.Length(); index++) {
    request.stdio.push_back(fdSource(env, stdio.Get(index), "stdio[" + std::to_string(index) + "]"));
  }

  if (!object.Get("filters").IsArray()) badRequest(env, "filters", "must be an array of Uint8Array");
  Napi::Array filters = object.Get("filters").As<Napi::Array>();
  for (uint32_t index = 0; index < filters.Length(); index++) {
    request.filters.push_back(filterProgram(env, filters.Get(index), "filters[" + std::to_string(index) + "]"));
  }
  if (present(object, "listenerFilterIndex")) {
    if (request.filters.empty()) badRequest(env, "listenerFilterIndex", "needs at least one filter");
    request.listenerFilterIndex = integerIn(env, object.Get("listenerFilterIndex"), "listenerFilterIndex", 0,
                                            static_cast<int>(request.filters.size()) - 1);
  }
  if (present(object, "deathSignal")) {
    request.deathSignal = integerIn(env, object.Get("deathSignal"), "deathSignal", 1, SIGRTMAX);
  }
  if (present(object, "stageB")) {
    if (!object.Get("stageB").IsObject()) badRequest(env, "stageB", "must be an object");
    Napi::Object stageB = object.Get("stageB").As<Napi::Object>();
    StageB parsed;
    parsed.filter = filterProgram(env, stageB.Get("filter"), "stageB.filter");
    if (parsed.filter.size() > JAIL_RUN_MAX_INSTRUCTIONS) badRequest(env, "stageB.filter", "has more than 4096 instructions");
    parsed.preloadPath = stringWithoutNul(env, stageB.Get("preloadPath"), "stageB.preloadPath");
    if (parsed.preloadPath.empty() || parsed.preloadPath.find_first_of(": ") != std::string::npos) {
      badRequest(env, "stageB.preloadPath", "must be a non-empty path without ':' or spaces (LD_PRELOAD separators)");
    }
    parsed.listener = stageB.Get("listener").ToBoolean().Value();
    if (parsed.listener && request.listenerFilterIndex >= 0) {
      badRequest(env, "stageB.listener", "cannot be set with listenerFilterIndex: the kernel allows one listener per process");
    }
    request.stageB = std::move(parsed);
  }
  return request;
}

Napi::Value optionalFd(Napi::Env env, int fd) {
  return fd >= 0 ? Napi::Number::New(env, fd) : env.Null();
}

Napi::Value spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const SpawnRequest request = spawnRequest(env, info[0]);
  const SpawnOutcome outcome = spawnProcess(request);
  if (outcome.failure) {
    const SpawnFailure& failure = *outcome.failure;
    std::string where = stageName(failure.stage);
    if (failure.filterIndex >= 0) where += " (filter " + std::to_string(failure.filterIndex) + ")";
    Napi::Error error = errnoError(env, "cannot launch " + failure.path + ": " + where + " failed", failure.error);
    error.Set("stage", Napi::String::New(env, stageName(failure.stage)));
    error.Set("path", Napi::String::New(env, failure.path));
    if (failure.filterIndex >= 0) error.Set("filterIndex", Napi::Number::New(env, failure.filterIndex));
    throw error;
  }
  const SpawnResult& result = *outcome.result;
  Napi::Object object = Napi::Object::New(env);
  object.Set("pid", Napi::Number::New(env, result.pid));
  object.Set("pidfd", Napi::Number::New(env, result.pidfd));
  Napi::Array stdioFds = Napi::Array::New(env, result.stdioFds.size());
  for (uint32_t index = 0; index < result.stdioFds.size(); index++) stdioFds.Set(index, optionalFd(env, result.stdioFds[index]));
  object.Set("stdioFds", stdioFds);
  if (result.listenerFd >= 0) object.Set("listenerFd", Napi::Number::New(env, result.listenerFd));
  if (result.stageBFd >= 0) object.Set("stageBFd", Napi::Number::New(env, result.stageBFd));
  return object;
}

Napi::Value sendSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "sendSignal(pidfd, signal): numbers expected");
  const int pidfd = info[0].As<Napi::Number>().Int32Value();
  const int signal = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) == 0) return Napi::Boolean::New(env, true);
  if (errno == ESRCH) return Napi::Boolean::New(env, false);  // already exited
  throw errnoError(env, "pidfd_send_signal", errno);
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  defineWatchClasses(env);
  exports.Set("spawn", Napi::Function::New<spawn>(env, "spawn"));
  exports.Set("sendSignal", Napi::Function::New<sendSignal>(env, "sendSignal"));
  exports.Set("watchExit", Napi::Function::New<watchExit>(env, "watchExit"));
  exports.Set("watchNotifications", Napi::Function::New<watchNotifications>(env, "watchNotifications"));
  exports.Set("watchPreloadConfirmation", Napi::Function::New<watchPreloadConfirmation>(env, "watchPreloadConfirmation"));
  return exports;
}

}  // namespace jail_run

static Napi::Object initJailRun(Napi::Env env, Napi::Object exports) { return jail_run::init(env, exports); }

NODE_API_MODULE(jail_run, initJailRun)
