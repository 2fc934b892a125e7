#!/usr/bin/env bash
# One call on an NVIDIA GPU machine (x86-64, Python 3.12, root; a package index may or may not be
# reachable), within a 9-minute limit:
#
#   bash benchmarks/device_check.sh              # on the GPU machine
#   bash benchmarks/device_check.sh --dry-run    # here, on CPU: the same steps at tiny sizes
#
# Steps (each with its own time limit; a failed step is recorded and the next one still runs):
#   1. environment: use the installed torch / PyG / torch-scatter / torch-sparse; install what is
#      missing (CUDA torch from the PyTorch index, PyG from PyPI, torch-scatter/-sparse wheels from
#      data.pyg.org) when an index answers; the path taken is written to environment.json.
#   2. tests: `pytest -m device --device cuda`: the numeric tests of the graph, ACGNet, EPM, heads and
#      inference/evaluation on the GPU, and the host-sync test under torch.cuda.set_sync_debug_mode.
#   3. benchmarks/sparse_vs_dense.py at the paper shape (B=16, T=750, D=2048), paper + construction.
#   4. benchmarks/train_throughput.py --settings paper, the three heads +- ACGNet, fp32 and bf16.
#   5. benchmarks/data_loading.py at the paper shape, 0 / 2 / 4 workers, pinned memory, vs the step time.
# Everything is written as JSON into one folder: $OUT if set, else benchmarks/results/device/
# (dry run: benchmarks/results/device-dry-run/), with device_check.json summarising the steps.
#
# Environment: PYTHON (default python3), DEVICE_CHECK_LIMIT_S (default 530 s: total budget),
# DEVICE_CHECK_COLLECT_ONLY=1 (the tests step only collects: used by the test of the dry run),
# DEVICE_CHECK_STEP_SCALE (default 1: multiplies every step's time limit; the test of the dry run raises
# it so that a loaded CI machine checks that the steps work, not how fast).
set -u -o pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DRY=0
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY=1 ;;
    -h|--help) sed -n '2,23p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "device_check.sh: unknown argument $arg (use --dry-run or nothing)" >&2; exit 2 ;;
  esac
done
PY="${PYTHON:-python3}"
LIMIT_S="${DEVICE_CHECK_LIMIT_S:-530}"
STEP_SCALE="${DEVICE_CHECK_STEP_SCALE:-1}"
START_S=$(date +%s)
if [ "$DRY" = 1 ]; then
  DEVICE=cpu
  RESULTS="${OUT:-$REPO/benchmarks/results/device-dry-run}"
else
  DEVICE=cuda
  RESULTS="${OUT:-$REPO/benchmarks/results/device}"
fi
mkdir -p "$RESULTS"
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"
export TAL_PYG_CACHE="$RESULTS/cache"   # nothing written outside the results folder
STEPS_FILE="$RESULTS/steps.jsonl"
: > "$STEPS_FILE"
cd "$REPO" || exit 2

log() { echo "[device_check $(date +%H:%M:%S)] $*"; }

# run_step NAME TIMEOUT_S COMMAND...: run with a time limit (never past the total budget), log its
# output to RESULTS/NAME.log, append {"step", "rc", "seconds", "log"} to steps.jsonl
run_step() {
  local name="$1" limit=$(( $2 * STEP_SCALE )); shift 2
  local now left rc t0 t1
  now=$(date +%s); left=$(( LIMIT_S - (now - START_S) ))
  if [ "$left" -lt 20 ]; then
    log "$name: skipped, ${left}s of the budget left"
    echo "{\"step\": \"$name\", \"rc\": null, \"skipped\": \"budget\", \"seconds\": 0}" >> "$STEPS_FILE"
    return 0
  fi
  [ "$limit" -gt "$left" ] && limit="$left"
  log "$name (limit ${limit}s): $*"
  t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" > "$RESULTS/$name.log" 2>&1
  rc=$?
  t1=$(date +%s)
  tail -n 25 "$RESULTS/$name.log"
  log "$name: rc=$rc in $((t1 - t0))s"
  echo "{\"step\": \"$name\", \"rc\": $rc, \"seconds\": $((t1 - t0)), \"timed_out\": $([ $rc = 124 ] && echo true || echo false), \"log\": \"$name.log\"}" >> "$STEPS_FILE"
  return 0
}

