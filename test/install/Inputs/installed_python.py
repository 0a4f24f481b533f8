"""install.test: the Python package installed under PREFIX (argv[1]), used
with PYTHONPATH=its site-packages and nothing of the build tree."""
import glob
import os
import subprocess
import sys

prefix, archive = sys.argv[1:3]
sites = glob.glob(os.path.join(prefix, "lib", "python3*", "*-packages"))
assert len(sites) == 1, sites
env = dict(os.environ, PYTHONPATH=sites[0])


def python(*args):
    return subprocess.run([sys.executable] + list(args), env=env,
                          capture_output=True, text=True, check=False)


shown = python("-c", "import s2t, s2t._paths, os; print(s2t.__file__); "
                     "print(' '.join(sorted(f for f in os.listdir(os.path.dirname(s2t.__file__)) "
                     "if f != '__pycache__'))); print(s2t._paths.S2T_OPT)")
assert shown.returncode == 0, shown.stderr
package, files, s2t_opt = shown.stdout.splitlines()
print("package:", package)
print("files:", files)
print("s2t-opt:", s2t_opt)
version = python("-m", "s2t", "--version")
print("-m s2t --version:", version.stdout.strip())
flat = python("-m", "s2t", archive, "--specialize-input=tensor([-5.0])")
print(f"-m s2t: exit {flat.returncode},", "aten::add" if "aten::add" in flat.stdout else flat.stderr)
