#include "errors.h"

#include <string.h>

namespace jail_run {

std::string errnoName(int error) {
  const char* name = strerrorname_np(error);
  return name != nullptr ? name : "E" + std::to_string(error);
}

Napi::Error errnoError(Napi::Env env, const std::string& what, int error) {
  Napi::Error exception = Napi::Error::New(env, what + ": " + errnoName(error) + " (" + strerror(error) + ")");
  exception.Set("code", Napi::String::New(env, errnoName(error)));
  exception.Set("errno", Napi::Number::New(env, error));
  return exception;
}

}  // namespace jail_run