# ------------------------------------------------------------------------------------------ 1. environment
env_report() {
  "$PY" - "$RESULTS/environment.json" "$1" "$DEVICE" <<'EOF'
import importlib, json, platform, subprocess, sys
out, path, device = sys.argv[1], sys.argv[2], sys.argv[3]
info = {"install_path": path, "python": platform.python_version(), "machine": platform.machine(),
        "device": device}
for mod in ("torch", "torch_geometric", "torch_scatter", "torch_sparse", "numpy", "yaml", "pytest", "matplotlib"):
    try:
        m = importlib.import_module(mod)
        info[mod] = getattr(m, "__version__", "installed")
    except Exception as e:  # noqa: BLE001
        info[mod] = None
        info[f"{mod}_error"] = f"{type(e).__name__}: {e}"[:300]
try:
    import torch
    info["cuda_available"] = torch.cuda.is_available()
    info["torch_cuda"] = torch.version.cuda
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        info["gpu"] = {"name": p.name, "memory_gib": round(p.total_memory / 2**30, 1),
                       "capability": f"{p.major}.{p.minor}", "count": torch.cuda.device_count()}
except Exception as e:  # noqa: BLE001
    info["cuda_available"] = False
try:
    info["nvidia_smi"] = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                         "--format=csv,noheader"], capture_output=True, text=True,
                                        timeout=20).stdout.strip()
except Exception:  # noqa: BLE001
    info["nvidia_smi"] = None
json.dump(info, open(out, "w"), indent=1)
print(json.dumps(info, indent=1))
EOF
}

has() { "$PY" -c "import $1" >/dev/null 2>&1; }
cuda_ok() { "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" >/dev/null 2>&1; }
pip_try() {  # pip_try LIMIT_S ARGS...: one attempt, quiet, bounded
  local limit="$1"; shift
  timeout "$limit" "$PY" -m pip install --disable-pip-version-check --no-input -q "$@" >> "$RESULTS/install.log" 2>&1
}

setup_environment() {
  local path="preinstalled"
  if [ "$DRY" = 1 ]; then
    log "dry run: nothing is installed (would install CUDA torch / torch_geometric / torch-scatter / torch-sparse if missing)"
    path="preinstalled (dry run: install step not executed)"
    for mod in torch torch_geometric numpy yaml pytest; do
      has "$mod" || { log "missing $mod: the dry run cannot go on"; env_report "missing $mod"; return 1; }
    done
    env_report "$path"; return 0
  fi
  if ! has torch || ! cuda_ok; then
    log "no CUDA build of torch: trying the PyTorch wheel index (cu124, then cu121), then PyPI"
    if pip_try 240 torch --index-url https://download.pytorch.org/whl/cu124 && cuda_ok; then path="pip: torch cu124"
    elif pip_try 200 torch --index-url https://download.pytorch.org/whl/cu121 && cuda_ok; then path="pip: torch cu121"
    elif pip_try 200 torch && cuda_ok; then path="pip: torch (PyPI)"
    else
      log "FALLBACK: no CUDA torch could be installed (no index reachable?) - nothing can run on the GPU"
      env_report "failed: no CUDA torch"; return 1
    fi
  fi
  for pkg in numpy pyyaml tqdm pytest matplotlib; do
    mod="$pkg"; [ "$pkg" = pyyaml ] && mod=yaml
    has "$mod" || { pip_try 120 "$pkg" && path="$path; pip: $pkg" || log "could not install $pkg"; }
  done
  if ! has torch_geometric; then
    if pip_try 120 torch_geometric; then path="$path; pip: torch_geometric"
    else log "FALLBACK: torch_geometric is missing and could not be installed"; env_report "failed: torch_geometric"; return 1; fi
  fi
  if ! has torch_sparse || ! has torch_scatter; then
    local tag
    tag=$("$PY" -c "import torch; v=torch.__version__.split('+')[0].split('.'); print(f'torch-{v[0]}.{v[1]}.0+cu' + (torch.version.cuda or '').replace('.', ''))")
    if pip_try 150 torch_scatter torch_sparse -f "https://data.pyg.org/whl/$tag.html" && has torch_sparse; then
      path="$path; pip: torch-scatter/torch-sparse wheels ($tag)"
    else
      log "torch-scatter/torch-sparse wheels for $tag did not install: the library uses its torch CSR kernels (ok)"
      path="$path; torch-sparse: not installed (torch CSR fallback)"
    fi
  fi
  env_report "$path"
}

