// Watches that report to JavaScript from the event loop, never from another
// thread and never by blocking it: the exit of a child (pidfd), USER_NOTIF
// notifications (listener fd) and the preload's confirmation (stage-B channel).
#pragma once

#include <napi.h>

namespace jail_run {

// Registers the watch classes; call once from the module's Init.
void defineWatchClasses(Napi::Env env);

Napi::Value watchExit(const Napi::CallbackInfo& info);
Napi::Value watchNotifications(const Napi::CallbackInfo& info);
Napi::Value watchPreloadConfirmation(const Napi::CallbackInfo& info);

}  // namespace jail_run
