#!/usr/bin/env bash
# The GPU benchmark as one prepared script for a GPU machine without internet (issue #12):
#
#   test/bench/gpuMachine.sh --fetch          # beforehand, on a Debian machine with its archive: downloads the
#                                              # Vulkan loader (libvulkan1) into $MLM_GPU_DEBS (no install)
#   test/bench/gpuMachine.sh [bench options]  # on the GPU machine: the repo, node_modules and $MLM_GPU_DEBS
#                                              # copied there; runs `npm run bench -- gpu --json …`
#
# On the GPU machine the loader is used from the system when `ldconfig -p` has libvulkan.so.1, else unpacked from
# the downloaded .deb (dpkg-deb -x, nothing installed). The NVIDIA driver ships its Vulkan driver (ICD) in
# libGLX_nvidia.so.0; when no ICD manifest names it (containers often lack /usr/share/vulkan/icd.d/nvidia_icd.json),
# one is written next to the unpacked loader and VK_ICD_FILENAMES points at it.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
debs="${MLM_GPU_DEBS:-$root/test/bench/.gpu-debs}"
cache="$root/test/bench/.gpu-root"

if [[ "${1:-}" == "--fetch" ]]; then
  mkdir -p "$debs"
  (cd "$debs" && apt-get download libvulkan1)
  ls -l "$debs"
  exit 0
fi

if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  shopt -s nullglob
  pkgs=("$debs"/libvulkan1_*.deb)
  if [[ ${#pkgs[@]} -eq 0 ]]; then
    echo "gpu: skipped — no Vulkan loader: libvulkan.so.1 is not installed and $debs has no libvulkan1 .deb" \
      "(run \`$0 --fetch\` on a Debian machine first and copy $debs here)" >&2
    exit 1
  fi
  rm -rf "$cache" && mkdir -p "$cache"
  for p in "${pkgs[@]}"; do dpkg-deb -x "$p" "$cache"; done
  lib="$(dirname "$(find "$cache" -name 'libvulkan.so.1*' | head -n 1)")"
  export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "gpu: Vulkan loader from $lib" >&2
fi

icds=(/usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia*)
if [[ -z "${VK_ICD_FILENAMES:-}" && ! -e "${icds[0]:-}" ]] && ldconfig -p | grep -q 'libGLX_nvidia.so.0'; then
  mkdir -p "$cache"
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}\n' \
    >"$cache/nvidia_icd.json"
  export VK_ICD_FILENAMES="$cache/nvidia_icd.json"
  echo "gpu: NVIDIA Vulkan driver from libGLX_nvidia.so.0 (no ICD manifest was installed)" >&2
fi

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv >&2 || true
cd "$root"
exec node --import tsx test/bench/main.ts gpu --json "$@"
