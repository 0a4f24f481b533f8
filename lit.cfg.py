# lit configuration for s2t's regression tests. The build writes
# build/test/lit.site.cfg.py with the paths; run `ninja -C build check`.
import os

import lit.formats

config.name = "s2t"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ir", ".test", ".py"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "lib", "unit", "fuzz"]
config.test_source_root = os.path.join(os.path.dirname(__file__), "test")
config.test_exec_root = os.path.join(config.s2t_build_dir, "test")

config.environment["PATH"] = os.pathsep.join(
    [config.s2t_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")])
# test/lib: helpers of the Python tests; build/python: the package s2t.
config.environment["PYTHONPATH"] = os.pathsep.join(
    [os.path.join(config.test_source_root, "lib"),
     os.path.join(config.s2t_build_dir, "python")])
config.environment["S2T_OPT"] = os.path.join(config.s2t_tools_dir, "s2t-opt")
# ASAN_OPTIONS / UBSAN_OPTIONS: for a sanitizer build (scripts/sanitize.sh).
for name in ["HOME", "TMPDIR", "OMP_NUM_THREADS", "ASAN_OPTIONS", "UBSAN_OPTIONS"]:
    if name in os.environ:
        config.environment[name] = os.environ[name]

# The LibTorch release the build is for: `REQUIRES: torch-2` / `torch-1.13`.
torch_major = config.torch_version.split(".")[0]
config.available_features.add("torch-1.13" if torch_major == "1" else "torch-" + torch_major)
# A build with AddressSanitizer (scripts/sanitize.sh): `UNSUPPORTED: asan`.
if getattr(config, "s2t_sanitize", "OFF").upper() in ("ON", "1", "TRUE", "YES"):
    config.available_features.add("asan")

config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%s2t-build", config.s2t_build_dir))
config.substitutions.append(("%s2t-opt", os.path.join(config.s2t_tools_dir, "s2t-opt")))

# `lit --param deb=1 build/test/install`: the Debian package in a clean Debian
# 12 root (deb.test: scripts/test-deb.sh, minutes); deb=13 the Debian 13 one
# (deb13.test), deb=all both. Not in the default suite.
deb = lit_config.params.get("deb", "")
if deb in ("1", "12", "all"):
    config.available_features.add("deb")
if deb in ("13", "all"):
    config.available_features.add("deb13")
