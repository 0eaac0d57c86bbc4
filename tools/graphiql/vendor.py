"""Fetch (or check) the pinned GraphiQL assets the playground serves, from the npm registry.

    python3 tools/graphiql/vendor.py           # fetch the PINS below into the package, rewrite
                                               # manifest.json and VENDORED.md
    python3 tools/graphiql/vendor.py --check   # fetch again and fail unless the committed files
                                               # are byte-identical to the registry's tarballs

Each tarball comes from `npm pack` (the registry npm is configured for). Its sha512 is computed
here and must equal the `dist.integrity` the registry publishes (`npm view`); with --check it must
also equal the integrity recorded in manifest.json. To upgrade, change a version in PINS, run the
script, load http://127.0.0.1:8000/graphql and run a query and a subscription, and commit the
vendor folder with the new manifest.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENDOR = REPO / "src" / "reelpay" / "graphql" / "playground" / "vendor"


@dataclasses.dataclass(frozen=True)
class Pin:
    name: str
    version: str
    files: tuple[str, ...]  # paths inside the tarball (under package/), stored by basename
    license_file: str | None = "LICENSE"
    note: str = ""
    # A package that ships no licence file: whose LICENSE file stands for it (same repository).
    license_from: str | None = None

    @property
    def folder(self) -> str:
        return f"{self.name.replace('@', '').replace('/', '-')}@{self.version}"


# The versions strawberry's own GraphiQL template loads from unpkg (its sha384 SRI hashes match
# these files byte for byte); GraphiQL 3 is the last major line with a UMD build, which needs no
# bundler and no import map.
PINS: tuple[Pin, ...] = (
    Pin("react", "18.2.0", ("umd/react.production.min.js",)),
    Pin("react-dom", "18.2.0", ("umd/react-dom.production.min.js",)),
    Pin(
        "graphiql",
        "3.8.3",
        ("graphiql.min.js", "graphiql.min.css"),
        note="The UMD bundle includes @graphiql/react, @graphiql/toolkit, graphql-js and "
        "CodeMirror 5 (all MIT).",
    ),
    Pin(
        "@graphiql/plugin-explorer",
        "1.0.2",
        ("dist/index.umd.js", "dist/style.css"),
        license_file=None,
        license_from="graphiql",
        note="The tarball has no LICENSE file; the package is MIT (package.json) and lives in "
        "the graphql/graphiql repository, whose LICENSE (as shipped in graphiql) is copied.",
    ),
    Pin(
        "graphiql-explorer",
        "0.9.0",
        (),
        note="Not served on its own: bundled inside @graphiql/plugin-explorer's UMD file. "
        "Fetched for its LICENSE.",
    ),
)


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def npm(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["npm", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return result.stdout


def fetch(pin: Pin, workdir: Path) -> tuple[bytes, str, str]:
    """The tarball's bytes, its verified integrity and the licence the registry declares."""
    spec = f"{pin.name}@{pin.version}"
    meta = json.loads(npm("view", spec, "dist.integrity", "license", "--json"))
    packed = json.loads(npm("pack", spec, "--json", "--pack-destination", str(workdir)))
    data = (workdir / packed[0]["filename"]).read_bytes()
    integrity = sri_sha512(data)
    if integrity != meta["dist.integrity"]:
        sys.exit(f"{spec}: tarball sha512 {integrity} != registry {meta['dist.integrity']}")
    return data, integrity, str(meta["license"])


def members(data: bytes) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            if member.isfile():
                extracted = tar.extractfile(member)
                assert extracted is not None
                out[member.name.removeprefix("package/")] = extracted.read()
    return out


def wanted_files(pin: Pin, contents: dict[str, dict[str, bytes]]) -> dict[str, bytes]:
    """What goes into the pin's folder: its files by basename, and its LICENSE."""
    own = contents[pin.name]
    files = {Path(path).name: own[path] for path in pin.files}
    if pin.license_file is not None:
        files["LICENSE"] = own[pin.license_file]
    elif pin.license_from is not None:
        files["LICENSE"] = contents[pin.license_from]["LICENSE"]
    return files


def manifest_entry(pin: Pin, integrity: str, license: str, files: dict[str, bytes]) -> dict:
    return {
        "name": pin.name,
        "version": pin.version,
        "license": license,
        "integrity": integrity,
        "folder": pin.folder,
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in sorted(files.items())
        },
        "note": pin.note,
    }


def vendored_md(entries: list[dict]) -> str:
    lines = [
        "# Vendored GraphiQL assets",
        "",
        "The playground at GET /graphql (outside production) serves these files itself, so it",
        "works offline and under a Content-Security-Policy that allows only its own origin.",
        "Written by `python3 tools/graphiql/vendor.py` from the npm registry's tarballs; do not",
        "edit by hand. `python3 tools/graphiql/vendor.py --check` fetches them again and checks",
        "every file. `integrity` is the tarball's sha512 as the registry publishes it.",
        "",
        "| package | version | licence | tarball integrity | files |",
        "| --- | --- | --- | --- | --- |",
    ]
    total = 0
    for entry in entries:
        served = [name for name in entry["files"] if name != "LICENSE"]
        total += sum(f["bytes"] for n, f in entry["files"].items() if n != "LICENSE")
        lines.append(
            f"| {entry['name']} | {entry['version']} | {entry['license']} | "
            f"`{entry['integrity']}` | {', '.join(served) or '(LICENSE only)'} |"
        )
    lines += ["", f"Served files: {total:,} bytes in all (before gzip).", "", "## Notes", ""]
    lines += [f"- {e['name']}: {e['note']}" for e in entries if e["note"]]
    lines += [
        "",
        "Each folder holds the package's LICENSE file. The per-file sha256 in manifest.json is",
        "checked by tests/test_playground.py, so a file edited after vendoring fails the suite.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify, write nothing")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        fetched = {pin.name: fetch(pin, Path(tmp)) for pin in PINS}
    contents = {name: members(data) for name, (data, _, _) in fetched.items()}
    entries = []
    for pin in PINS:
        _, integrity, license = fetched[pin.name]
        files = wanted_files(pin, contents)
        entries.append(manifest_entry(pin, integrity, license, files))
        if args.check:
            for name, data in files.items():
                path = VENDOR / pin.folder / name
                if not path.is_file() or path.read_bytes() != data:
                    sys.exit(f"{path.relative_to(REPO)} differs from {pin.name}@{pin.version}")
        else:
            folder = VENDOR / pin.folder
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)

    manifest = json.dumps({"packages": entries}, indent=2) + "\n"
    if args.check:
        if (VENDOR / "manifest.json").read_text() != manifest:
            sys.exit("manifest.json differs from what the registry's tarballs give")
        expected = {pin.folder for pin in PINS} | {"manifest.json", "VENDORED.md"}
        extra = {p.name for p in VENDOR.iterdir()} - expected
        if extra:
            sys.exit(f"not in PINS: {sorted(extra)}")
        print(f"ok: {len(PINS)} packages match the registry")
        return
    for stale in VENDOR.iterdir():
        if stale.is_dir() and stale.name not in {pin.folder for pin in PINS}:
            shutil.rmtree(stale)
    (VENDOR / "manifest.json").write_text(manifest)
    (VENDOR / "VENDORED.md").write_text(vendored_md(entries))
    print(f"wrote {len(PINS)} packages to {VENDOR.relative_to(REPO)}")


if __name__ == "__main__":
    main()
