{
  # Built from source by `npm install` (scripts/build-native.mjs runs
  # node-gyp against the local Node headers; nothing is downloaded).
  "targets": [
    {
      "target_name": "jail_run",
      "sources": [
        "native/binding.cc",
        "native/child.cc",
        "native/errors.cc",
        "native/poll_handle.cc",
        "native/spawn.cc",
        "native/stage_b_channel.cc",
        "native/watchers.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-Wall", "-Wextra"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra"]
    },
    {
      # The preload is plain C with no Node dependency: it is loaded into the
      # jailed program by ld.so, not into Node.
      "target_name": "jail_run_preload",
      "type": "shared_library",
      "product_prefix": "",
      "product_extension": "so",
      "sources": ["native/preload/preload.c"],
      "cflags": ["-Wall", "-Wextra", "-std=c11", "-fvisibility=hidden"]
    }
  ]
}
