"""The package's PEP 517 build backend: standard library only, so that `pip install ./python`
works offline, in a fresh venv, with nothing but pip (build isolation then has nothing to
fetch). A wheel of a pure-Python package is a zip of its modules plus three metadata files;
that is all this writes.

Hooks: build_wheel, build_sdist, build_editable (PEP 660: a .pth file naming the source
folder) and the metadata hooks pip asks for first."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)  # python/: pyproject.toml, README.md, picklejar/
PACKAGE = "picklejar"
TAG = "py3-none-any"
# Fixed zip times, so that two builds of one tree give the same wheel.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _project() -> Dict[str, object]:
    """The [project] table of pyproject.toml: by tomllib where it exists (3.11+), else by a
    reader of the few flat keys this file uses."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        data = f.read()
    try:
        import tomllib
    except ImportError:
        return _flat_project(data.decode("utf-8"))
    project = tomllib.loads(data.decode("utf-8"))["project"]
    assert isinstance(project, dict)
    return project


def _flat_project(text: str) -> Dict[str, object]:
    section = re.search(r"^\[project\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
    if section is None:
        raise RuntimeError("pyproject.toml has no [project] table")
    project: Dict[str, object] = {}
    for key, value in re.findall(r'^([\w-]+)\s*=\s*"([^"]*)"', section.group(1), re.M):
        project[key] = value
    license_text = re.search(r'^license\s*=\s*\{\s*text\s*=\s*"([^"]*)"', section.group(1), re.M)
    if license_text:
        project["license"] = {"text": license_text.group(1)}
    classifiers = re.search(r"^classifiers\s*=\s*\[(.*?)\]", section.group(1), re.M | re.S)
    if classifiers:
        project["classifiers"] = re.findall(r'"([^"]*)"', classifiers.group(1))
    return project


def _name_version() -> Tuple[str, str]:
    project = _project()
    return str(project["name"]), str(project["version"])


def _metadata() -> str:
    project = _project()
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}",
             f"Version: {project['version']}"]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    license_table = project.get("license")
    if isinstance(license_table, dict) and "text" in license_table:
        lines.append(f"License: {license_table['text']}")
    for classifier in project.get("classifiers", []) or []:  # type: ignore[union-attr]
        lines.append(f"Classifier: {classifier}")
    readme = os.path.join(ROOT, "README.md")
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        with open(readme, encoding="utf-8") as f:
            return "\n".join(lines) + "\n\n" + f.read()
    return "\n".join(lines) + "\n"


def _wheel_file() -> str:
    return ("Wheel-Version: 1.0\nGenerator: picklejar_build\nRoot-Is-Purelib: true\n"
            f"Tag: {TAG}\n")


def _package_files() -> List[Tuple[str, str]]:
    """(path in the wheel, path on disk) of every module and data file of the package, sorted:
    .py files and py.typed, no caches."""
    found = []
    base = os.path.join(ROOT, PACKAGE)
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py") or name == "py.typed":
                disk = os.path.join(folder, name)
                found.append((os.path.relpath(disk, ROOT).replace(os.sep, "/"), disk))
    return found


def _license_file() -> Optional[str]:
    for path in (os.path.join(ROOT, "LICENSE"),  # in an sdist
                 os.path.join(os.path.dirname(ROOT), "LICENSE")):  # in the repository
        if os.path.exists(path):
            return path
    return None


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _dist_info(name: str, version: str) -> str:
    return f"{name.replace('-', '_')}-{version}.dist-info"


def _dist_info_files(name: str, version: str) -> List[Tuple[str, bytes]]:
    info = _dist_info(name, version)
    files = [(f"{info}/METADATA", _metadata().encode("utf-8")),
             (f"{info}/WHEEL", _wheel_file().encode("utf-8"))]
    license_path = _license_file()
    if license_path:
        with open(license_path, "rb") as f:
            files.append((f"{info}/LICENSE", f.read()))
    return files


def _write_wheel(wheel_directory: str, contents: List[Tuple[str, bytes]]) -> str:
    name, version = _name_version()
    filename = f"{name.replace('-', '_')}-{version}-{TAG}.whl"
    contents = contents + _dist_info_files(name, version)
    record_name = f"{_dist_info(name, version)}/RECORD"
    record = "\n".join([_record_line(n, d) for n, d in contents] + [f"{record_name},,", ""])
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w",
                         zipfile.ZIP_DEFLATED) as wheel:
        for entry_name, data in contents + [(record_name, record.encode("utf-8"))]:
            info = zipfile.ZipInfo(entry_name, _ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            wheel.writestr(info, data)
    return filename


# ---- PEP 517 ---------------------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_sdist(config_settings: Optional[dict] = None) -> List[str]:
    return []


def get_requires_for_build_editable(config_settings: Optional[dict] = None) -> List[str]:
    return []


def prepare_metadata_for_build_wheel(metadata_directory: str,
                                     config_settings: Optional[dict] = None) -> str:
    name, version = _name_version()
    info = _dist_info(name, version)
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    for entry_name, data in _dist_info_files(name, version):
        with open(os.path.join(metadata_directory, entry_name), "wb") as f:
            f.write(data)
    return info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: Optional[dict] = None,
                metadata_directory: Optional[str] = None) -> str:
    contents = []
    for entry_name, disk in _package_files():
        with open(disk, "rb") as f:
            contents.append((entry_name, f.read()))
    return _write_wheel(wheel_directory, contents)


def build_editable(wheel_directory: str, config_settings: Optional[dict] = None,
                   metadata_directory: Optional[str] = None) -> str:
    # A .pth line naming the folder that holds picklejar/: the source tree is imported as is.
    return _write_wheel(wheel_directory, [(f"_{PACKAGE}_editable.pth",
                                           (ROOT + "\n").encode("utf-8"))])


def build_sdist(sdist_directory: str, config_settings: Optional[dict] = None) -> str:
    name, version = _name_version()
    base = f"{name.replace('-', '_')}-{version}"
    members = [(f"{base}/pyproject.toml", os.path.join(ROOT, "pyproject.toml")),
               (f"{base}/README.md", os.path.join(ROOT, "README.md")),
               (f"{base}/build_backend/picklejar_build.py", os.path.abspath(__file__))]
    license_path = _license_file()
    if license_path:
        members.append((f"{base}/LICENSE", license_path))
    members += [(f"{base}/{entry}", disk) for entry, disk in _package_files()]
    filename = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz",
                      format=tarfile.PAX_FORMAT) as sdist:
        pkg_info = _metadata().encode("utf-8")
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size, info.mode, info.mtime = len(pkg_info), 0o644, 1577836800
        sdist.addfile(info, io.BytesIO(pkg_info))
        for entry_name, disk in members:
            info = sdist.gettarinfo(disk, entry_name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 1577836800
            with open(disk, "rb") as f:
                sdist.addfile(info, f)
    return filename
