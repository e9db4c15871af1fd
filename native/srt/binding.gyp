# Native addon: onair's SRT listener on Debian's libsrt (pkg-config name "srt"), exposed through N-API.
{
  "targets": [
    {
      "target_name": "onair_srt",
      "sources": [
        "src/addon.cc",
        "src/credential-table.cc",
        "src/event-queue.cc",
        "src/flood-guard.cc",
        "src/late-reject-log.cc",
        "src/listener-wrap.cc",
        "src/srt-listener.cc",
        "src/stream-id.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags": ["<!@(pkg-config --cflags srt)"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "libraries": ["<!@(pkg-config --libs srt)"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
