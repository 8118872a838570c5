#!/usr/bin/env python3
"""Installs picklejar into a temporary prefix and builds a program outside picklejar's build
against it, in every way README.md's "Building against picklejar" names.

usage: test_install.py BUILD_DIR SOURCE_DIR -- COMPILER...

`meson install --destdir` copies BUILD_DIR's library, headers, picklejar.pc, CMake package
and command into a temporary prefix (nothing is rebuilt). Then tests/packaging/consumer is
built five ways: the compiler with `pkg-config --cflags --libs picklejar`, CMake's
find_package(picklejar CONFIG), CMake's pkg_check_modules, Meson's dependency() on the
install, and Meson with picklejar as a subproject (the README's wrap over a copy of the
library's sources). Each program runs against the installed library; the installed
`picklejar` command, run with no library path set, reads what they saved. The installed
library exports picklejar's public API and nothing else: exported_symbols.txt, both ways.
"""
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import exported_symbols

BUILD_DIR = SOURCE_DIR = None
COMPILER = []
CONSUMER = pathlib.Path(__file__).resolve().parent / "consumer"
EXPORTED_LIST = pathlib.Path(__file__).resolve().parent / "exported_symbols.txt"
EXPECTED = "launches=%d recent=['notes.txt', 'todo.txt']"


