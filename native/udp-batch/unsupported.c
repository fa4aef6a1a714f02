/* Non-Linux builds: no sendmmsg/recvmmsg. The addon loads and says why it cannot be used. */
#define NAPI_VERSION 8
#include <node_api.h>

NAPI_MODULE_INIT() {
  napi_value reason;
  napi_create_string_utf8(env, "sendmmsg/recvmmsg are Linux-only", NAPI_AUTO_LENGTH, &reason);
  napi_set_named_property(env, exports, "unsupported", reason);
  return exports;
}
