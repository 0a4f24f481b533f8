#!/usr/bin/env bash
# The README's first command: install what is missing, build, and convert the
# bundled example (examples/modules.py), printing each flat graph.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh s2t-opt
out=build/examples
/usr/bin/python3 examples/modules.py "$out"
run() {
  echo "== s2t-opt $*"
  build/bin/s2t-opt "$@"
}
run "$out/multiplier.pt" --specialize-input=3.0
run "$out/threshold.pt" --specialize-input=3.0
run "$out/threshold.pt" --specialize-input=1.0
run "$out/iterations.pt" --specialize-input=3.0 -o "$out/iterations.flat.pt"
echo "wrote $out/iterations.flat.pt; it runs without s2t:"
/usr/bin/python3 -c "import torch; m = torch.jit.load('$out/iterations.flat.pt'); print(m.graph); print(m(torch.tensor(3.0)))"