def run(command, env=None, cwd=None):
    """Runs command; fails the test with its output when it fails."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env,
                            cwd=cwd)
    if result.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(map(str, command)),
                                                      result.returncode, result.stdout,
                                                      result.stderr))
    return result.stdout


def build_option(options, name):
    return next(o["value"] for o in options if o["name"] == name)


class InstalledPicklejar(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="picklejar-install-"))
        options = json.loads(run(["meson", "introspect", BUILD_DIR, "--buildoptions"]))
        prefix = build_option(options, "prefix")
        cls.prefix = cls.tmp / "stage" / prefix.lstrip("/")
        cls.libdir = cls.prefix / build_option(options, "libdir")
        cls.bindir = cls.prefix / build_option(options, "bindir")
        started = time.monotonic()
        run(["meson", "install", "-C", BUILD_DIR, "--no-rebuild", "--quiet",
             "--destdir", cls.tmp / "stage"])
        print("installed in %.1f s" % (time.monotonic() - started), file=sys.stderr)

        # The consumers' compilers go through ccache (as picklejar's build does) with paths
        # under the temporary directory made relative, so that reruns hit its cache.
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_LIBRARY_PATH", "PKG_CONFIG_PATH", "CMAKE_PREFIX_PATH")}
        env.update(CCACHE_BASEDIR=str(cls.tmp), CCACHE_NOHASHDIR="1")
        cls.env = env
        cls.install_env = dict(env, PKG_CONFIG_PATH=str(cls.libdir / "pkgconfig"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def check_consumer(self, program):
        """Runs a built consumer against the installed library: it must load that library,
        save a session, and the installed command must read the session back."""
        env = dict(self.env, LD_LIBRARY_PATH=str(self.libdir))
        libraries = run(["ldd", program], env=env)
        self.assertRegex(libraries, r"libpicklejar\.so\.0 => %s" % re.escape(str(self.libdir)))
        session = program.parent / "state.pj"
        self.assertEqual(run([program, session], env=env).strip(), EXPECTED % 1)
        self.assertEqual(run([program, session], env=env).strip(), EXPECTED % 2)
        shown = run([self.bindir / "picklejar", "get", session, "launches"], env=self.env)
        self.assertEqual(shown.strip(), "2")

    def test_installs_versioned_library_and_relocatable_command(self):
        soname = run(["readelf", "-d", self.libdir / "libpicklejar.so"])
        self.assertIn("Library soname: [libpicklejar.so.0]", soname)
        self.assertTrue((self.libdir / "libpicklejar.so.0").is_symlink())
        runpath = run(["readelf", "-d", self.bindir / "picklejar"])
        self.assertRegex(runpath, r"R(UN)?PATH.*\$ORIGIN/\.\./")
        # Only the command is installed as a program (no tests, benchmarks or examples).
        self.assertEqual(sorted(p.name for p in self.bindir.iterdir()), ["picklejar"])
        # Run with no library path: the command finds the installed library by itself.
        version = run([self.bindir / "picklejar", "--help"], env=self.env)
        self.assertIn("picklejar", version)
        pc = (self.libdir / "pkgconfig" / "picklejar.pc").read_text()
        self.assertRegex(pc, r"(?m)^Requires: fmt")

    def test_exports_only_the_public_api(self):
        # nm -D --defined-only against the checked-in list (exported_symbols.py says the form):
        # an extra entity is an internal one leaking (hidden visibility lost, or a declaration
        # that should not be in a public header), a missing one breaks programs linked before.
        listed = exported_symbols.read_list(EXPORTED_LIST)
        exported, foreign = exported_symbols.classify(self.libdir / "libpicklejar.so")
        extra, missing = sorted(exported - listed), sorted(listed - exported)
        regenerate = ("tests/packaging/exported_symbols.py %s --write %s"
                      % (pathlib.Path(BUILD_DIR) / "lib" / "libpicklejar.so", EXPORTED_LIST))
        self.assertFalse(extra, "libpicklejar.so exports %d entities that %s does not list (the "
                         "public API is what the headers mark PICKLEJAR_EXPORT; if these are "
                         "meant to be public, regenerate: %s):\n  %s"
                         % (len(extra), EXPORTED_LIST.name, regenerate, "\n  ".join(extra[:200])))
        self.assertFalse(missing, "libpicklejar.so no longer exports %d entities that %s lists "
                         "(an ABI break; if meant, regenerate: %s):\n  %s"
                         % (len(missing), EXPORTED_LIST.name, regenerate, "\n  ".join(missing)))
        self.assertFalse(foreign, "libpicklejar.so exports symbols of no public namespace:\n  "
                         + "\n  ".join(foreign[:200]))

    def test_compiler_with_pkg_config(self):
        out = self.tmp / "gxx"
        out.mkdir()
        flags = run(["pkg-config", "--cflags", "--libs", "picklejar"],
                    env=self.install_env).split()
        self.assertIn("-I%s" % (self.prefix / "include"),
                      [os.path.normpath(flag) for flag in flags])
        run([*COMPILER, "-std=c++20", CONSUMER / "consumer.cpp", *flags, "-o",
             out / "consumer"], env=self.env)
        self.check_consumer(out / "consumer")

    def cmake_consumer(self, find):
        out = self.tmp / ("cmake-" + find)
        launcher = COMPILER[:-1]
        run(["cmake", "-S", CONSUMER, "-B", out, "-G", "Ninja", "-DPICKLEJAR_FIND=" + find,
             "-DCMAKE_PREFIX_PATH=%s" % self.prefix, "-DCMAKE_CXX_COMPILER=" + COMPILER[-1],
             "-DCMAKE_CXX_COMPILER_LAUNCHER=" + ";".join(launcher)], env=self.install_env)
        run(["cmake", "--build", out], env=self.install_env)
        self.check_consumer(out / "consumer")

    def test_cmake_find_package(self):
        self.cmake_consumer("config")

    def test_cmake_pkg_check_modules(self):
        self.cmake_consumer("pkgconfig")

    def test_meson_dependency(self):
        out = self.tmp / "meson-installed"
        env = dict(self.install_env, CXX=" ".join(COMPILER))
        run(["meson", "setup", out, CONSUMER, "-Dpicklejar=installed"], env=env)
        run(["meson", "compile", "-C", out], env=env)
        self.check_consumer(out / "consumer")

    def test_meson_subproject(self):
        # The consumer's tree with picklejar's library sources (nothing else: as a subproject
        # it builds no tests, examples or benchmarks) under subprojects/, and README's wrap.
        tree = self.tmp / "meson-subproject"
        shutil.copytree(CONSUMER, tree)
        picklejar = tree / "subprojects" / "picklejar"
        picklejar.mkdir(parents=True)
        for name in ("meson.build", "meson_options.txt", "LICENSE"):
            shutil.copy(pathlib.Path(SOURCE_DIR) / name, picklejar)
        shutil.copytree(pathlib.Path(SOURCE_DIR) / "lib", picklejar / "lib")
        readme = (pathlib.Path(SOURCE_DIR) / "README.md").read_text()
        wrap = re.search(r"```ini\n(\[wrap-git\].*?)```", readme, re.S)
        self.assertIsNotNone(wrap, "README.md shows no picklejar.wrap")
        (tree / "subprojects" / "picklejar.wrap").write_text(wrap.group(1))

        out = tree / "build"
        env = dict(self.env, CXX=" ".join(COMPILER))
        # A plain (unoptimized) build: it compiles the whole library, so keep that quick.
        run(["meson", "setup", out, tree, "-Dpicklejar=subproject", "--buildtype=plain",
             "--force-fallback-for=picklejar"], env=env)
        run(["meson", "compile", "-C", out], env=env)
        self.assertFalse((out / "subprojects" / "picklejar" / "tests").exists())
        self.assertFalse((out / "subprojects" / "picklejar" / "lib" / "cli").exists())

        # The consumer runs against the subproject's library (meson's build RUNPATH), and the
        # installed command reads its session file.
        session = out / "state.pj"
        self.assertEqual(run([out / "consumer", session], env=self.env).strip(), EXPECTED % 1)
        shown = run([self.bindir / "picklejar", "get", session, "recent"], env=self.env)
        self.assertEqual(shown.strip(), "['notes.txt', 'todo.txt']")


if __name__ == "__main__":
    split = sys.argv.index("--")
    BUILD_DIR, SOURCE_DIR = sys.argv[1], sys.argv[2]
    COMPILER = sys.argv[split + 1:]
    unittest.main(argv=[sys.argv[0], "-v", *sys.argv[3:split]])
