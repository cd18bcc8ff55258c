#!/usr/bin/env bash
# bench/compare.sh: seekd vs llama.cpp, side by side on this machine.
#
# Generates the benchmark models if missing (random weights of real shapes:
# ../shared/bench/mkgguf.py for GGUF, bench/mkfp8 for DeepSeek's native FP8),
# then, for each model, alternates llama.cpp (prebuilt, through
# node-llama-cpp) and `seekd bench` ROUNDS times with the same prompt and
# generation lengths, and prints the medians and seekd/llama.cpp ratios.
# Each run starts with its model file read into the page cache: seekd copies
# weights that fit into anonymous memory, which on a 24 GiB machine evicts
# a 17 GB file's pages, and llama.cpp (memory-mapped) would otherwise fault
# them back in from the disk during its timed prefill.
#
#   bench/compare.sh [MODEL...]      MODEL in: qwen2-q4_0 qwen2-q8_0 v2lite-q4_0 v2lite-q8_0 v2lite-fp8
#
# Environment: ROUNDS (3), THREADS (2), PROMPT (512), GEN (128),
# MODELS_DIR (/tmp/seekd-bench-models), ANCHOR (../shared/bench), OUT (bench/out).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} THREADS=${THREADS:-2} PROMPT=${PROMPT:-512} GEN=${GEN:-128}
MODELS_DIR=${MODELS_DIR:-/tmp/seekd-bench-models}
ANCHOR_SRC=${ANCHOR:-../shared/bench}
OUT=${OUT:-bench/out}
WORK=${WORK:-/tmp/seekd-anchor}
mkdir -p "$MODELS_DIR" "$OUT"

models=("$@")
[ ${#models[@]} -gt 0 ] || models=(qwen2-q4_0 qwen2-q8_0 v2lite-q4_0 v2lite-q8_0 v2lite-fp8)

# llama.cpp anchor (from the npm registry only).
if [ ! -d "$WORK/node_modules/node-llama-cpp" ]; then
  rm -rf "$WORK" && cp -r "$ANCHOR_SRC" "$WORK" && chmod -R u+w "$WORK"
  (cd "$WORK" && npm install --no-audit --no-fund >/dev/null)
fi
command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null || {
  echo "compare.sh: needs Debian's python3-numpy (apt-get install -y python3-numpy)" >&2; exit 1; }

export GOEXPERIMENT=simd
go build -o "$OUT/seekd" ./cmd/seekd

file_of() { # model key -> path (generated if missing)
  local key=$1 preset type path
  case $key in
    qwen2-q4_0) preset=qwen2-1.5b-shape type=Q4_0 ;;
    qwen2-q8_0) preset=qwen2-1.5b-shape type=Q8_0 ;;
    v2lite-q4_0) preset=v2-lite-shape type=Q4_0 ;;
    v2lite-q8_0) preset=v2-lite-shape type=Q8_0 ;;
    v2lite-fp8)
      path="$MODELS_DIR/v2-lite-shape-fp8"
      [ -f "$path/config.json" ] || go run ./bench/mkfp8 -preset v2-lite-shape -out "$path" >&2
      echo "$path"; return ;;
    *) echo "unknown model $key" >&2; exit 2 ;;
  esac
  path="$MODELS_DIR/$preset-$type.gguf"
  [ -f "$path" ] || /usr/bin/python3 "$WORK/mkgguf.py" --preset "$preset" --type "$type" --tokenizer-dir testdata/tokenizers/deepseek_v3 --out "$path" >&2
  echo "$path"
}

anchor_of() { # the llama.cpp file a model is compared with
  case $1 in v2lite-fp8) file_of v2lite-q8_0 ;; *) file_of "$1" ;; esac
}

warm() { # reads a model into the page cache, so that neither engine waits on the disk
  if [ -d "$1" ]; then cat "$1"/*.safetensors >/dev/null; else cat "$1" >/dev/null; fi
}

for key in "${models[@]}"; do
  seekd_model=$(file_of "$key")
  llama_model=$(anchor_of "$key")
  fa=default; case $key in v2lite-*) fa=on ;; esac
  echo "== $key: seekd on $seekd_model, llama.cpp on $llama_model (flash attention $fa)" >&2
  for r in $(seq 1 "$ROUNDS"); do
    warm "$llama_model"
    node "$WORK/bench-llamacpp.mjs" "$llama_model" --runs 1 --threads "$THREADS" --prompt "$PROMPT" --gen "$GEN" \
      --flash-attention "$fa" --json "$OUT/$key-llama-$r.json" >&2 || true
    warm "$seekd_model"
    "$OUT/seekd" bench --model "$seekd_model" -p "$PROMPT" -n "$GEN" -t "$THREADS" --json > "$OUT/$key-seekd-$r.json"
    cat "$OUT/$key-seekd-$r.json" >&2
  done
done

/usr/bin/python3 - "$OUT" "${models[@]}" <<'PY'
import json, sys, glob, statistics as st
out, keys = sys.argv[1], sys.argv[2:]
print("| model | seekd decode | llama.cpp decode | ratio | seekd prefill | llama.cpp prefill | ratio | seekd peak RSS | llama.cpp peak RSS |")
print("|---|---|---|---|---|---|---|---|---|")
for k in keys:
    s = [json.load(open(f)) for f in sorted(glob.glob(f"{out}/{k}-seekd-*.json"))]
    l = [json.load(open(f))["median"] for f in sorted(glob.glob(f"{out}/{k}-llama-*.json"))]
    l = [x for x in l if x]
    if not s or not l:
        print(f"| {k} | (missing runs) |"); continue
    sd, sp, sr = (st.median(x[f] for x in s) for f in ("decode_tps", "prefill_tps", "peak_rss_mib"))
    ld, lp, lr = (st.median(x[f] for x in l) for f in ("decodeTps", "prefillTps", "peakRssMiB"))
    print(f"| {k} | {sd:.2f} | {ld:.2f} | **{sd/ld:.2f}x** | {sp:.1f} | {lp:.1f} | **{sp/lp:.2f}x** | {sr/1024:.2f} GiB | {lr/1024:.2f} GiB |")
PY
