// errno as JavaScript sees it: Error objects carrying code (the errno name) and errno.
#pragma once

#include <napi.h>

#include <string>

namespace jail_run {

std::string errnoName(int error);

// An Error whose message ends with the errno name, with .code and .errno set.
Napi::Error errnoError(Napi::Env env, const std::string& what, int error);

}  // namespace jail_run