log "results -> $RESULTS (device $DEVICE, dry run $DRY, budget ${LIMIT_S}s)"
t0=$(date +%s)
if setup_environment; then env_rc=0; else env_rc=1; fi
echo "{\"step\": \"environment\", \"rc\": $env_rc, \"seconds\": $(( $(date +%s) - t0 )), \"log\": \"environment.json\"}" >> "$STEPS_FILE"

if [ "$env_rc" = 0 ]; then
  # ---------------------------------------------------------------------------------------- 2. tests
  collect=()
  [ "${DEVICE_CHECK_COLLECT_ONLY:-0}" = 1 ] && collect=(--collect-only)
  run_step tests 200 "$PY" -m pytest -q -m device --device "$DEVICE" -p no:cacheprovider \
    --junitxml="$RESULTS/tests.xml" "${collect[@]}" tests
  # ---------------------------------------------------------------------------------------- 3. sparse vs dense
  if [ "$DRY" = 1 ]; then size=(--tiny --sections paper,construction); else size=(--sections paper,construction --repeats 5); fi
  run_step sparse_vs_dense 120 "$PY" benchmarks/sparse_vs_dense.py --device "$DEVICE" "${size[@]}" \
    --out "$RESULTS/sparse_vs_dense.json"
  # ---------------------------------------------------------------------------------------- 4. training throughput
  if [ "$DRY" = 1 ]; then size=(--settings tiny --steps 1 --in-process); else size=(--settings paper --steps 5); fi
  run_step train_throughput 240 "$PY" benchmarks/train_throughput.py --device "$DEVICE" "${size[@]}" \
    --heads basnet bam dgam --precisions fp32 bf16 --out "$RESULTS/train_throughput.json"
  # ---------------------------------------------------------------------------------------- 5. data loading
  if [ "$DRY" = 1 ]; then
    size=(--videos 8 --dim 64 --min-snippets 30 --max-snippets 120 --num-segments 40 --batch 4 --batches 3
          --workers 0 2 --step-config synthetic-small_basnet)
  else
    size=(--batches 12 --workers 0 2 4)
  fi
  run_step data_loading 90 "$PY" benchmarks/data_loading.py --device "$DEVICE" "${size[@]}" \
    --step-json "$RESULTS/train_throughput.json" --out "$RESULTS/data_loading.json"
fi

# ------------------------------------------------------------------------------------------ summary
"$PY" - "$RESULTS" "$DRY" "$START_S" <<'EOF'
import json, sys, time
from pathlib import Path
results, dry, start = Path(sys.argv[1]), sys.argv[2] == "1", int(sys.argv[3])
steps = [json.loads(l) for l in (results / "steps.jsonl").read_text().splitlines() if l.strip()]
env = json.loads((results / "environment.json").read_text()) if (results / "environment.json").is_file() else {}
summary = {"dry_run": dry, "seconds": int(time.time()) - start, "environment": env, "steps": steps,
           "ok": all(s.get("rc") == 0 for s in steps),
           "files": sorted(p.name for p in results.glob("*.json") if p.name != "device_check.json")}
(results / "device_check.json").write_text(json.dumps(summary, indent=1))
print("| step | rc | seconds |")
print("|---|---|---|")
for s in steps:
    print(f"| {s['step']} | {s.get('rc')} | {s.get('seconds')} |")
print(f"{'all steps passed' if summary['ok'] else 'SOME STEPS FAILED'} in {summary['seconds']} s; "
      f"results in {results}")
sys.exit(0 if summary["ok"] else 1)
EOF
