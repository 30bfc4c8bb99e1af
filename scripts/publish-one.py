"""Publishes one small crate through a feed's cargo publish endpoint (benchmarks only).

usage: publish-one.py BASE TOKEN NAME VERSION [FEED]   (FEED of default/default, `soak` by default)
Prints the HTTP status.
"""
import gzip, io, json, struct, sys, tarfile, urllib.error, urllib.request

base, token, name, version = sys.argv[1:5]
feed = sys.argv[5] if len(sys.argv) > 5 else "soak"
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w") as tar:
    for path, data in [(f"{name}-{version}/Cargo.toml",
                        f'[package]\nname = "{name}"\nversion = "{version}"\nedition = "2021"\n'.encode()),
                       (f"{name}-{version}/src/lib.rs", b"pub fn f() {}\n")]:
        info = tarfile.TarInfo(path)
        info.size, info.mtime = len(data), 0
        tar.addfile(info, io.BytesIO(data))
crate = gzip.compress(raw.getvalue(), mtime=0)
meta = json.dumps({"name": name, "vers": version, "deps": [], "features": {}, "authors": [],
                   "description": "soak", "license": "MIT"}).encode()
body = struct.pack("<I", len(meta)) + meta + struct.pack("<I", len(crate)) + crate
request = urllib.request.Request(f"{base}/default/default/_packaging/{feed}/Cargo/api/v1/crates/new",
                                 data=body, method="PUT", headers={"Authorization": token})
try:
    with urllib.request.urlopen(request, timeout=30) as response:
        print(response.status)
except urllib.error.HTTPError as e:
    print(e.code)
except OSError:
    print(599)
